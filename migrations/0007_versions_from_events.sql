-- A stream's version is its last event's, read through the events' own (stream_id, stream_version)
-- index, which also refuses a second event at a version: the streams table kept the same fact a second
-- time, and cost every new stream (a published event, a delivery) a row and an index entry more than its
-- event. Optimistic concurrency holds on that unique index:
--   * expected 0 (a new stream): no look at all. The stream's first event takes version 1, and an
--     existing stream already has one: 23505 on events_stream_version_key, which the event store turns
--     into WrongExpectedVersion (or a retry's original answer).
--   * expected n: the version is looked up and must be n; two appenders that both saw n both write n + 1,
--     and the index makes the later one fail the same way.
--   * any (-1): the version looked up; a concurrent appender to the same stream makes this one fail, and
--     the event store appends again.
--   p_batch = [{"stream": text, "expected": -1 | 0 | n, "events": [{"id", "type", "v", "data", "meta"}]}]
-- A stream may appear at most once in a batch.
CREATE OR REPLACE FUNCTION append_events(p_batch jsonb)
RETURNS TABLE (event_id text, global_position bigint, stream_version integer, transaction_id text)
LANGUAGE plpgsql AS $$
DECLARE
  v_streams text[];
  v_versions integer[];
  v_failed record;
BEGIN
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_batch) AS b WHERE (b->>'expected')::integer <> 0) THEN
    SELECT array_agg(c.stream_id), array_agg(c.version)
      INTO v_streams, v_versions
      FROM (
        SELECT b->>'stream' AS stream_id, (b->>'expected')::integer AS expected,
               CASE WHEN (b->>'expected')::integer = 0 THEN 0
                    ELSE coalesce((SELECT e.stream_version FROM events AS e
                                    WHERE e.stream_id = b->>'stream'
                                    ORDER BY e.stream_version DESC LIMIT 1), 0) END AS version
          FROM jsonb_array_elements(p_batch) AS b
      ) AS c;

    SELECT b->>'stream' AS stream_id, (b->>'expected')::integer AS expected, v.version AS actual
      INTO v_failed
      FROM jsonb_array_elements(p_batch) AS b
      JOIN unnest(v_streams, v_versions) AS v(stream_id, version) ON v.stream_id = b->>'stream'
     WHERE (b->>'expected')::integer > 0 AND v.version <> (b->>'expected')::integer
     LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'wrong expected version for stream %', v_failed.stream_id
        USING ERRCODE = 'HL001',
              DETAIL = jsonb_build_object('stream', v_failed.stream_id, 'expected', v_failed.expected,
                                          'actual', v_failed.actual)::text;
    END IF;
  END IF;

  RETURN QUERY
  WITH rows AS (
    SELECT b->>'stream' AS stream_id, e.ord, e.value AS ev
      FROM jsonb_array_elements(p_batch) AS b,
           jsonb_array_elements(b->'events') WITH ORDINALITY AS e(value, ord)
  ), inserted AS (
    INSERT INTO events AS x (event_id, stream_id, stream_version, event_type, schema_version, data, metadata)
    SELECT r.ev->>'id', r.stream_id, (coalesce(v.version, 0) + r.ord)::integer, r.ev->>'type',
           coalesce((r.ev->>'v')::smallint, 1), r.ev->'data', coalesce(r.ev->'meta', '{}'::jsonb)
      FROM rows r LEFT JOIN unnest(v_streams, v_versions) AS v(stream_id, version) USING (stream_id)
     ORDER BY r.stream_id, r.ord
    RETURNING x.event_id, x.global_position, x.stream_version, x.transaction_id::text
  )
  SELECT * FROM inserted;
END $$;

DROP TABLE streams;
