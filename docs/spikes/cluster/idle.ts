// Idle cost of a lone process: startup (spawn -> ready), CPU and RSS over a window, SQL statements/s
// (pg_stat_statements), and PostgreSQL's own CPU over the window.
// Usage: node idle.ts <label> [windowS]   env passes through (NO_CLUSTER=1 for the baseline, FAST=0|1)
import { spawn } from "node:child_process"
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs"
import pg from "pg"

const label = process.argv[2] ?? "idle"
const windowS = Number(process.argv[3] ?? "60")
mkdirSync("runs/idle", { recursive: true })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const TICK = 100 // USER_HZ
const cpuTicks = (pid: number) => {
  try { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); return Number(f[11]) + Number(f[12]) } catch { return 0 }
}
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024
// only this spike's PostgreSQL: the postmaster of ./pgdata and its children (other work on the machine runs its own)
const postmaster = Number(readFileSync("pgdata/postmaster.pid", "utf8").split("\n")[0])
const pgPids = () => [postmaster, ...readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => {
  try { return Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))![1]) === postmaster } catch { return false }
})]
const db = new pg.Client({ host: "127.0.0.1", port: 55432, user: "postgres", password: "postgres", database: "spike", application_name: "idle-meter" })
await db.connect()

const startups: Array<number> = []
let pid = 0
let proc: ReturnType<typeof spawn> | undefined
for (let i = 0; i < 3; i++) {
  const t0 = Date.now()
  proc = spawn(process.execPath, ["src/runner.ts"], { env: { ...process.env, RUNNER_NAME: "solo", RUNNER_PORT: "21450" }, stdio: ["ignore", "pipe", "inherit"] })
  pid = proc.pid!
  await new Promise<void>((res) => { let b = ""; proc!.stdout!.on("data", (d: Buffer) => { b += d; if (b.includes('"ev":"ready"')) res() }) })
  startups.push(Date.now() - t0)
  if (i < 2) { const e = new Promise((r) => proc!.once("exit", r)); proc.kill("SIGTERM"); await e; await sleep(1500) }
}
await sleep(10000) // warm up
await db.query("SELECT pg_stat_statements_reset()")
const pgBefore = new Map(pgPids().map((p) => [p, cpuTicks(p)]))
const c0 = cpuTicks(pid), t0 = Date.now()
await sleep(windowS * 1000)
const c1 = cpuTicks(pid), t1 = Date.now()
// per backend: ticks now minus ticks at start (0 for backends born in the window); exited backends are missed
let pgDelta = 0
for (const p of pgPids()) pgDelta += cpuTicks(p) - (pgBefore.get(p) ?? 0)
const pg0 = 0, pg1 = pgDelta
const secs = (t1 - t0) / 1000
const stmts = (await db.query(`SELECT query, calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
  WHERE d.datname = 'spike' AND query NOT ILIKE '%pg_stat_statements%' ORDER BY calls DESC`)).rows
const total = stmts.reduce((a, r) => a + Number(r.calls), 0)
const conns = (await db.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'spike' AND application_name = 'solo'")).rows[0].n
const result = {
  label, env: { NO_CLUSTER: process.env.NO_CLUSTER ?? "0", FAST: process.env.FAST ?? "1" },
  startupMs: startups, windowS: secs,
  cpuPct: +((100 * (c1 - c0)) / TICK / secs).toFixed(2),
  pgCpuPct: +((100 * (pg1 - pg0)) / TICK / secs).toFixed(2),
  rssMb: +rssMb(pid).toFixed(1),
  pgConnections: conns,
  sqlPerSec: +(total / secs).toFixed(2),
  topStatements: stmts.slice(0, 12).map((r) => ({ calls: Number(r.calls), perSec: +(Number(r.calls) / secs).toFixed(2), query: String(r.query).replace(/\s+/g, " ").slice(0, 160) }))
}
const e = new Promise((r) => proc!.once("exit", r)); proc!.kill("SIGTERM"); await e
writeFileSync(`runs/idle/${label}.json`, JSON.stringify(result, null, 2))
console.log(JSON.stringify(result, null, 2))
await db.end()
