import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "effect/sql/SqlClient"
import { Effect } from "effect"
import { DeliveryRuntime } from "../../../src/delivery/runtime.js"
import { EventStore } from "../../../src/eventstore/event-store.js"
import { createTestDatabase } from "../../support/database.js"
import { createWebhook, engineOn, publish } from "../../support/delivery.js"
import { eventually } from "../../support/eventually.js"
import { receiver } from "./receiver.js"

// A minute's cooldown and a long delivery timeout: a stop that waited on the open circuit (or for the
// whole timeout) would outlast the assertions below and the test's own 30 s.
const settings = {
  circuitFailureThreshold: 2,
  circuitCooldownMs: 60_000,
  circuitMaxCooldownMs: 60_000,
  deliveryTimeoutMs: 15_000
}

const attemptsOf = (webhookId: string) =>
  Effect.flatMap(SqlClient, (sql) =>
    sql<{ type: string }>`SELECT event_type AS type FROM events
      WHERE event_type IN ('AttemptSucceeded', 'AttemptFailed') AND data->>'webhookId' = ${webhookId}`
  ).pipe(Effect.map((rows) => rows.map((r) => r.type)))

const unfinished = (webhookId: string) =>
  Effect.flatMap(SqlClient, (sql) =>
    sql<{ n: string }>`SELECT count(*)::text AS n FROM deliveries
      WHERE webhook_id = ${webhookId} AND status IN ('pending', 'retrying')`
  ).pipe(Effect.map((rows) => Number(rows[0]!.n)))

describe("stopping the engine", () => {
  it.live(
    "waits for the requests sent, not for an open circuit: those are recorded, the waiting ones left to the log",
    () =>
      Effect.gen(function* () {
        const url = yield* Effect.promise(createTestDatabase)
        const failing = yield* receiver((_, res) => {
          res.writeHead(500)
          res.end()
        })
        const slow = yield* receiver((_, res) => {
          setTimeout(() => {
            res.writeHead(200)
            res.end()
          }, 1500)
        })

        const first = yield* Effect.gen(function* () {
          const broken = yield* createWebhook({
            url: failing.url,
            events: ["user.updated"],
            maxConcurrency: 1,
            retrySchedule: Array(20).fill(0)
          })
          yield* publish(4, { type: "user.updated" })
          const store = yield* EventStore
          const opened = yield* eventually(store.readStream(`endpoint-${broken}`), (events) => events.length > 0)
          expect(opened.map((e) => e.type)).toEqual(["CircuitOpened"])
          const until = Date.parse((opened[0]!.data as { until: string }).until)

          const busy = yield* createWebhook({ url: slow.url })
          yield* publish(1)
          yield* eventually(Effect.sync(() => slow.requests.length), (n) => n === 1)
          return { broken, busy, until, stopping: Date.now() }
        }).pipe(Effect.provide(engineOn(url, settings)))
        // The engine's layer is closed once `provide` returns: it stopped before the cooldown ran out.
        const stoppedAt = Date.now()
        expect(stoppedAt).toBeLessThan(first.until)

        // A restart: what the stop recorded, then what it takes back.
        yield* Effect.gen(function* () {
          // The request sent was awaited and its outcome recorded.
          expect(yield* attemptsOf(first.busy)).toEqual(["AttemptSucceeded"])
          // Only the attempts that opened the circuit were made: the deliveries waiting behind it were not.
          expect(yield* attemptsOf(first.broken)).toEqual(["AttemptFailed", "AttemptFailed"])
          expect(yield* unfinished(first.broken)).toBe(4)
          // Nothing is lost: all four are taken back into memory, where they wait at the (restored) circuit.
          const runtime = yield* DeliveryRuntime
          const backlog = yield* eventually(
            Effect.map(runtime.backlogs, (all) => all.find((b) => b.webhookId === first.broken)?.backlog ?? 0),
            (n) => n === 4,
            10_000
          )
          expect(backlog).toBe(4)
          expect(failing.requests.length).toBe(2)
        }).pipe(Effect.provide(engineOn(url, settings)))
        console.log(`stop with an open circuit and a request in flight: ${stoppedAt - first.stopping} ms`)
      }),
    30_000
  )

  it.live(
    "does not wait for a worker queued at the global limit: it sent nothing, and its delivery stays in the log",
    () =>
      Effect.gen(function* () {
        const url = yield* Effect.promise(createTestDatabase)
        const slow = yield* receiver((_, res) => {
          setTimeout(() => {
            res.writeHead(200)
            res.end()
          }, 1500)
        })
        const other = yield* receiver((_, res) => {
          res.writeHead(200)
          res.end()
        })
        // One request at a time across all endpoints: the second webhook's worker queues behind the first.
        const limited = { ...settings, globalConcurrency: 1 }
        const first = yield* Effect.gen(function* () {
          const busy = yield* createWebhook({ url: slow.url, events: ["user.updated"] })
          yield* publish(1, { type: "user.updated" })
          yield* eventually(Effect.sync(() => slow.requests.length), (n) => n === 1)
          const queued = yield* createWebhook({ url: other.url })
          yield* publish(1)
          // Long enough for the second delivery to reach its actor and queue at the global permit.
          yield* Effect.sleep("300 millis")
          return { busy, queued, stopping: Date.now() }
        }).pipe(Effect.provide(engineOn(url, limited)))
        const stoppedAt = Date.now()
        // The stop waited for the request out (about 1.5 s), then sent nothing more.
        expect(other.requests.length).toBe(0)
        yield* Effect.gen(function* () {
          expect(yield* attemptsOf(first.busy)).toEqual(["AttemptSucceeded"])
          expect(yield* attemptsOf(first.queued)).toEqual([])
          // Not lost: the next start delivers it.
          yield* eventually(Effect.sync(() => other.requests.length), (n) => n === 1)
          expect(other.requests.length).toBe(1)
        }).pipe(Effect.provide(engineOn(url, settings)))
        console.log(`stop with a worker queued at the global limit: ${stoppedAt - first.stopping} ms`)
      }),
    30_000
  )
})
