// From the runners' "owned" lines: for every key, the intervals during which each runner process believed it
// owned it (Sharding.hasShardId true). An interval is [acquiredObservedAt, releasedNoEarlierThan]; a definite
// overlap is when process B observed ownership at a time when process A still observed ownership (A's poll
// before its release observation). A process's ownership ends at the latest at its exit/kill (scenario events).
import { readdirSync, readFileSync } from "node:fs"
const dir = process.argv[2]
const summary = JSON.parse(readFileSync(`${dir}/summary.json`, "utf8"))
type Ev = { t: number; prev: number; inc: string; keys: Array<string> }
const evs: Array<Ev> = []
const incEnd = new Map<string, number>()
const spawnPid = new Map<number, string>()
const deathByPid = new Map<number, number>()
for (const e of summary.events) if (e.ev === "signal" && (e.sig === "SIGKILL" || e.sig === "SIGTERM")) deathByPid.set(e.pid, e.t)
for (const f of readdirSync(dir).filter((f) => f.endsWith(".log") && f !== "load.log")) {
  for (const l of readFileSync(`${dir}/${f}`, "utf8").split("\n")) {
    if (!l.startsWith("{")) continue
    const o = JSON.parse(l)
    if (o.ev === "owned" && o.pid) {
      const inc = `${o.runner}#${o.pid}`
      evs.push({ t: o.t, prev: o.prevCheck, inc, keys: o.keys })
      // SIGKILL: dead at the signal; SIGTERM: shutdown starts at the signal (hasShardId false from then on)
      if (deathByPid.has(o.pid)) incEnd.set(inc, deathByPid.get(o.pid)!)
    }
  }
}
evs.sort((a, b) => a.t - b.t)
const cur = new Map<string, Set<string>>()
const lastSeen = new Map<string, number>()
const openAt = new Map<string, number>() // inc|key -> t first observed
const intervals: Array<{ key: string; inc: string; from: number; stillAt: number }> = []
for (const e of evs) {
  const prev = cur.get(e.inc) ?? new Set()
  const next = new Set(e.keys)
  for (const k of prev) if (!next.has(k)) { intervals.push({ key: k, inc: e.inc, from: openAt.get(`${e.inc}|${k}`)!, stillAt: e.prev }); openAt.delete(`${e.inc}|${k}`) }
  for (const k of next) if (!prev.has(k)) openAt.set(`${e.inc}|${k}`, e.t)
  cur.set(e.inc, next)
}
for (const [ik, from] of openAt) { const [inc, key] = ik.split("|"); intervals.push({ key, inc, from, stillAt: incEnd.get(inc) ?? Number.MAX_SAFE_INTEGER }) }
let overlaps = 0, worst = 0
const samples: Array<string> = []
const byKey = new Map<string, typeof intervals>()
for (const i of intervals) { if (!byKey.has(i.key)) byKey.set(i.key, []); byKey.get(i.key)!.push(i) }
for (const [k, is] of byKey) for (let a = 0; a < is.length; a++) for (let b = a + 1; b < is.length; b++) {
  const x = is[a], y = is[b]
  if (x.inc === y.inc) continue
  const ov = Math.min(x.stillAt, y.stillAt) - Math.max(x.from, y.from)
  if (ov > 0 && Math.min(x.stillAt, y.stillAt) < Number.MAX_SAFE_INTEGER) { overlaps++; worst = Math.max(worst, ov); if (samples.length < 5) samples.push(`${k}: ${x.inc} ${x.from}..${x.stillAt} / ${y.inc} ${y.from}..${y.stillAt} (${ov} ms)`) }
}
console.log(JSON.stringify({ dir, intervals: intervals.length, definiteOverlaps: overlaps, worstOverlapMs: worst, samples }, null, 1))
