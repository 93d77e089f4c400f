/**
 * Delivery while the receiver fails 10 % of requests with 500: deliveries/s until every event is held by
 * the receiver once, and the two counts that must stay at zero, lost deliveries and deliveries answered
 * 2xx twice. 20 accounts with one webhook each, so the `webhook-id` (the event id) names one delivery.
 *
 * Shortened for the benchmark (the defaults would park a retry for 5 s, then 5 min, and a circuit for
 * 30 s): retries after 1 s, ten of them; the due-delivery scan every 200 ms; circuit cooldown 1 s.
 * The circuit breaker itself stays on, with its default threshold.
 */
import { performance } from "node:perf_hooks"
import { Duration, Effect, Result } from "effect"
import { defineCase } from "../harness.js"
import { startHookline, waitUntil } from "../hookline.js"
import { countOutcomes, makeTenants, publishAll, publishedEvent } from "../delivery-load.js"
import ceiling from "./ceiling.js"

const accounts = 20
const failRate = 0.1

export default defineCase({
  name: "faults",
  description: "deliveries/s with 10 % of requests failing (500), retried; lost and delivered-twice counts",
  order: 50,
  expectedSeconds: { full: 30, quick: 12 },
  run: (ctx) =>
    Effect.gen(function* () {
      const ceilings = yield* ctx.require(ceiling)
      const perWebhook = ctx.quick ? 50 : 200
      const total = accounts * perWebhook
      ctx.progress.step("starting the receiver, the database and Hookline")
      const receiver = yield* ctx.receiver({ behaviour: { failRate, failStatus: 500 }, recordArrivals: true })
      const db = yield* ctx.database("faults")
      const pool = yield* db.pool(2)
      const hookline = yield* startHookline({
        database: db,
        env: {
          HOOKLINE_RETRY_SCHEDULE: "1,1,1,1,1,1,1,1,1,1",
          HOOKLINE_SCAN_INTERVAL_MS: "200",
          HOOKLINE_CIRCUIT_COOLDOWN_MS: "1000"
        }
      })
      const tenants = yield* makeTenants(hookline, {
        label: "faults",
        accounts,
        webhooksPerAccount: 1,
        webhook: (a) => ({ name: `faults ${a}`, url: `${receiver.origin}/faults/${a}` })
      })
      yield* receiver.reset

      const line = ctx.progress.live(`${total.toLocaleString("en-US")} deliveries, ${failRate * 100} % failing`, () => "")
      const start = performance.now()
      yield* publishAll(
        hookline,
        tenants.map((t, a) => ({
          account: t.account,
          events: Array.from({ length: perWebhook }, (_, n) => publishedEvent(`fault-${a}-${n}`, n))
        })),
        { batchSize: 500, concurrency: 4 }
      )
      let distinct = 0
      const completed = yield* Effect.result(
        waitUntil(
          "every delivery to succeed once",
          Effect.map(receiver.stats, (s) => {
            distinct = s.distinctIds
            return distinct >= total
          }),
          { timeout: Duration.seconds(ctx.quick ? 40 : 90), intervalMs: 25, describe: () => `${distinct} of ${total}` }
        )
      )
      const seconds = (performance.now() - start) / 1000
      // Long enough for a wrongly repeated attempt to show: a few scan rounds and a retry delay.
      yield* Effect.sleep(Duration.seconds(ctx.quick ? 1.5 : 3))
      const stats = yield* receiver.stats
      const outcomes = yield* countOutcomes(pool)
      const lost = total - stats.distinctIds
      line.done(
        Result.isSuccess(completed)
          ? `${Math.round(total / seconds).toLocaleString("en-US")} deliveries/s`
          : `incomplete after ${seconds.toFixed(0)} s`
      )
      return {
        value: undefined,
        metrics: [
          {
            name: `deliveries/s, ${failRate * 100} % failing (${total.toLocaleString("en-US")} deliveries)`,
            value: (total - lost) / seconds,
            unit: "deliveries/s",
            ceiling: { name: "raw undici POST (ceiling)", value: ceilings.httpRequestsPerSecond },
            note:
              `${stats.requests.toLocaleString("en-US")} requests, ${stats.failed.toLocaleString("en-US")} answered 500; ` +
              `log: ${outcomes.succeeded.toLocaleString("en-US")} AttemptSucceeded, ${outcomes.failed.toLocaleString("en-US")} AttemptFailed`
          },
          { name: "lost (never delivered)", value: lost, unit: "deliveries", target: { kind: "atMost", value: 0 } },
          {
            name: "successfully delivered twice",
            value: stats.duplicateIds,
            unit: "deliveries",
            target: { kind: "atMost", value: 0 }
          },
          {
            name: "successes not recorded (or recorded twice)",
            value: Math.abs(outcomes.succeeded - stats.succeeded),
            unit: "attempts",
            target: { kind: "atMost", value: 0 }
          }
        ]
      }
    })
})
