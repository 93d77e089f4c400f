-- The event store: the only source of truth. Append-only, totally ordered.

CREATE TABLE streams (
  stream_id text PRIMARY KEY,
  version   integer NOT NULL CHECK (version >= 0)
);

CREATE TABLE events (
  -- No primary key of its own: nothing reads by position alone, and every index costs each append.
  -- (transaction_id, global_position) below is the key readers use.
  global_position bigint GENERATED ALWAYS AS IDENTITY,
  -- Sequence values commit out of order; readers order by (transaction_id, global_position)
  -- and only read below the oldest running transaction, so no reader can skip an event.
  transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
  event_id        text NOT NULL,
  stream_id       text NOT NULL,
  stream_version  integer NOT NULL,
  event_type      text NOT NULL,
  schema_version  smallint NOT NULL DEFAULT 1,
  data            jsonb NOT NULL,
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version),
  CONSTRAINT events_event_id_key UNIQUE (event_id)
);

CREATE UNIQUE INDEX events_transaction_order ON events (transaction_id, global_position);

-- The log is immutable: the database itself refuses changes, whoever asks.
CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the event log is append-only: % is not allowed on %', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'HL002';
END $$;

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- No NOTIFY trigger: a transaction that notifies takes a cluster-wide lock at commit and holds it
-- through its WAL flush, which serialises every append. The EventStore announces appends itself,
-- after they commit, in a coalesced pg_notify of its own (src/eventstore/notifications.ts).

-- Appends a batch of events to many streams in one statement (one round trip, its own implicit
-- transaction). Optimistic concurrency is checked on the streams table before any event row, and so
-- any sequence number, is drawn.
--   p_batch = [{"stream": text, "expected": -1 (any) | 0 (no stream) | n (exact),
--               "events": [{"id", "type", "v", "data", "meta"}]}]
-- A stream may appear at most once in a batch.
CREATE FUNCTION append_events(p_batch jsonb)
RETURNS TABLE (event_id text, global_position bigint, stream_version integer, transaction_id text)
LANGUAGE plpgsql AS $$
DECLARE
  v_streams text[];
  v_last integer[];
  v_n integer[];
  v_failed record;
BEGIN

  WITH input AS (
    SELECT b->>'stream' AS stream_id, (b->>'expected')::integer AS expected,
           jsonb_array_length(b->'events') AS n
      FROM jsonb_array_elements(p_batch) AS b
  ), any_streams AS (
    INSERT INTO streams AS s (stream_id, version)
      SELECT i.stream_id, i.n FROM input i WHERE i.expected = -1
      ON CONFLICT (stream_id) DO UPDATE SET version = s.version + excluded.version
      RETURNING s.stream_id, s.version
  ), new_streams AS (
    INSERT INTO streams AS s (stream_id, version)
      SELECT i.stream_id, i.n FROM input i WHERE i.expected = 0
      ON CONFLICT (stream_id) DO NOTHING
      RETURNING s.stream_id, s.version
  ), exact_streams AS (
    UPDATE streams AS s SET version = s.version + i.n
      FROM input i
     WHERE i.expected > 0 AND s.stream_id = i.stream_id AND s.version = i.expected
     RETURNING s.stream_id, s.version
  ), done AS (
    SELECT * FROM any_streams UNION ALL SELECT * FROM new_streams UNION ALL SELECT * FROM exact_streams
  )
  SELECT array_agg(d.stream_id), array_agg(d.version), array_agg(i.n)
    INTO v_streams, v_last, v_n
    FROM done d JOIN input i USING (stream_id);

  IF coalesce(array_length(v_streams, 1), 0) <> jsonb_array_length(p_batch) THEN
    SELECT b->>'stream' AS stream_id, (b->>'expected')::integer AS expected,
           coalesce(s.version, 0) AS actual
      INTO v_failed
      FROM jsonb_array_elements(p_batch) AS b
      LEFT JOIN streams s ON s.stream_id = b->>'stream'
     WHERE NOT (b->>'stream' = ANY (coalesce(v_streams, '{}')))
     LIMIT 1;
    RAISE EXCEPTION 'wrong expected version for stream %', v_failed.stream_id
      USING ERRCODE = 'HL001',
            DETAIL = jsonb_build_object('stream', v_failed.stream_id, 'expected', v_failed.expected,
                                        'actual', v_failed.actual)::text;
  END IF;

  RETURN QUERY
  WITH rows AS (
    SELECT b->>'stream' AS stream_id, e.ord, e.value AS ev
      FROM jsonb_array_elements(p_batch) AS b,
           jsonb_array_elements(b->'events') WITH ORDINALITY AS e(value, ord)
  ), inserted AS (
    INSERT INTO events AS x (event_id, stream_id, stream_version, event_type, schema_version, data, metadata)
    SELECT r.ev->>'id', r.stream_id, (v.last - v.n + r.ord)::integer, r.ev->>'type',
           coalesce((r.ev->>'v')::smallint, 1), r.ev->'data', coalesce(r.ev->'meta', '{}'::jsonb)
      FROM rows r JOIN unnest(v_streams, v_last, v_n) AS v(stream_id, last, n) USING (stream_id)
     ORDER BY v.stream_id, r.ord
    RETURNING x.event_id, x.global_position, x.stream_version, x.transaction_id::text
  )
  SELECT * FROM inserted;
END $$;

CREATE TABLE projections (
  name        text PRIMARY KEY,
  generation  integer NOT NULL,
  version     integer NOT NULL,
  activated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per projection generation. The checkpoint is the (transaction id, position) pair of the
-- last applied event, advanced by compare-and-set in the transaction that writes the read model.
CREATE TABLE projection_checkpoints (
  name            text NOT NULL,
  generation      integer NOT NULL,
  version         integer NOT NULL,
  transaction_id  xid8 NOT NULL DEFAULT '0'::xid8,
  global_position bigint NOT NULL DEFAULT 0,
  events_applied  bigint NOT NULL DEFAULT 0,
  status          text NOT NULL CHECK (status IN ('building', 'active', 'retired')),
  started_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, generation)
);
