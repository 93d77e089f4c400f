import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Fiber, Layer, Option, Redacted, Scope } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { Settings } from "../../../src/config.js"
import { MigrationsLive } from "../../../src/db/migrations.js"
import { EventStore, EventStoreLive } from "../../../src/eventstore/event-store.js"
import { LogNotificationsLive } from "../../../src/eventstore/notifications.js"
import { LogPosition, type NewEvent } from "../../../src/eventstore/types.js"
import { deliveriesProjection } from "../../../src/projections/deliveries.js"
import { ProjectionRegistry, ProjectionRunner, ProjectionRunnerLive } from "../../../src/projections/runner.js"
import { createTestDatabase } from "../../support/database.js"

/**
 * The delivery log's rules, through the real runner on a real database: attempts counted across
 * redeliveries, the retry schedule restarting after one, what starts the next attempt, a cancellation no
 * late failure undoes, the circuit's state and attempts by the hour. Each story is applied twice, one
 * event per batch (the SQL that updates earlier rows) and all in one batch (the in-memory fold), and
 * must give the same rows; a rebuild from the log must give them again.
 */

const runnerOn = (url: string) =>
  ProjectionRunnerLive.pipe(
    Layer.provideMerge(EventStoreLive),
    // Below the event store: its appends apply the inline projections.
    Layer.provideMerge(ProjectionRegistry.layer([deliveriesProjection])),
    Layer.provideMerge(LogNotificationsLive),
    Layer.provideMerge(Settings.layerWith({ pollIntervalMs: 50 })),
    Layer.provideMerge(MigrationsLive.pipe(Layer.provideMerge(PgClient.layer({ url: Redacted.make(url), maxConnections: 4 }))))
  )

const start = <A, E>(layer: Layer.Layer<A, E>) => Effect.flatMap(Scope.Scope, (scope) => Layer.buildWithScope(layer, scope))

let n = 0
const event = (type: string, data: Record<string, unknown>): NewEvent => ({ eventId: `e-${++n}-${Math.random()}`, type, data, metadata: {} })

const at = (minute: number) => `2026-12-08T10:${String(minute).padStart(2, "0")}:00.000Z`

const attempt = (deliveryId: string, webhookId: string, outcome: "ok" | "fail", minute: number, next: string | null) =>
  outcome === "ok"
    ? event("AttemptSucceeded", { deliveryId, webhookId, attempt: 0, at: at(minute), durationMs: 5, url: "u", requestHeaders: {}, response: null, status: 200 })
    : event("AttemptFailed", {
      deliveryId,
      webhookId,
      attempt: 0,
      at: at(minute),
      durationMs: 5,
      url: "u",
      requestHeaders: {},
      response: null,
      status: 500,
      errorClass: "http_500",
      error: "HTTP 500",
      nextAttemptAt: next
    })

/** The stories, as (stream, event) in log order, for deliveries and a webhook named with `p`. */
const story = (p: string): ReadonlyArray<readonly [string, NewEvent]> => {
  const wh = `${p}wh`
  const [d1, d2, d3, d4] = [`${p}d1`, `${p}d2`, `${p}d3`, `${p}d4`]
  return [
    [`event-${p}evt`, event("DeliveriesScheduled", {
      eventId: `${p}evt`,
      accountId: "acc",
      eventType: "message.created",
      deliveries: [d1, d2, d3, d4].map((deliveryId) => ({ deliveryId, webhookId: wh })),
      scheduledAt: at(0)
    })],
    // d1: exhausted, redelivered, failed once more: 3 attempts, the schedule restarted after the 2nd.
    [`delivery-${d1}`, attempt(d1, wh, "fail", 1, at(2))],
    [`delivery-${d1}`, attempt(d1, wh, "fail", 2, null)],
    [`delivery-${d1}`, event("DeliveryExhausted", { deliveryId: d1, webhookId: wh, attempts: 2, at: at(2) })],
    [`delivery-${d1}`, event("RedeliveryRequested", { deliveryId: d1, webhookId: wh, at: at(3), reason: "redeliver" })],
    [`delivery-${d1}`, attempt(d1, wh, "fail", 4, at(9))],
    // d2: cancelled while its attempt was out; the late failure does not reopen it.
    [`delivery-${d2}`, attempt(d2, wh, "fail", 1, at(5))],
    [`delivery-${d2}`, event("DeliveryCancelled", { deliveryId: d2, webhookId: wh, at: at(3), reason: "webhook deleted" })],
    [`delivery-${d2}`, attempt(d2, wh, "fail", 4, at(9))],
    // d3: cancelled while its attempt was out; that attempt succeeded, so it was delivered.
    [`delivery-${d3}`, event("DeliveryCancelled", { deliveryId: d3, webhookId: wh, at: at(3), reason: "webhook deleted" })],
    [`delivery-${d3}`, attempt(d3, wh, "ok", 4, null)],
    // d4: exhausted at once, then recovered: pending, the next attempt started by the recover.
    [`delivery-${d4}`, attempt(d4, wh, "fail", 1, null)],
    [`delivery-${d4}`, event("DeliveryExhausted", { deliveryId: d4, webhookId: wh, attempts: 1, at: at(1) })],
    [`delivery-${d4}`, event("RedeliveryRequested", { deliveryId: d4, webhookId: wh, at: at(6), reason: "recover" })],
    [`endpoint-${wh}`, event("CircuitOpened", { webhookId: wh, at: at(5), until: at(7), cooldownMs: 120_000, failures: [] })]
  ]
}

const rowsOf = (p: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const deliveries = yield* sql.unsafe<Record<string, unknown>>(
      `SELECT substr(delivery_id, $2) AS id, status, attempts, schedule_base, next_trigger, last_attempt_at, next_attempt_at,
              last_response_status, last_error
         FROM deliveries WHERE delivery_id LIKE $1 ORDER BY delivery_id`,
      [`${p}%`, p.length + 1]
    )
    const health = yield* sql.unsafe<Record<string, unknown>>(
      `SELECT substr(webhook_id, $2) AS webhook, successes, failures, consecutive_failures, circuit_state, circuit_since,
              circuit_until, last_success_at
         FROM endpoint_health WHERE webhook_id LIKE $1 ORDER BY webhook_id`,
      [`${p}wh%`, p.length + 1]
    )
    const hours = yield* sql.unsafe<Record<string, unknown>>(
      `SELECT substr(webhook_id, $2) AS webhook, hour, successes, failures FROM endpoint_attempts_hourly
        WHERE webhook_id LIKE $1 ORDER BY webhook_id, hour`,
      [`${p}wh%`, p.length + 1]
    )
    const due = yield* sql.unsafe<Record<string, unknown>>(
      `SELECT substr(delivery_id, $2) AS id, next_attempt_at, fresh FROM deliveries_due WHERE delivery_id LIKE $1 ORDER BY delivery_id`,
      [`${p}%`, p.length + 1]
    )
    return { deliveries, health, hours, due }
  })

describe("the deliveries projection", () => {
  it.live("counts attempts across redeliveries, keeps cancellations, follows the circuit; batches and rebuilds agree", () =>
    Effect.gen(function* () {
      const url = yield* Effect.promise(createTestDatabase)
      const ctx = yield* start(runnerOn(url))
      yield* Effect.gen(function* () {
        const store = yield* EventStore
        const runner = yield* ProjectionRunner
        // One event per transaction, each applied before the next is written.
        for (const [stream, e] of story("a-")) {
          const written = yield* store.append(stream, "any", [e])
          expect(yield* runner.awaitPosition("deliveries", written.events[0]!.position, Duration.seconds(10))).toBe(true)
        }
        // The same story in one transaction: one batch.
        const byStream = new Map<string, Array<NewEvent>>()
        for (const [stream, e] of story("b-")) byStream.set(stream, [...(byStream.get(stream) ?? []), e])
        const results = yield* store.appendBatch(
          [...byStream].map(([streamId, events]) => ({ streamId, expectedVersion: "any" as const, events }))
        )
        const last = results.flatMap((r) => r.events.map((e) => e.position)).reduce((a, b) => LogPosition.later(a, b))
        expect(yield* runner.awaitPosition("deliveries", last, Duration.seconds(10))).toBe(true)

        const one = yield* rowsOf("a-")
        expect(one.deliveries).toMatchObject([
          { id: "d1", status: "retrying", attempts: 3, schedule_base: 2, next_trigger: "schedule" },
          { id: "d2", status: "cancelled", attempts: 2, next_attempt_at: null },
          { id: "d3", status: "delivered", attempts: 1, last_response_status: 200 },
          { id: "d4", status: "pending", attempts: 1, schedule_base: 1, next_trigger: "recover" }
        ])
        // Still to be delivered: d1 (retrying) and d4 (pending again, not fresh: it was attempted).
        expect(one.due).toMatchObject([{ id: "d1", fresh: false }, { id: "d4", fresh: false }])
        expect(one.health).toMatchObject([{ successes: 1n, failures: 6n, circuit_state: "open" }])
        expect((one.health[0]!.circuit_since as Date).toISOString()).toBe(at(5))
        expect(one.hours).toMatchObject([{ successes: 1, failures: 6 }])
        expect((one.hours[0]!.hour as Date).toISOString()).toBe("2026-12-08T10:00:00.000Z")
        expect(yield* rowsOf("b-")).toEqual(one)

        // A rebuild derives the same rows from the log alone.
        const before = { a: one, b: yield* rowsOf("b-") }
        yield* runner.rebuild("deliveries")
        for (let i = 0; i < 200; i++) {
          const status = (yield* runner.status)[0]!
          if (Option.isNone(status.rebuilding) && Option.getOrThrow(status.active).generation === 2) break
          yield* Effect.sleep(Duration.millis(50))
        }
        expect(Option.getOrThrow((yield* runner.status)[0]!.active).generation).toBe(2)
        expect({ a: yield* rowsOf("a-"), b: yield* rowsOf("b-") }).toEqual(before)
      }).pipe(Effect.provide(ctx))
    }), 60_000)

  it.live("a rebuild taken over while writers keep appending loses and repeats nothing (the switch under the lock)", () =>
    Effect.gen(function* () {
      const url = yield* Effect.promise(createTestDatabase)
      const ctx = yield* start(runnerOn(url))
      yield* Effect.gen(function* () {
        const store = yield* EventStore
        const runner = yield* ProjectionRunner
        // Each writer has its own webhook and deliveries, as each endpoint has one actor: fields that
        // depend on the order of a row's writes (a failing streak) follow commit order live and log order
        // in a rebuild, which agree only when one writer at a time writes a row.
        const ids = Array.from({ length: 39 }, (_, i) => `h-d${i}`)
        const webhookOf = (i: number) => `h-wh${i % 3}`
        yield* store.append("event-h-evt", "any", [event("DeliveriesScheduled", {
          eventId: "h-evt",
          accountId: "acc",
          eventType: "message.created",
          deliveries: ids.map((deliveryId, i) => ({ deliveryId, webhookId: webhookOf(i) })),
          scheduledAt: at(0)
        })])
        const generationOf = Effect.map(runner.status, (all) => Option.match(all[0]!.active, { onNone: () => 0, onSome: (a) => a.generation }))
        const waitForGeneration = (generation: number) =>
          Effect.gen(function* () {
            for (let i = 0; i < 400 && (yield* generationOf) !== generation; i++) yield* Effect.sleep(Duration.millis(25))
            expect(yield* generationOf).toBe(generation)
          })
        yield* waitForGeneration(1)
        // Writers append attempts, one transaction each, all through the rebuild and its switch.
        let written = 0
        const writer = (k: number) =>
          Effect.gen(function* () {
            for (let i = 0; i < 60; i++) {
              const n = ((i * 7) % 13) * 3 + k
              const id = ids[n]!
              yield* store.append(`delivery-${id}`, "any", [attempt(id, webhookOf(n), i % 5 === 0 ? "ok" : "fail", 1, at(9))])
              written++
              yield* Effect.sleep(Duration.millis(2))
            }
          })
        const writers = yield* Effect.forkChild(Effect.all([writer(0), writer(1), writer(2)], { concurrency: "unbounded" }))
        yield* Effect.sleep(Duration.millis(30))
        yield* runner.rebuild("deliveries")
        yield* waitForGeneration(2)
        yield* Fiber.join(writers)
        expect(written).toBe(180)
        const live = yield* rowsOf("h-")
        expect(live.deliveries.reduce((n, r) => n + Number(r.attempts), 0)).toBe(180)
        // A rebuild with nobody writing derives the same rows from the log alone.
        yield* runner.rebuild("deliveries")
        yield* waitForGeneration(3)
        expect(yield* rowsOf("h-")).toEqual(live)
      }).pipe(Effect.provide(ctx))
    }), 60_000)
})
