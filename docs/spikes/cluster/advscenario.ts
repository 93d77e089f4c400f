// Advisory-lock fallback: three processes, then kill -9 / SIGTERM / SIGSTOP one; the orchestrator polls pg_locks
// every 50 ms and reports how long until all SHARDS shard locks and the singleton lock are held again.
import { spawn, type ChildProcess } from "node:child_process"
import { createWriteStream, mkdirSync } from "node:fs"
import pg from "pg"
const scn = process.argv[2] ?? "kill9"
const dir = `runs/adv-${scn}`; mkdirSync(dir, { recursive: true })
const SHARDS = 64
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const db = new pg.Client({ host: "127.0.0.1", port: 55432, user: "postgres", password: "postgres", database: "spike" })
await db.connect()
await db.query("DROP TABLE IF EXISTS fenced_outcomes; DROP TABLE IF EXISTS shard_epochs")
const procs: Array<ChildProcess> = []
for (let i = 1; i <= 3; i++) {
  const out = createWriteStream(`${dir}/a${i}.log`)
  const p = spawn(process.execPath, ["src/advisory.ts"], { env: { ...process.env, NAME: `a${i}`, MAX_S: "90" }, stdio: ["ignore", "pipe", "pipe"] })
  p.stdout!.pipe(out); p.stderr!.pipe(out); procs.push(p)
  await sleep(300)
}
const held = async () => {
  const r = await db.query(`SELECT classid::int AS ns, count(*)::int AS n, count(DISTINCT pid)::int AS p FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid IN (7101, 7103) GROUP BY 1`)
  const m = new Map(r.rows.map((x) => [x.ns, x.n])); return { shards: m.get(7101) ?? 0, singleton: m.get(7103) ?? 0 }
}
await sleep(6000)
console.log("before", await held())
// victim: the singleton holder
const sh = await db.query("SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.classid = 7103 AND l.granted")
const vi = Number(String(sh.rows[0].application_name).replace("adv-a", "")) - 1
const victim = procs[vi]
const T = Date.now()
victim.kill(scn === "kill9" ? "SIGKILL" : scn === "sigterm" ? "SIGTERM" : "SIGSTOP")
let firstIncomplete: number | undefined, complete: number | undefined
for (let i = 0; i < 400; i++) {
  const h = await held()
  if (h.shards < SHARDS || h.singleton < 1) firstIncomplete ??= Date.now() - T
  else if (firstIncomplete !== undefined) { complete = Date.now() - T; break }
  if (firstIncomplete === undefined && Date.now() - T > 15000) break
  await sleep(50)
}
console.log(JSON.stringify({ scenario: scn, victim: `a${vi + 1}`, firstIncompleteMs: firstIncomplete, allHeldAgainMs: complete, after: await held() }))
if (scn === "freeze") { await sleep(3000); victim.kill("SIGCONT"); await sleep(3000) }
await sleep(1500)
const fenced = await db.query("SELECT owner, count(*)::int n FROM fenced_outcomes GROUP BY 1 ORDER BY 1")
console.log("fenced outcomes per owner", fenced.rows)
for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM")
await sleep(1000)
await db.end()
