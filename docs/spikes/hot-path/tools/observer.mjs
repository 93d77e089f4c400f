// h13 instrumentation, loaded with --import into the Hookline child. SIGUSR2 toggles a measurement window:
// GC time by kind (perf_hooks), CPU (process.cpuUsage), and, if H13_HEAP=1, the sampling heap profiler
// including objects already collected (allocation, not retention). Writes H13_OBS_DIR/obs-<pid>-<n>.json.
import { PerformanceObserver, constants } from "node:perf_hooks"
import inspector from "node:inspector"
import { writeFileSync } from "node:fs"

const dir = process.env.H13_OBS_DIR ?? "/tmp"
const heap = process.env.H13_HEAP === "1"
const kinds = { [constants.NODE_PERFORMANCE_GC_MINOR]: "minor", [constants.NODE_PERFORMANCE_GC_MAJOR]: "major", [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental", [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb" }
let gc = {}
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const k = kinds[e.detail?.kind ?? e.kind] ?? String(e.detail?.kind)
    const g = (gc[k] ??= { count: 0, ms: 0 })
    g.count++; g.ms += e.duration
  }
})
obs.observe({ entryTypes: ["gc"] })
const session = new inspector.Session()
session.connect()
const post = (m, p) => new Promise((res, rej) => session.post(m, p ?? {}, (err, r) => (err ? rej(err) : res(r))))
let open = null, n = 0
process.on("SIGUSR2", async () => {
  if (open === null) {
    gc = {}
    open = { cpu: process.cpuUsage(), t: process.hrtime.bigint(), mem: process.memoryUsage() }
    if (heap) await post("HeapProfiler.startSampling", { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  } else {
    const cpu = process.cpuUsage(open.cpu)
    const wallMs = Number(process.hrtime.bigint() - open.t) / 1e6
    let profile
    if (heap) profile = (await post("HeapProfiler.stopSampling")).profile
    const out = { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, gc: structuredClone(gc), memStart: open.mem, memEnd: process.memoryUsage() }
    writeFileSync(`${dir}/obs-${process.pid}-${n}.json`, JSON.stringify(out))
    if (profile) writeFileSync(`${dir}/heap-${process.pid}-${n}.heapprofile`, JSON.stringify(profile))
    n++
    open = null
  }
})
