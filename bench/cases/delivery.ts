/**
 * End-to-end delivery throughput: events published through the batch route, dispatched, sent by the
 * endpoint actors to the receiver process, every outcome recorded in the log. Timed from the first
 * publish to the moment the receiver holds every delivery and the log holds every AttemptSucceeded,
 * against raw undici POSTs to the same receiver measured by `ceiling` in this run.
 *
 * (a) 1:1: 50 accounts with one webhook each, every event to exactly one webhook (30,000 events, see below);
 * (b) fan-out: one account with 10 webhooks, every event to all 10.
 * Webhooks keep Hookline's default per-endpoint concurrency: that is what a customer gets.
 */
import { performance } from "node:perf_hooks"
import { Duration, Effect } from "effect"
import { defineCase, type Metric } from "../harness.js"
import { startHookline } from "../hookline.js"
import { awaitDelivered, countOutcomes, fail, makeTenants, publishAll, publishedEvent } from "../delivery-load.js"
import ceiling from "./ceiling.js"
import { postgresCpuSeconds, processCpuSeconds } from "../cpu.js"

const batchSize = 500
const publishConcurrency = 4

export default defineCase({
  name: "delivery",
  description: "deliveries/s end to end (publish → receiver → outcome recorded), 1:1 and 10× fan-out, against raw undici",
  order: 30,
  expectedSeconds: { full: 50, quick: 15 },
  run: (ctx) =>
    Effect.gen(function* () {
      const ceilings = yield* ctx.require(ceiling)
      // The issue asks for 50,000 events; at today's ~1,300 deliveries/s that alone is 40 s of a 6-minute run,
      // so 30,000 until the engine is faster (raise it back then: the rate is what is compared).
      const oneToOne = { webhooks: 50, eventsPerWebhook: ctx.quick ? 40 : 600 }
      const fanOut = { webhooks: 10, events: ctx.quick ? 200 : 1000 }

      ctx.progress.step("starting the receiver, the database and Hookline")
      const receiver = yield* ctx.receiver()
      const db = yield* ctx.database("delivery")
      const pool = yield* db.pool(2)
      const hookline = yield* startHookline({ database: db })

      ctx.progress.step(`creating ${oneToOne.webhooks + fanOut.webhooks} webhooks`)
      const single = yield* makeTenants(hookline, {
        label: "one-to-one",
        accounts: oneToOne.webhooks,
        webhooksPerAccount: 1,
        webhook: (a) => ({ name: `one ${a}`, url: `${receiver.origin}/one/${a}` })
      })
      const [fan] = yield* makeTenants(hookline, {
        label: "fan-out",
        accounts: 1,
        webhooksPerAccount: fanOut.webhooks,
        webhook: (_, w) => ({ name: `fan ${w}`, url: `${receiver.origin}/fan/${w}` })
      })
      if (fan === undefined) return yield* fail("no fan-out account")

      const measure = (label: string, plans: Parameters<typeof publishAll>[1], expected: number, recordedBefore: number) =>
        Effect.gen(function* () {
          yield* receiver.reset
          const line = ctx.progress.live(label, () => "")
          const start = performance.now()
          const cpuBefore = { hookline: processCpuSeconds(hookline.pid), postgres: postgresCpuSeconds() }
          const published = yield* publishAll(hookline, plans, { batchSize, concurrency: publishConcurrency })
          const publishedSeconds = (performance.now() - start) / 1000
          const done = yield* awaitDelivered(receiver, pool, {
            start,
            expected,
            expectedRecorded: recordedBefore + expected,
            timeout: Duration.seconds(ctx.quick ? 60 : 120)
          })
          const stats = yield* receiver.stats
          const pgAfter = postgresCpuSeconds()
          // Microseconds of CPU per delivery, whole pipeline (publish, dispatch, send, record, project).
          const cpu = {
            hookline: ((processCpuSeconds(hookline.pid) - cpuBefore.hookline) / expected) * 1e6,
            postgres: pgAfter === undefined || cpuBefore.postgres === undefined ? undefined : ((pgAfter - cpuBefore.postgres) / expected) * 1e6
          }
          const rate = expected / done.seconds
          line.done(`${Math.round(rate).toLocaleString("en-US")} deliveries/s`)
          return { rate, published, publishedSeconds, done, extra: stats.succeeded - expected, cpu }
        })

      const a = yield* measure(
        `1:1, ${oneToOne.webhooks} webhooks × ${oneToOne.eventsPerWebhook} events`,
        single.map((t, i) => ({
          account: t.account,
          events: Array.from({ length: oneToOne.eventsPerWebhook }, (_, n) => publishedEvent(`one-${i}-${n}`, n))
        })),
        oneToOne.webhooks * oneToOne.eventsPerWebhook,
        0
      )
      const b = yield* measure(
        `fan-out, ${fanOut.events} events × ${fanOut.webhooks} webhooks`,
        [{ account: fan.account, events: Array.from({ length: fanOut.events }, (_, n) => publishedEvent(`fan-${n}`, n)) }],
        fanOut.events * fanOut.webhooks,
        oneToOne.webhooks * oneToOne.eventsPerWebhook
      )
      const outcomes = yield* countOutcomes(pool)

      const ceilingMetric = { name: "raw undici POST (ceiling)", value: ceilings.httpRequestsPerSecond }
      const note = (r: typeof a) =>
        `${r.published.toLocaleString("en-US")} events published in ${r.publishedSeconds.toFixed(1)} s; ` +
        `all received at ${r.done.receivedSeconds.toFixed(1)} s, recorded at ${r.done.seconds.toFixed(1)} s` +
        (r.extra > 0 ? `; ${r.extra} extra (repeated) deliveries` : "") +
        `; CPU per delivery: Hookline ${Math.round(r.cpu.hookline)} µs` +
        (r.cpu.postgres === undefined ? "" : `, PostgreSQL ${Math.round(r.cpu.postgres)} µs`)
      const metrics: Array<Metric> = [
        {
          name: `1:1 (${oneToOne.webhooks} webhooks, ${(oneToOne.webhooks * oneToOne.eventsPerWebhook).toLocaleString("en-US")} events)`,
          value: a.rate,
          unit: "deliveries/s",
          ceiling: ceilingMetric,
          target: { kind: "ratioAtLeast", ratio: 0.4 },
          note: note(a)
        },
        {
          name: `fan-out ×${fanOut.webhooks} (${fanOut.events.toLocaleString("en-US")} events)`,
          value: b.rate,
          unit: "deliveries/s",
          ceiling: ceilingMetric,
          target: { kind: "ratioAtLeast", ratio: 0.5 },
          note: `${note(b)}; ${outcomes.failed} failed attempts in the log`
        }
      ]
      return { value: undefined, metrics }
    })
})
