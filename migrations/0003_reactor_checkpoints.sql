-- Reactors (the dispatcher) act on the log and are never rebuilt: their checkpoint is advanced in the
-- same transaction as the events they append, so a crash neither repeats nor skips their work.
CREATE TABLE reactor_checkpoints (
  name            text PRIMARY KEY,
  transaction_id  xid8 NOT NULL DEFAULT '0'::xid8,
  global_position bigint NOT NULL DEFAULT 0,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
