/**
 * Delivery latency under a steady offered load: first 100 events/s (a quiet machine: what the path itself
 * costs, with nothing to wait behind), then 1,000 events/s, each sent on a clock (open loop: a slow
 * answer does not slow the offered rate) as one `POST /v1/events/batch` every 10 ms carrying the events
 * due (about 10), rotating over 10 accounts with one webhook each. Batches, because one request per event
 * through the Effect HTTP server costs more than the event (the `ingest` case measures that route), and
 * this case is about the delivery pipeline's latency. Latency is from the publish's 202 (the event is durable) to the receiver's arrival
 * timestamp (the request head in), both wall-clock milliseconds of their own processes
 * (`performance.timeOrigin + performance.now()`).
 */
import { performance } from "node:perf_hooks"
import { Duration, Effect } from "effect"
import { Agent, request } from "undici"
import { defineCase } from "../harness.js"
import { percentile, startHookline, waitUntil } from "../hookline.js"
import { makeTenants } from "../delivery-load.js"
import { messageCreated } from "../payloads.js"

const accounts = 10
/**
 * Publishes in flight (a second of load) beyond which Hookline is not keeping up: the offered load stops
 * there, so an overloaded run ends in seconds and reports what it measured, rather than queueing on.
 */
const maxInFlight = 1000
const tickMs = 10

/**
 * Events offered by `seconds` into the run. The warm-up ramps the rate up from a fifth of it: a process
 * that has just started (code not yet optimised by V8, pools and actors not yet grown) meets the full rate
 * once it has run for a few seconds, as a deployed one does. Thrown at full rate from its first second, a
 * cold process here fell about a second behind and needed some ten seconds to catch up.
 */
const offeredBy = (ratePerSecond: number, seconds: number, warmup: number): number =>
  seconds < warmup
    ? ratePerSecond * (0.2 * seconds + (0.4 * seconds * seconds) / warmup)
    : ratePerSecond * (0.6 * warmup + (seconds - warmup))

const now = () => performance.timeOrigin + performance.now()

export default defineCase({
  name: "latency",
  description: "publish (202) → receiver arrival at a steady 100 and 1,000 events/s: p50, p99, max",
  order: 40,
  expectedSeconds: { full: 55, quick: 18 },
  run: (ctx) =>
    Effect.gen(function* () {
      ctx.progress.step("starting the receiver, the database and Hookline")
      const receiver = yield* ctx.receiver({ recordArrivals: true })
      const db = yield* ctx.database("latency")
      const hookline = yield* startHookline({ database: db })
      const tenants = yield* makeTenants(hookline, {
        label: "latency",
        accounts,
        webhooksPerAccount: 1,
        webhook: (a) => ({ name: `latency ${a}`, url: `${receiver.origin}/latency/${a}` })
      })
      yield* receiver.reset
      const agent = yield* Effect.acquireRelease(
        Effect.sync(() => new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, connections: 256 })),
        (a) => Effect.promise(() => a.close())
      )
      const data = JSON.stringify(messageCreated(1))
      const headersOf = tenants.map((t) => ({ "content-type": "application/json", authorization: `Bearer ${t.account.apiKey}` }))

      /** One steady load at `ratePerSecond`; ids carry `prefix`, so each point measures its own arrivals. */
      const measure = (ratePerSecond: number, warmupSeconds: number, measureSeconds: number, prefix: string) =>
        Effect.gen(function* () {
          const distinctBefore = (yield* receiver.stats).distinctIds
          const total = Math.round(offeredBy(ratePerSecond, warmupSeconds + measureSeconds, warmupSeconds))
          const warmupCount = Math.round(offeredBy(ratePerSecond, warmupSeconds, warmupSeconds))
          const acked = new Float64Array(total)
          const published = new Float64Array(total)
          let inFlight = 0
          let maxSeenInFlight = 0
          let failure: string | undefined
          let sent = 0
          let overloadedAt: number | undefined

          let batches = 0
          const sendBatch = (from: number, to: number) => {
            const count = to - from
            inFlight += count
            maxSeenInFlight = Math.max(maxSeenInFlight, inFlight)
            const at = now()
            const events: Array<string> = []
            for (let n = from; n < to; n++) {
              published[n] = at
              events.push(`{"id":"${prefix}${n}","type":"message.created","data":${data}}`)
            }
            request(`${hookline.origin}/v1/events/batch`, {
              method: "POST",
              headers: headersOf[batches++ % accounts]!,
              body: `{"events":[${events.join(",")}]}`,
              dispatcher: agent
            })
              .then(async (response) => {
                const text = await response.body.text()
                if (response.statusCode !== 200) failure ??= `publish answered ${response.statusCode}`
                else if ((JSON.parse(text) as { accepted: number }).accepted !== count) failure ??= `a batch item was refused: ${text.slice(0, 300)}`
                const ackedAt = now()
                for (let n = from; n < to; n++) acked[n] = ackedAt
              })
              .catch((error: unknown) => {
                failure ??= `publish failed: ${String(error)}`
              })
              .finally(() => (inFlight -= count))
          }

          // The offered load: on each tick, send what the clock says is due, never more than behind.
          const line = ctx.progress.live(`${ratePerSecond} events/s for ${warmupSeconds + measureSeconds} s`, () => "")
          const start = performance.now()
          yield* Effect.callback<void, Error>((resume) => {
            const timer = setInterval(() => {
              const due = Math.min(total, Math.floor(offeredBy(ratePerSecond, (performance.now() - start) / 1000, warmupSeconds)))
              if (sent < due) {
                if (inFlight >= maxInFlight) {
                  overloadedAt = (performance.now() - start) / 1000
                  clearInterval(timer)
                  resume(Effect.void)
                  return
                }
                sendBatch(sent, due)
                sent = due
              }
              if (failure !== undefined) {
                clearInterval(timer)
                resume(Effect.fail(new Error(failure)))
              } else if (sent >= total) {
                clearInterval(timer)
                resume(Effect.void)
              }
            }, tickMs)
            return Effect.sync(() => clearInterval(timer))
          })
          yield* waitUntil("every publish to be answered", Effect.sync(() => inFlight === 0), { timeout: Duration.seconds(30) })
          if (failure !== undefined) return yield* Effect.fail(new Error(failure))
          let distinct = 0
          yield* waitUntil(
            "every event to arrive",
            Effect.map(receiver.stats, (s) => {
              distinct = s.distinctIds
              return distinct >= sent + distinctBefore
            }),
            { timeout: Duration.seconds(60), intervalMs: 100, describe: () => `${distinct - distinctBefore} of ${sent}` }
          )
          const arrivals = yield* receiver.arrivals
          line.done(`${arrivals.length.toLocaleString("en-US")} arrivals`)

          const latencies: Array<number> = []
          const fromPublish: Array<number> = []
          let early = 0
          // An overloaded run may stop within the warm-up: then everything sent is measured.
          const measuredFrom = sent > warmupCount ? warmupCount : 0
          for (const arrival of arrivals) {
            if (!arrival.id.startsWith(prefix)) continue
            const n = Number(arrival.id.slice(prefix.length))
            if (!Number.isInteger(n) || n < measuredFrom || n >= sent) continue
            const latency = arrival.at - acked[n]!
            // The delivery can beat the 202 to its client: that is a latency of nothing, not a negative one.
            if (latency < 0) early++
            latencies.push(Math.max(0, latency))
            fromPublish.push(arrival.at - published[n]!)
          }
          latencies.sort((a, b) => a - b)
          fromPublish.sort((a, b) => a - b)
          const overload =
            overloadedAt === undefined
              ? ""
              : `NOT SUSTAINED: ${maxInFlight} publishes were in flight after ${overloadedAt.toFixed(1)} s, the offered load stopped there (${sent} sent); `
          const note = `${overload}${latencies.length.toLocaleString("en-US")} deliveries measured after a ${warmupSeconds} s warm-up ramping up to the rate; ${early} arrived before their 202 reached the client; most publishes in flight: ${maxSeenInFlight}`
          return { latencies, fromPublish, note }
        })

      const quiet = yield* measure(100, ctx.seconds(2, 1), ctx.seconds(10, 3), "quiet-")
      const busy = yield* measure(1000, ctx.seconds(5, 1), ctx.seconds(20, 2), "lat-")
      return {
        value: undefined,
        metrics: [
          { name: "p50, 202 → arrival, 100 events/s", value: percentile(quiet.latencies, 50), unit: "ms", note: quiet.note, target: { kind: "atMost", value: 5 } },
          { name: "p99, 202 → arrival, 100 events/s", value: percentile(quiet.latencies, 99), unit: "ms" },
          { name: "p50, 202 → arrival, 1,000 events/s", value: percentile(busy.latencies, 50), unit: "ms", note: busy.note },
          { name: "p99, 202 → arrival", value: percentile(busy.latencies, 99), unit: "ms", target: { kind: "atMost", value: 25 } },
          { name: "max, 202 → arrival", value: busy.latencies[busy.latencies.length - 1] ?? Number.NaN, unit: "ms", target: { kind: "atMost", value: 100 } },
          {
            name: "p99, request sent → arrival (for reference)",
            value: percentile(busy.fromPublish, 99),
            unit: "ms"
          }
        ]
      }
    })
})
