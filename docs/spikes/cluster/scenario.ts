// Orchestrates runner processes + the load process for one scenario and analyses the result.
// Usage: node scenario.ts <kill9|sigterm|rolling|idle> [label]   (env FAST, PERSISTED, DURATION_S ... pass through)
import { spawn, type ChildProcess } from "node:child_process"
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import pg from "pg"

const scn = process.argv[2] ?? "kill9"
const label = process.argv[3] ?? scn
const dir = `runs/${label}`
mkdirSync(dir, { recursive: true })
const node = process.execPath
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const now = () => Date.now()
const events: Array<Record<string, unknown>> = []
const mark = (ev: string, extra: Record<string, unknown> = {}) => {
  const e = { t: now(), ev, ...extra }; events.push(e); console.log(JSON.stringify(e))
}

const db = new pg.Client({ host: "127.0.0.1", port: 55432, user: "postgres", password: "postgres", database: "spike" })
await db.connect()
await db.query("CREATE TABLE IF NOT EXISTS singleton_beats (id bigserial primary key, runner text not null, at timestamptz not null)")
await db.query("TRUNCATE singleton_beats")

type R = { name: string; port: number; proc?: ChildProcess; ready?: Promise<number>; health?: boolean; dispatcher?: boolean }
const runners: Array<R> = [1, 2, 3].map((i) => ({ name: `r${i}`, port: 21430 + i }))
const startRunner = (r: R) => {
  const out = createWriteStream(`${dir}/${r.name}.log`, { flags: "a" })
  const t0 = now()
  const p = spawn(node, ["src/runner.ts"], { env: { ...process.env, RUNNER_NAME: r.name, RUNNER_PORT: String(r.port) }, stdio: ["ignore", "pipe", "pipe"] })
  r.proc = p
  p.stderr!.pipe(out)
  let resolveReady: (n: number) => void
  r.ready = new Promise((res) => { resolveReady = res })
  let buf = ""
  p.stdout!.on("data", (d: Buffer) => {
    out.write(d)
    buf += d.toString()
    if (buf.includes('"ev":"ready"')) { resolveReady(now() - t0) }
    for (const line of buf.split("\n")) if (line.includes('"ev":"owned"')) { try { const o = JSON.parse(line); r.health = o.health; r.dispatcher = o.dispatcher } catch {} }
    buf = buf.slice(buf.lastIndexOf("\n") + 1)
    if (buf.length > 10000) buf = buf.slice(-2000)
  })
  p.on("exit", (code, sig) => { mark("exit", { runner: r.name, code, sig }); resolveReady(-1) })
  mark("spawn", { runner: r.name, pid: p.pid })
}
const stopRunner = async (r: R, sig: "SIGKILL" | "SIGTERM") => {
  const p = r.proc!
  const exited = new Promise<void>((res) => p.once("exit", () => res()))
  mark("signal", { runner: r.name, sig, pid: p.pid })
  p.kill(sig)
  const t = now()
  await Promise.race([exited, sleep(60000)])
  mark("stopped", { runner: r.name, ms: now() - t })
}
let load: ChildProcess | undefined
const startLoad = (durationS: number) => {
  const out = createWriteStream(`${dir}/load.log`)
  load = spawn(node, ["src/load.ts"], { env: { ...process.env, RUNNER_NAME: "load", DURATION_S: String(durationS) }, stdio: ["ignore", "pipe", "pipe"] })
  load.stdout!.pipe(out); load.stderr!.pipe(out)
  mark("load-spawn", { pid: load.pid })
  return new Promise<void>((res) => load!.once("exit", () => res()))
}

for (const r of runners) startRunner(r)
const startup = await Promise.all(runners.map((r) => r.ready))
if (startup.includes(-1)) { console.error("a runner died at startup"); process.exit(1) }
mark("all-ready", { startupMs: startup })
await sleep(8000) // let shards settle

const DUR = Number(process.env.DURATION_S ?? "60")
const loadDone = startLoad(DUR)
await sleep(10000)
// victim: the runner that currently runs the singleton
const beat = await db.query("SELECT runner FROM singleton_beats ORDER BY id DESC LIMIT 1")
const V = process.env.VICTIM ?? "dispatcher"
const victimName: string = V === "dispatcher" ? (beat.rows[0]?.runner ?? "r1")
  : V === "health" ? (runners.find((r) => r.health)?.name ?? "r1")
  : V === "nonhealth" ? (runners.find((r) => !r.health)?.name ?? "r1") : V
mark("victim", { victimName, holders: runners.map((r) => ({ n: r.name, health: r.health, dispatcher: r.dispatcher })) })
const victim = runners.find((r) => r.name === victimName)!
if (scn === "kill9") await stopRunner(victim, "SIGKILL")
else if (scn === "sigterm") await stopRunner(victim, "SIGTERM")
else if (scn === "rolling") {
  const rounds = Number(process.env.ROUNDS ?? "1")
  for (let k = 0; k < rounds; k++) for (const r of runners) {
    await stopRunner(r, "SIGTERM")
    startRunner(r)
    const ms = await r.ready!
    mark("restarted", { runner: r.name, readyMs: ms })
    await sleep(Number(process.env.SETTLE_MS ?? "8000"))
  }
}
else if (scn === "surge") {
  // blue/green style rolling deploy: a new runner on a NEW address joins, then an old one gets SIGTERM
  const rounds = Number(process.env.ROUNDS ?? "1")
  let nextPort = 21440
  for (let k = 0; k < rounds; k++) for (let i = 0; i < runners.length; i++) {
    const old = runners[i]
    const fresh: R = { name: `${old.name.replace(/-.*/, "")}-g${k + 1}`, port: nextPort++ }
    startRunner(fresh)
    const ms = await fresh.ready!
    mark("joined", { runner: fresh.name, readyMs: ms })
    await sleep(Number(process.env.JOIN_SETTLE_MS ?? "3000"))
    await stopRunner(old, "SIGTERM")
    runners[i] = fresh
    await sleep(Number(process.env.SETTLE_MS ?? "6000"))
  }
}
else if (scn === "freeze") {
  // SIGSTOP the victim for FREEZE_S seconds (a GC stall / VM pause), then SIGCONT
  mark("signal", { runner: victim.name, sig: "SIGSTOP", pid: victim.proc!.pid })
  victim.proc!.kill("SIGSTOP")
  await sleep(Number(process.env.FREEZE_S ?? "15") * 1000)
  victim.proc!.kill("SIGCONT")
  if (process.env.STOP_AFTER_RESUME_MS) { await sleep(Number(process.env.STOP_AFTER_RESUME_MS)); await stopRunner(victim, "SIGTERM") }
  mark("resumed", { runner: victim.name })
  await sleep(15000)
}
if (scn === "kill9" || scn === "sigterm") {
  await sleep(15000)
  if (process.env.RESTART_VICTIM !== "0") { startRunner(victim); await victim.ready; mark("victim-restarted") }
}
await loadDone
mark("load-exited")
// VICTIM_FIRST=1: SIGTERM the victim first while the others are still up (isolates "after a freeze" from "last runner")
const order = process.env.VICTIM_FIRST === "1" ? [victim, ...runners.filter((r) => r !== victim)] : runners
for (const r of order) if (r.proc && r.proc.exitCode === null && r.proc.signalCode === null) await stopRunner(r, "SIGTERM")

// ---- analysis ----
const lines = readFileSync(`${dir}/load.log`, "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
const replies = lines.filter((l) => l.ev === "reply")
const fails = lines.filter((l) => l.ev === "fail")
const firstSignal = events.find((e) => e.ev === "signal") as { t: number } | undefined
const T = firstSignal?.t ?? 0
const byKey = new Map<string, Array<{ sent: number; done: number; runner: string }>>()
for (const r of replies) { if (!byKey.has(r.key)) byKey.set(r.key, []); byKey.get(r.key)!.push(r) }
const victimKeys: Array<string> = []
const gaps: Array<{ key: string; maxGapMs: number; resumeMs?: number; before?: string; after?: string }> = []
for (const [key, rs] of byKey) {
  rs.sort((a, b) => a.done - b.done)
  let maxGap = 0
  for (let i = 1; i < rs.length; i++) maxGap = Math.max(maxGap, rs[i].done - rs[i - 1].done)
  const before = [...rs].reverse().find((x) => x.done < T)
  const after = rs.find((x) => x.done > T && x.runner !== before?.runner)
  const entry: (typeof gaps)[number] = { key, maxGapMs: maxGap, before: before?.runner, after: after?.runner }
  if (before?.runner === victimName) { victimKeys.push(key); entry.resumeMs = after ? after.done - T : undefined }
  gaps.push(entry)
}
const beats = (await db.query("SELECT runner, extract(epoch from at)*1000 AS ms FROM singleton_beats ORDER BY at")).rows.map((r) => ({ runner: r.runner as string, ms: Number(r.ms) }))
let maxBeatGap = 0, overlapMs = 0
const beatSwitches: Array<{ from: string; to: string; gapMs: number; at: number }> = []
for (let i = 1; i < beats.length; i++) {
  const g = beats[i].ms - beats[i - 1].ms
  maxBeatGap = Math.max(maxBeatGap, g)
  if (beats[i].runner !== beats[i - 1].runner) beatSwitches.push({ from: beats[i - 1].runner, to: beats[i].runner, gapMs: Math.round(g), at: Math.round(beats[i].ms) })
}
// overlap: two runners beating in the same 1 s window more than once
const perSec = new Map<number, Set<string>>()
for (const b of beats) { const s = Math.floor(b.ms / 1000); if (!perSec.has(s)) perSec.set(s, new Set()); perSec.get(s)!.add(b.runner) }
const multiSec = [...perSec.values()].filter((s) => s.size > 1).length
const resume = gaps.filter((g) => g.resumeMs !== undefined).map((g) => g.resumeMs!) .sort((a, b) => a - b)
const unresumed = gaps.filter((g) => g.before === victimName && g.resumeMs === undefined).map((g) => g.key)
const lastT = Math.max(...replies.map((r) => r.done))
const keysLast10s = new Set(replies.filter((r) => r.done > lastT - 10000).map((r) => r.key)).size
const summary = {
  scenario: scn, label, fast: process.env.FAST ?? "1", persisted: process.env.PERSISTED ?? "0",
  startupMs: startup, victim: victimName,
  replies: replies.length, fails: fails.length, failSamples: fails.slice(0, 3).map((f) => f.err),
  keys: byKey.size, victimKeys: victimKeys.length,
  victimResumeMs: resume.length ? { min: resume[0], median: resume[Math.floor(resume.length / 2)], max: resume[resume.length - 1] } : null,
  unresumed,
  maxGapAllKeysMs: Math.max(...gaps.map((g) => g.maxGapMs)),
  maxGapNonVictimKeysMs: Math.max(0, ...gaps.filter((g) => g.before !== victimName).map((g) => g.maxGapMs)),
  keysAnsweredInLast10s: keysLast10s,
  singleton: { beats: beats.length, maxBeatGapMs: Math.round(maxBeatGap), switches: beatSwitches.map((s) => ({ ...s, sinceFirstSignalMs: s.at - T })), secondsWithTwoRunners: multiSec },
  events
}
writeFileSync(`${dir}/summary.json`, JSON.stringify(summary, null, 2))
const { events: _e, ...brief } = summary
console.log(JSON.stringify(brief, null, 2))
await db.end()
