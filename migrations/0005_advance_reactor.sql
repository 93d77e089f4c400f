-- A reactor (the dispatcher) moves its checkpoint and appends what it decided in one statement: one
-- round trip instead of BEGIN, compare-and-set, append and COMMIT. The checkpoint moves only from
-- where the caller read it (HL002 otherwise: another instance moved it first), and only together with
-- the append, so a crash neither repeats nor skips a dispatch.
CREATE FUNCTION advance_reactor(p_reactor text, p_from_tx xid8, p_from_pos bigint,
                                p_to_tx xid8, p_to_pos bigint, p_batch jsonb)
RETURNS TABLE (event_id text, global_position bigint, stream_version integer, transaction_id text)
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE reactor_checkpoints AS r
     SET transaction_id = p_to_tx, global_position = p_to_pos, updated_at = now()
   WHERE r.name = p_reactor AND r.transaction_id = p_from_tx AND r.global_position = p_from_pos;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'reactor % was overtaken', p_reactor USING ERRCODE = 'HL002';
  END IF;
  IF jsonb_array_length(p_batch) > 0 THEN
    RETURN QUERY SELECT * FROM append_events(p_batch);
  END IF;
END $$;
