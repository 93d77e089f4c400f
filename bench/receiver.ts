/**
 * The webhook receiver the benchmarks send to: a separate Node process, so the receiver's CPU is paid
 * on the same two cores as Hookline's, as it would be on one small machine. Started by
 * bench/receiver-launcher.ts with an IPC channel; it reports its port with a "ready" message and then
 * takes commands (stats, reset, configure, arrivals).
 *
 * It stops by itself when the parent goes away (IPC disconnect) or after HOOKLINE_BENCH_RECEIVER_MAX_SECONDS,
 * so a crashed benchmark never leaves it behind.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { performance } from "node:perf_hooks"
import {
  type Arrival,
  type Behaviour,
  type Command,
  defaultBehaviour,
  type ReceiverConfig,
  type ReceiverStats,
  type Request,
  type RouteStats,
  type ToParent
} from "./receiver-protocol.js"

// Bounds the memory of recordArrivals: far above any case's volume, far below a crash.
const maxArrivals = 2_000_000
const maxLifetimeSeconds = Number(process.env.HOOKLINE_BENCH_RECEIVER_MAX_SECONDS ?? "900")

interface MutableStats {
  requests: number
  succeeded: number
  failed: number
  hung: number
  bodyBytes: number
}

const emptyStats = (): MutableStats => ({ requests: 0, succeeded: 0, failed: 0, hung: 0, bodyBytes: 0 })

interface Route {
  readonly prefix: string
  readonly behaviour: Behaviour
  stats: MutableStats
}

let fallback: Route = { prefix: "", behaviour: defaultBehaviour, stats: emptyStats() }
// Longest prefix first, so "/a/b" wins over "/a".
let routes: Array<Route> = []
let recordArrivals = false
let arrivals: Array<Arrival> = []
let seenIds = new Map<string, number>()
// Held-open requests: answered (destroyed) on reset so a hanging route does not leak sockets across cases.
const hanging = new Set<ServerResponse>()

const routeOf = (url: string | undefined): Route => {
  if (routes.length === 0 || url === undefined) return fallback
  for (const route of routes) if (url.startsWith(route.prefix)) return route
  return fallback
}

const respond = (res: ServerResponse, status: number) => {
  res.writeHead(status, { "content-type": "text/plain", "content-length": "2" })
  res.end("ok")
}

const handle = (req: IncomingMessage, res: ServerResponse) => {
  // Arrival is when the request's head is in, before the body: what a real receiver would timestamp.
  const at = recordArrivals ? performance.timeOrigin + performance.now() : 0
  const route = routeOf(req.url)
  const stats = route.stats
  stats.requests++
  let bytes = 0
  req.on("data", (chunk: Buffer) => {
    bytes += chunk.length
  })
  req.on("end", () => {
    stats.bodyBytes += bytes
    const behaviour = route.behaviour
    if (behaviour.hang) {
      stats.hung++
      hanging.add(res)
      res.on("close", () => hanging.delete(res))
      return
    }
    const failing = behaviour.failRate > 0 && Math.random() < behaviour.failRate
    const answer = () => {
      if (failing) {
        stats.failed++
        respond(res, behaviour.failStatus)
        return
      }
      stats.succeeded++
      if (recordArrivals) {
        const header = req.headers["webhook-id"]
        const id = typeof header === "string" ? header : ""
        seenIds.set(id, (seenIds.get(id) ?? 0) + 1)
        if (arrivals.length < maxArrivals) arrivals.push({ id, at })
      }
      respond(res, 200)
    }
    if (behaviour.delayMs > 0) setTimeout(answer, behaviour.delayMs)
    else answer()
  })
}

const sum = (all: ReadonlyArray<RouteStats>): RouteStats =>
  all.reduce(
    (a, b) => ({
      requests: a.requests + b.requests,
      succeeded: a.succeeded + b.succeeded,
      failed: a.failed + b.failed,
      hung: a.hung + b.hung,
      bodyBytes: a.bodyBytes + b.bodyBytes
    }),
    emptyStats()
  )

const stats = (): ReceiverStats => {
  const all = [fallback, ...routes]
  const byRoute: Record<string, RouteStats> = {}
  for (const route of all) byRoute[route.prefix] = { ...route.stats }
  let duplicateIds = 0
  for (const count of seenIds.values()) if (count > 1) duplicateIds++
  return { ...sum(all.map((r) => r.stats)), byRoute, distinctIds: seenIds.size, duplicateIds }
}

const reset = () => {
  fallback.stats = emptyStats()
  for (const route of routes) route.stats = emptyStats()
  arrivals = []
  seenIds = new Map()
  for (const res of hanging) res.destroy()
  hanging.clear()
}

const configure = (config: ReceiverConfig) => {
  fallback = { prefix: "", behaviour: { ...defaultBehaviour, ...config.behaviour }, stats: emptyStats() }
  routes = Object.entries(config.routes ?? {})
    .map(([prefix, behaviour]) => ({
      prefix,
      behaviour: { ...defaultBehaviour, ...config.behaviour, ...behaviour },
      stats: emptyStats()
    }))
    .sort((a, b) => b.prefix.length - a.prefix.length)
  recordArrivals = config.recordArrivals ?? false
  reset()
}

const run = (command: Command): unknown => {
  switch (command.op) {
    case "stats":
      return stats()
    case "reset":
      reset()
      return null
    case "configure":
      configure(command.config)
      return null
    case "arrivals":
      return arrivals
  }
}

const send = (message: ToParent) => {
  process.send?.(message)
}

if (process.send === undefined) {
  console.error("bench/receiver.ts must be started by bench/receiver-launcher.ts (it needs an IPC channel)")
  process.exit(2)
}

const server = createServer({ keepAlive: true }, handle)
// Clients keep their pooled connections for the whole case; do not let the server close them under load.
server.keepAliveTimeout = 60_000
server.headersTimeout = 65_000
server.requestTimeout = 0

process.on("message", (message: Request) => {
  try {
    send({ type: "reply", id: message.id, ok: true, result: run(message.command) })
  } catch (error) {
    send({ type: "reply", id: message.id, ok: false, error: String(error) })
  }
})
process.on("disconnect", () => process.exit(0))
setTimeout(() => {
  console.error(`receiver: exiting after its ${maxLifetimeSeconds} s limit`)
  process.exit(1)
}, maxLifetimeSeconds * 1000).unref()

server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("receiver: no TCP address")
  send({ type: "ready", port: address.port })
})
