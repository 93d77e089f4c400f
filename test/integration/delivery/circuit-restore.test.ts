import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted, Scope } from "effect"
import { Settings } from "../../../src/config.js"
import { MigrationsLive } from "../../../src/db/migrations.js"
import { LogNotificationsLive } from "../../../src/eventstore/notifications.js"
import * as Webhook from "../../../src/domain/webhook.js"
import { EventStore, EventStoreLive } from "../../../src/eventstore/event-store.js"
import { createTestDatabase } from "../../support/database.js"
import { createWebhook, engineOn, publish, webhookEvent } from "../../support/delivery.js"
import { eventually } from "../../support/eventually.js"
import { receiver } from "./receiver.js"

// A cooldown far beyond the test's timeout: only the URL check lets the delivery through in time.
const settings = { circuitFailureThreshold: 2, circuitCooldownMs: 60_000, circuitMaxCooldownMs: 120_000, deliveryTimeoutMs: 1000 }

/** One run of the engine, on the test's database, for as long as `body` runs. */
const run = <A, E, R>(url: string, body: Effect.Effect<A, E, R>) => within(engineOn(url, settings), body)

/** The event store alone, no engine: for a change made while the engine is stopped. */
const storeOn = (url: string) =>
  EventStoreLive.pipe(
    Layer.provideMerge(LogNotificationsLive),
    Layer.provideMerge(Settings.layerWith({})),
    Layer.provideMerge(MigrationsLive),
    Layer.provideMerge(PgClient.layer({ url: Redacted.make(url), maxConnections: 2 }))
  )

const within = <A, E, R, ROut, E2>(layer: Layer.Layer<ROut, E2>, body: Effect.Effect<A, E, R>) =>
  Effect.scoped(
    Effect.flatMap(Scope.Scope, (scope) =>
      Effect.flatMap(Layer.buildWithScope(layer, scope), (context) => Effect.provide(body, context))
    )
  )

describe("a circuit restored after a restart", () => {
  it.live("starts closed when the webhook's URL changed while the engine was stopped", () =>
    Effect.gen(function* () {
      const url = yield* Effect.promise(createTestDatabase)
      const failing = yield* receiver((_, res) => {
        res.writeHead(500)
        res.end()
      })
      const healthy = yield* receiver((_, res) => {
        res.writeHead(200)
        res.end()
      })
      const endpointTypes = (webhook: string) =>
        Effect.flatMap(EventStore, (store) => Effect.map(store.readStream(`endpoint-${webhook}`), (es) => es.map((e) => e.type)))

      const webhook = yield* run(
        url,
        Effect.gen(function* () {
          const id = yield* createWebhook({ url: failing.url, maxConcurrency: 1, retrySchedule: Array(20).fill(0) })
          yield* publish(1)
          yield* eventually(endpointTypes(id), (types) => types.includes("CircuitOpened"))
          return id
        })
      )
      const opened = yield* within(storeOn(url), Effect.flatMap(EventStore, (store) => store.readStream(`endpoint-${webhook}`)))
      expect(opened.find((e) => e.type === "CircuitOpened")?.data).toMatchObject({ url: failing.url })

      // The change lands while no engine runs: the next start finds the circuit open, for the old URL.
      yield* within(storeOn(url), webhookEvent(webhook, Webhook.WebhookUrlChanged.make({ url: healthy.url })))
      yield* run(
        url,
        Effect.gen(function* () {
          yield* eventually(Effect.sync(() => healthy.requests.length), (n) => n >= 1)
          expect(healthy.requests.length).toBeGreaterThanOrEqual(1)
          const store = yield* EventStore
          const events = yield* eventually(store.readStream(`endpoint-${webhook}`), (es) => es.some((e) => e.type === "CircuitClosed"))
          expect(events.find((e) => e.type === "CircuitClosed")?.data).toMatchObject({ reason: "url changed" })
        })
      )
      expect(failing.requests.length).toBe(2)
    }), 60_000)
})
