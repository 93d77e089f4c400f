-- append_events looks streams up by key only. Its plan is cached per session and planned generically:
-- with about a hundred input rows assumed, the exact-version UPDATE became a hash join over a sequential
-- scan of the whole streams table (two rows per published event: millions), on every append. With
-- sequential scans priced out inside the function, every lookup goes through the primary key.
ALTER FUNCTION append_events(jsonb) SET enable_seqscan = off;
