/**
 * A slow or dead endpoint must not slow the others. 48 healthy webhooks (one account each, every event
 * to one webhook) are measured alone first, then again with two bad ones taking the same traffic: one
 * that never answers (each attempt holds a connection until Hookline's delivery timeout, 15 s by
 * default) and one that always answers 500 (retries, then its circuit opens). Figure: the healthy
 * deliveries/s with the bad two against without them, in the same Hookline process and run.
 *
 * The two phases run in that order because the bad webhooks cannot be taken back out of the running
 * engine; the second phase writes to a slightly larger log, which if anything favours the first.
 */
import { performance } from "node:perf_hooks"
import { Duration, Effect } from "effect"
import { defineCase } from "../harness.js"
import { startHookline } from "../hookline.js"
import { awaitDelivered, countOutcomes, makeTenants, publishAll, publishedEvent, type Tenant } from "../delivery-load.js"

const healthyCount = 48

export default defineCase({
  name: "isolation",
  description: "48 healthy webhooks' deliveries/s with one hanging and one failing webhook, against without them",
  order: 60,
  expectedSeconds: { full: 35, quick: 14 },
  run: (ctx) =>
    Effect.gen(function* () {
      const perWebhook = ctx.quick ? 20 : 100
      const healthyTotal = healthyCount * perWebhook
      ctx.progress.step("starting the receiver, the database and Hookline")
      const receiver = yield* ctx.receiver({
        routes: { "/bad/hang/": { hang: true }, "/bad/fail/": { failRate: 1, failStatus: 500 } }
      })
      const db = yield* ctx.database("isolation")
      const pool = yield* db.pool(2)
      const hookline = yield* startHookline({ database: db })
      const healthy = yield* makeTenants(hookline, {
        label: "healthy",
        accounts: healthyCount,
        webhooksPerAccount: 1,
        webhook: (a) => ({ name: `healthy ${a}`, url: `${receiver.origin}/ok/${a}` })
      })

      let round = 0
      const phase = (label: string, tenants: ReadonlyArray<Tenant>, events = perWebhook) =>
        Effect.gen(function* () {
          round++
          const recordedBefore = (yield* countOutcomes(pool)).succeeded
          const stats0 = yield* receiver.stats
          const receivedBefore = stats0.byRoute[""]?.succeeded ?? 0
          const line = ctx.progress.live(label, () => "")
          const start = performance.now()
          yield* publishAll(
            hookline,
            tenants.map((t, a) => ({
              account: t.account,
              events: Array.from({ length: events }, (_, n) => publishedEvent(`iso-${round}-${a}-${n}`, n))
            })),
            { batchSize: 500, concurrency: 4 }
          )
          // Healthy paths fall to the receiver's default route; the bad ones have their own.
          const done = yield* awaitDelivered(receiver, pool, {
            start,
            expected: receivedBefore + healthyCount * events,
            expectedRecorded: recordedBefore + healthyCount * events,
            route: "",
            timeout: Duration.seconds(ctx.quick ? 40 : 90)
          })
          const rate = (healthyCount * events) / done.seconds
          line.done(`${Math.round(rate).toLocaleString("en-US")} healthy deliveries/s`)
          return rate
        })

      // Untimed: the first phase must not carry the JIT's and the connection pools' warm-up alone.
      yield* phase("warm-up", healthy, Math.max(5, perWebhook / 4))
      const alone = yield* phase(`${healthyCount} healthy webhooks alone`, healthy)
      const bad = yield* makeTenants(hookline, {
        label: "bad",
        accounts: 2,
        webhooksPerAccount: 1,
        webhook: (a) => ({ name: a === 0 ? "hangs" : "fails", url: `${receiver.origin}/bad/${a === 0 ? "hang" : "fail"}/` })
      })
      const withBad = yield* phase(`${healthyCount} healthy + 1 hanging + 1 failing`, [...healthy, ...bad])
      const stats = yield* receiver.stats
      const hung = stats.byRoute["/bad/hang/"]
      const failed = stats.byRoute["/bad/fail/"]
      return {
        value: undefined,
        metrics: [
          {
            name: `healthy deliveries/s with 1 hanging + 1 failing webhook (${healthyTotal.toLocaleString("en-US")} per phase)`,
            value: withBad,
            unit: "deliveries/s",
            ceiling: { name: "the same 48 webhooks alone, this run", value: alone },
            target: { kind: "ratioAtLeast", ratio: 0.9 },
            note: `hanging endpoint: ${hung?.requests ?? 0} requests held open; failing endpoint: ${failed?.requests ?? 0} requests answered 500`
          }
        ]
      }
    })
})
