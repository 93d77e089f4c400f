import { expect, layer } from "@effect/vitest"
import { SqlClient } from "effect/sql/SqlClient"
import { Effect } from "effect"
import { EventStore } from "../../../src/eventstore/event-store.js"
import { createWebhook, freshEngine, publish } from "../../support/delivery.js"
import { eventually } from "../../support/eventually.js"
import { receiver } from "./receiver.js"

const statuses = (webhookId: string) =>
  Effect.flatMap(SqlClient, (sql) =>
    sql<{ status: string; attempts: number }>`SELECT status, attempts FROM deliveries WHERE webhook_id = ${webhookId}`
  )

layer(
  freshEngine({ circuitFailureThreshold: 3, circuitCooldownMs: 1000, circuitMaxCooldownMs: 4000, deliveryTimeoutMs: 1000 }),
  { excludeTestServices: true }
)("circuit breaker and isolation", (it) => {
  it.effect("opens after consecutive failures, sends nothing while open, probes, closes; nothing dropped", () =>
    Effect.gen(function* () {
      let healthy = false
      const times: Array<number> = []
      const target = yield* receiver((_, res) => {
        times.push(Date.now())
        res.writeHead(healthy ? 200 : 500)
        res.end()
      })
      const webhook = yield* createWebhook({ url: target.url, maxConcurrency: 1, retrySchedule: Array(20).fill(0) })
      yield* publish(5)
      // Three failures open it; the next request is the probe, a cooldown later.
      yield* eventually(Effect.sync(() => times.length), (n) => n >= 4)
      expect(times[3]! - times[2]!).toBeGreaterThanOrEqual(900)
      // The probe failed: the cooldown doubles.
      yield* eventually(Effect.sync(() => times.length), (n) => n >= 5)
      expect(times[4]! - times[3]!).toBeGreaterThanOrEqual(1800)
      healthy = true
      const rows = yield* eventually(statuses(webhook), (r) => r.length === 5 && r.every((d) => d.status === "delivered"))
      expect(rows.every((d) => d.status === "delivered")).toBe(true)
      const store = yield* EventStore
      const transitions = yield* eventually(
        Effect.map(store.readStream(`endpoint-${webhook}`), (events) => events.map((e) => e.type)),
        (types) => types.includes("CircuitClosed")
      )
      expect(transitions.slice(0, 2)).toEqual(["CircuitOpened", "CircuitHalfOpened"])
      expect(transitions).toContain("CircuitClosed")
      const opened = (yield* store.readStream(`endpoint-${webhook}`))[0]!.data as { failures: ReadonlyArray<unknown> }
      expect(opened.failures).toHaveLength(3)
      // While open nothing was attempted: the attempts recorded equal the requests received.
      const sql = yield* SqlClient
      const attempts = yield* sql<{ n: string }>`SELECT count(*)::text AS n FROM events
        WHERE event_type IN ('AttemptSucceeded', 'AttemptFailed') AND data->>'webhookId' = ${webhook}`
      expect(Number(attempts[0]!.n)).toBe(times.length)
    }))

  it.effect("a dead and a failing endpoint do not slow a healthy one", () =>
    Effect.gen(function* () {
      const healthyTarget = yield* receiver((_, res) => {
        res.writeHead(200)
        res.end()
      })
      const silent = yield* receiver(() => {
        // never answers: every attempt times out
      })
      const failing = yield* receiver((_, res) => {
        res.writeHead(500)
        res.end()
      })
      const healthy = yield* createWebhook({ url: healthyTarget.url, events: ["message.created", "user.updated"] })
      yield* createWebhook({ url: silent.url, retrySchedule: [0, 0, 0] })
      yield* createWebhook({ url: failing.url, retrySchedule: [0, 0, 0] })

      const alone = Date.now()
      yield* publish(200, { type: "user.updated" })
      yield* eventually(statuses(healthy), (r) => r.length === 200 && r.every((d) => d.status === "delivered"))
      const aloneMs = Date.now() - alone

      const together = Date.now()
      yield* publish(200)
      yield* eventually(statuses(healthy), (r) => r.length === 400 && r.every((d) => d.status === "delivered"))
      const togetherMs = Date.now() - together
      expect((yield* statuses(healthy)).every((d) => d.status === "delivered")).toBe(true)
      expect(silent.requests.length + failing.requests.length).toBeGreaterThan(0)
      // Same order of time as alone (generous: the machine is shared), not the bad endpoints' timeouts.
      expect(togetherMs).toBeLessThan(aloneMs * 3 + 1500)
    }))
})
