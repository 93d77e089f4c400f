import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, Option, Redacted, Result, Scope } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { Settings } from "../../../src/config.js"
import { MigrationsLive } from "../../../src/db/migrations.js"
import { EventStore, EventStoreLive } from "../../../src/eventstore/event-store.js"
import { LogNotificationsLive } from "../../../src/eventstore/notifications.js"
import type { RecordedEvent } from "../../../src/eventstore/types.js"
import type { Projection } from "../../../src/projections/projection.js"
import { ProjectionRegistry, ProjectionRunner, ProjectionRunnerLive } from "../../../src/projections/runner.js"
import { countUpdates, createTestDatabase } from "../../support/database.js"
import { eventually } from "../../support/eventually.js"

/** Counts events per stream; fails on an event whose data says so, to test atomicity. */
const counter = (version: number, options: { readonly slowMs?: number } = {}): Projection => ({
  name: "stream_counts",
  version,
  eventTypes: ["Counted", "Poison"],
  tables: ["stream_counts"],
  createTables: (t) => [
    `CREATE TABLE ${t("stream_counts")} (stream_id text PRIMARY KEY, count integer NOT NULL, last_data jsonb)`
  ],
  apply: (events: ReadonlyArray<RecordedEvent>, t) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient
      for (const event of events) {
        if (event.type === "Poison") yield* sql.unsafe("SELECT 1 / 0")
        yield* sql.unsafe(
          `INSERT INTO ${t("stream_counts")} (stream_id, count, last_data) VALUES ($1, 1, $2::jsonb)
           ON CONFLICT (stream_id) DO UPDATE SET count = ${t("stream_counts")}.count + 1, last_data = excluded.last_data`,
          [event.streamId, JSON.stringify(event.data)]
        )
      }
      if (options.slowMs !== undefined) yield* Effect.sleep(Duration.millis(options.slowMs))
    })
})

const settings = Settings.layerWith({ pollIntervalMs: 200 })

/** A database shared by the runners of one test; each runner is its own "process" (layer). */
const databaseAt = (url: string) =>
  MigrationsLive.pipe(Layer.provideMerge(PgClient.layer({ url: Redacted.make(url), maxConnections: 8 })))

const runnerOn = (url: string, projections: ReadonlyArray<Projection>, overrides?: { readonly pollIntervalMs: number }) =>
  ProjectionRunnerLive.pipe(
    Layer.provideMerge(EventStoreLive),
    // Below the event store: its appends apply the inline projections.
    Layer.provideMerge(ProjectionRegistry.layer(projections)),
    Layer.provideMerge(LogNotificationsLive),
    Layer.provideMerge(overrides === undefined ? settings : Settings.layerWith(overrides)),
    Layer.provideMerge(databaseAt(url))
  )

const appendCounted = (n: number, prefix: string) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    let last = yield* store.head
    for (let i = 0; i < n; i++) {
      const result = yield* store.append(`${prefix}-${i % 5}`, "any", [
        { eventId: `${prefix}-${i}`, type: "Counted", data: { i } },
        { eventId: `${prefix}-noise-${i}`, type: "Ignored", data: {} }
      ])
      last = result.events[1]!.position
    }
    return last
  })

const counts = Effect.gen(function* () {
  const sql = yield* SqlClient
  return yield* sql<{ stream_id: string; count: number }>`SELECT stream_id, count FROM stream_counts ORDER BY stream_id`
})

/** Builds a layer inside the test's scope: a "process" that lives until the scope closes. */
const start = <A, E>(layer: Layer.Layer<A, E>) =>
  Effect.flatMap(Scope.Scope, (scope) => Layer.buildWithScope(layer, scope))

describe("projection runner", () => {
  it.live("catches up, follows the log, and waits for a write's position", () =>
    Effect.gen(function* () {
      const url = yield* Effect.promise(createTestDatabase)
      const ctx = yield* start(runnerOn(url, [counter(1)]))
      yield* Effect.gen(function* () {
        const runner = yield* ProjectionRunner
        const position = yield* appendCounted(20, "a")
        expect(yield* runner.awaitPosition("stream_counts", position, Duration.seconds(10))).toBe(true)
        expect((yield* counts).map((r) => r.count)).toEqual([4, 4, 4, 4, 4])
        const status = (yield* runner.status)[0]!
        expect(Option.getOrThrow(status.active).lag).toBe(0)
        expect(Option.getOrThrow(status.active).eventsApplied).toBe(20)
        expect(yield* runner.caughtUp).toBe(true)
      }).pipe(Effect.provide(ctx))
    }))

  it.live("commits of other types are passed in memory, stored at most once a second", () =>
    Effect.gen(function* () {
      const url = yield* Effect.promise(createTestDatabase)
      // Polling every 20 ms, the runner looks at the log fifty times a second whatever it holds.
      const ctx = yield* start(runnerOn(url, [counter(1)], { pollIntervalMs: 20 }))
      yield* Effect.gen(function* () {
        const runner = yield* ProjectionRunner
        const store = yield* EventStore
        const sql = yield* SqlClient
        expect(yield* runner.awaitPosition("stream_counts", yield* appendCounted(1, "first"), Duration.seconds(10))).toBe(true)
        const writes = yield* countUpdates("projection_checkpoints")
        const stored = Effect.map(
          sql<{ p: string }>`SELECT global_position::text AS p FROM projection_checkpoints WHERE name = 'stream_counts'`,
          (rows) => BigInt(rows[0]!.p)
        )
        // Commits of a type the projection does not read, for about a second and a half.
        const started = Date.now()
        let last = yield* store.head
        for (let i = 0; Date.now() - started < 1_500; i++) {
          last = (yield* store.append(`noise-${i}`, "any", [{ eventId: `noise-${i}`, type: "Ignored", data: {} }])).events[0]!.position
          yield* Effect.sleep(Duration.millis(5))
        }
        expect(yield* runner.awaitPosition("stream_counts", last, Duration.seconds(10))).toBe(true)
        const seconds = (Date.now() - started) / 1000
        expect(yield* writes).toBeLessThanOrEqual(Math.ceil(seconds) + 1)
        // The status counts from where the runner is, not from what it stored.
        expect(Option.getOrThrow((yield* runner.status)[0]!.active).lag).toBe(0)
        // Within a second or so of going quiet, the stored checkpoint reaches the head too.
        const head = (yield* store.head).globalPosition
        yield* eventually(stored, (p) => p === head)
        // Events of its type after the idle stretch are applied once each.
        expect(yield* runner.awaitPosition("stream_counts", yield* appendCounted(5, "later"), Duration.seconds(10))).toBe(true)
        expect((yield* counts).reduce((sum, r) => sum + r.count, 0)).toBe(6)
      }).pipe(Effect.provide(ctx))
    }))

  it.live("a failure mid-batch leaves the read model and the checkpoint unchanged", () =>
    Effect.gen(function* () {
      const url = yield* Effect.promise(createTestDatabase)
      const ctx = yield* start(runnerOn(url, [counter(1)]))
      yield* Effect.gen(function* () {
        const runner = yield* ProjectionRunner
        const store = yield* EventStore
        const sql = yield* SqlClient
        const before = yield* appendCounted(3, "b")
        expect(yield* runner.awaitPosition("stream_counts", before, Duration.seconds(10))).toBe(true)
        // One append carrying a good event then a poison one: they arrive in one batch.
        const poisoned = yield* store.append("b-0", "any", [
          { eventId: "b-good", type: "Counted", data: {} },
          { eventId: "b-poison", type: "Poison", data: {} }
        ])
        expect(
          yield* runner.awaitPosition("stream_counts", poisoned.events[1]!.position, Duration.millis(1500))
        ).toBe(false)
        const rows = yield* counts
        expect(rows.find((r) => r.stream_id === "b-0")?.count).toBe(1) // the good event was rolled back too
        const checkpoint = yield* sql<{ global_position: string }>`
          SELECT global_position::text AS global_position FROM projection_checkpoints WHERE name = 'stream_counts'`
        expect(BigInt(checkpoint[0]!.global_position)).toBeLessThan(poisoned.events[0]!.position.globalPosition)
      }).pipe(Effect.provide(ctx))
    }))

  it.live("two runners on one projection never apply a batch twice", () =>
    Effect.gen(function* () {
      const url = yield* Effect.promise(createTestDatabase)
      // Slow batches widen the window in which both runners hold the same batch.
      const first = yield* start(runnerOn(url, [counter(1, { slowMs: 30 })]))
      const second = yield* start(runnerOn(url, [counter(1, { slowMs: 30 })]))
      const last = yield* appendCounted(150, "c").pipe(Effect.provide(first))
      for (const ctx of [first, second]) {
        yield* Effect.gen(function* () {
          const runner = yield* ProjectionRunner
          // Either runner may be the one that applied the tail; wait on the database either way.
          yield* runner.awaitPosition("stream_counts", last, Duration.seconds(2))
        }).pipe(Effect.provide(ctx))
      }
      const rows = yield* Effect.gen(function* () {
        for (let i = 0; i < 100; i++) {
          const r = yield* counts
          if (r.reduce((sum, row) => sum + row.count, 0) >= 150) return r
          yield* Effect.sleep(Duration.millis(100))
        }
        return yield* counts
      }).pipe(Effect.provide(first))
      expect(rows.map((r) => r.count)).toEqual([30, 30, 30, 30, 30])
    }))

  it.live("a rebuild reproduces the live rows; a version bump rebuilds while the old version serves", () =>
    Effect.gen(function* () {
      const url = yield* Effect.promise(createTestDatabase)
      const live = yield* Effect.gen(function* () {
        const ctx = yield* start(runnerOn(url, [counter(1)]))
        return yield* Effect.gen(function* () {
          const runner = yield* ProjectionRunner
          const position = yield* appendCounted(40, "d")
          expect(yield* runner.awaitPosition("stream_counts", position, Duration.seconds(10))).toBe(true)
          const before = yield* counts
          // Rebuild on demand: new generation, same rows, then it becomes the active one.
          const started = yield* runner.rebuild("stream_counts")
          expect(Option.isSome(started.rebuilding) || Option.isSome(started.active)).toBe(true)
          for (let i = 0; i < 100; i++) {
            const status = (yield* runner.status)[0]!
            if (Option.isNone(status.rebuilding) && Option.getOrThrow(status.active).generation === 2) break
            yield* Effect.sleep(Duration.millis(50))
          }
          const status = (yield* runner.status)[0]!
          expect(Option.getOrThrow(status.active).generation).toBe(2)
          expect(yield* counts).toEqual(before)
          const missing = yield* Effect.result(runner.rebuild("nope"))
          expect(Result.isFailure(missing) && missing.failure._tag).toBe("ProjectionNotFound")
          return before
        }).pipe(Effect.provide(ctx))
      }).pipe(Effect.scoped)

      // A new "process" with version 2 whose batches are slow: while it rebuilds, the old rows answer.
      const ctx = yield* start(runnerOn(url, [counter(2, { slowMs: 300 })]))
      yield* Effect.gen(function* () {
        const runner = yield* ProjectionRunner
        const during = yield* counts
        expect(during).toEqual(live)
        const rebuilding = (yield* runner.status)[0]!
        expect(Option.isSome(rebuilding.rebuilding)).toBe(true)
        for (let i = 0; i < 100; i++) {
          const status = (yield* runner.status)[0]!
          if (Option.isNone(status.rebuilding)) break
          yield* Effect.sleep(Duration.millis(100))
        }
        const status = (yield* runner.status)[0]!
        expect(Option.getOrThrow(status.active).version).toBe(2)
        expect(yield* counts).toEqual(live)
        const sql = yield* SqlClient
        const tables = yield* sql<{ tablename: string }>`
          SELECT tablename FROM pg_tables WHERE tablename LIKE 'stream_counts_g%' ORDER BY tablename`
        expect(tables.map((t) => t.tablename)).toEqual(["stream_counts_g3"])
      }).pipe(Effect.provide(ctx))
    }))
})
