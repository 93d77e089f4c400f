-- Typed reads (a projection or reactor reading only the event types it handles) walk this index, one
-- range per type merged in log order, so a reader pays for the events it wants and not for the rest of
-- the log. Scanning the log in order and filtering on the type cost every reader a visit of every row:
-- with the dispatcher and three projections that was four visits per event, most of them for nothing.
CREATE INDEX events_type_order ON events (event_type, transaction_id, global_position);
