// Fallback prototype: shard ownership from PostgreSQL session advisory locks on one dedicated connection,
// plus a fencing epoch per shard. Env: NAME, SHARDS (64), LOOP_MS (500), IDLE_TIMEOUT_MS (6000).
import pg from "pg"

const NAME = process.env.NAME ?? "a1"
const SHARDS = Number(process.env.SHARDS ?? "64")
const LOOP_MS = Number(process.env.LOOP_MS ?? "500")
const NS_SHARD = 7101, NS_MEMBER = 7102, NS_SINGLETON = 7103
const log = (ev: string, x: Record<string, unknown> = {}) => process.stdout.write(JSON.stringify({ t: Date.now(), ev, name: NAME, ...x }) + "\n")
const cfg = { host: "127.0.0.1", port: 55432, user: "postgres", password: "postgres", database: "spike", application_name: `adv-${NAME}` }

const held = new Map<number, number>() // shard -> fencing epoch
let singleton = false
let lockConn: pg.Client | undefined
const work = new pg.Client(cfg) // ordinary connection for fenced writes (a pool in real code)

const connectLock = async () => {
  const c = new pg.Client({ ...cfg, keepAlive: true })
  c.on("error", (e) => { log("lock-conn-error", { err: String(e) }); lose() })
  await c.connect()
  // a frozen holder's session ends after IDLE_TIMEOUT_MS without traffic, which frees its locks
  await c.query(`SET idle_session_timeout = ${Number(process.env.IDLE_TIMEOUT_MS ?? "6000")}`)
  const { rows } = await c.query("SELECT pg_backend_pid() AS pid")
  await c.query("SELECT pg_advisory_lock($1, $2)", [NS_MEMBER, rows[0].pid])
  lockConn = c
  log("lock-conn", { pid: rows[0].pid })
}
const lose = () => {
  if (held.size || singleton) log("lost-all", { shards: held.size, singleton })
  held.clear(); singleton = false
  const c = lockConn; lockConn = undefined
  c?.end().catch(() => {})
}

const step = async () => {
  if (!lockConn) await connectLock()
  const c = lockConn!
  // 1. what does this session really hold? (also the keep-alive of the lock session)
  const mine = await c.query("SELECT classid::int AS ns, objid::int AS k FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND classid IN ($1, $2)", [NS_SHARD, NS_SINGLETON])
  const really = new Set(mine.rows.filter((r) => r.ns === NS_SHARD).map((r) => r.k as number))
  for (const s of [...held.keys()]) if (!really.has(s)) { held.delete(s); log("lost", { shard: s }) }
  singleton = mine.rows.some((r) => r.ns === NS_SINGLETON)
  // 2. fair share from the live members (each holds one member lock on its lock session)
  const m = await c.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1", [NS_MEMBER])
  const share = Math.ceil(SHARDS / Math.max(1, m.rows[0].n))
  // 3. give back extras (rebalancing when a process joins), highest shard first
  const extra = held.size - share
  if (extra > 0) for (const s of [...held.keys()].sort((a, b) => b - a).slice(0, extra)) {
    await c.query("SELECT pg_advisory_unlock($1, $2)", [NS_SHARD, s]); held.delete(s); log("released", { shard: s })
  }
  // 4. take free shards up to the share (and the singleton if free)
  if (held.size < share) {
    const free = await c.query(`SELECT s FROM generate_series(0, $2 - 1) s WHERE NOT EXISTS
      (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = s) ORDER BY random()`, [NS_SHARD, SHARDS])
    for (const r of free.rows.slice(0, share - held.size)) {
      const got = await c.query("SELECT pg_try_advisory_lock($1, $2) AS ok", [NS_SHARD, r.s])
      if (!got.rows[0].ok) continue
      // fencing: a new epoch per acquisition; every outcome write is conditional on it
      const e = await work.query(`INSERT INTO shard_epochs (shard, epoch, owner) VALUES ($1, 1, $2)
        ON CONFLICT (shard) DO UPDATE SET epoch = shard_epochs.epoch + 1, owner = $2 RETURNING epoch`, [r.s, NAME])
      held.set(r.s, Number(e.rows[0].epoch))
      log("acquired", { shard: r.s, epoch: held.get(r.s) })
    }
  }
  if (!singleton) {
    const g = await c.query("SELECT pg_try_advisory_lock($1, 0) AS ok", [NS_SINGLETON])
    if (g.rows[0].ok) { singleton = true; log("singleton-acquired") }
  }
}

// a fenced write: succeeds only while this process's epoch is the shard's current epoch
const fencedWrite = async (shard: number) => {
  const epoch = held.get(shard)
  if (epoch === undefined) return
  const r = await work.query(`INSERT INTO fenced_outcomes (shard, epoch, owner)
    SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM shard_epochs WHERE shard = $1 AND epoch = $2)`, [shard, epoch, NAME])
  if (r.rowCount === 0) { log("fenced-out", { shard, epoch }); held.delete(shard) }
}

await work.connect()
await work.query("CREATE TABLE IF NOT EXISTS shard_epochs (shard int primary key, epoch bigint not null, owner text not null)").catch(() => {})
await work.query("CREATE TABLE IF NOT EXISTS fenced_outcomes (id bigserial primary key, shard int, epoch bigint, owner text, at timestamptz default now())").catch(() => {})
log("ready")
let stopping = false
process.on("SIGTERM", async () => {
  stopping = true
  // hand over: unlock everything at once, then exit
  try { await lockConn?.query("SELECT pg_advisory_unlock_all()") } catch {}
  log("handed-over", { shards: held.size }); process.exit(0)
})
const endAt = Date.now() + Number(process.env.MAX_S ?? "600") * 1000
while (!stopping && Date.now() < endAt) {
  const t = Date.now()
  try {
    await step()
    // every held shard writes one fenced outcome per second (a stand-in for delivery outcomes)
    if (Math.floor(t / 1000) !== Math.floor((t - LOOP_MS) / 1000)) for (const s of [...held.keys()]) await fencedWrite(s)
  } catch (e) { log("step-error", { err: String(e).slice(0, 200) }); lose() }
  await new Promise((r) => setTimeout(r, Math.max(0, LOOP_MS - (Date.now() - t))))
}
process.exit(0)
