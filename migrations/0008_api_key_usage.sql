-- When each API key was last used. Not a fact of the log: authentication notes it in memory and a process
-- writes what it noted at most once a minute (and when it stops), so a request costs no write.
CREATE TABLE api_key_usage (
  key_id       text PRIMARY KEY,
  last_used_at timestamptz NOT NULL
);
