import { expect, layer } from "@effect/vitest"
import { SqlClient } from "effect/sql/SqlClient"
import { Cause, Context, Effect, Exit, Fiber, Layer, Scope } from "effect"
import { GroupCommit, GroupCommitLive, PublishOverloaded } from "../../../src/app/group-commit.js"
import { Settings } from "../../../src/config.js"
import { EventStore } from "../../../src/eventstore/event-store.js"
import type { StreamAppend } from "../../../src/eventstore/types.js"
import { TestEventStore } from "../../support/database.js"

const append = (stream: string, id = stream): StreamAppend => ({
  streamId: stream,
  expectedVersion: "no_stream",
  events: [{ eventId: id, type: "Published", data: { stream } }]
})

const TestLayer = GroupCommitLive.pipe(
  Layer.provideMerge(TestEventStore()),
  Layer.provide(Settings.layerWith({ publishBatchWindowMs: 5, publishBatchMaxSize: 100 }))
)

layer(TestLayer, { excludeTestServices: true })("group commit", (it) => {
  it.effect("commits concurrent appends together, in far fewer transactions than appends", () =>
    Effect.gen(function* () {
      const commit = yield* GroupCommit
      const sql = yield* SqlClient
      const results = yield* Effect.forEach(
        Array.from({ length: 60 }, (_, i) => append(`gc-a-${i}`)),
        (a) => commit.append(a),
        { concurrency: "unbounded" }
      )
      expect(results.map((r) => r.streamId)).toEqual(Array.from({ length: 60 }, (_, i) => `gc-a-${i}`))
      const [row] = yield* sql<{ transactions: number }>`
        SELECT count(DISTINCT transaction_id)::int AS transactions FROM events WHERE stream_id LIKE 'gc-a-%'`
      expect(row!.transactions).toBeLessThanOrEqual(10)
    }))

  it.effect("falls back to one append each when the batch fails on one item", () =>
    Effect.gen(function* () {
      const commit = yield* GroupCommit
      const store = yield* EventStore
      yield* store.append("gc-b-taken", "no_stream", [{ eventId: "someone-else", type: "Published", data: {} }])
      const outcomes = yield* commit.appendAll([append("gc-b-1"), append("gc-b-taken"), append("gc-b-2"), append("gc-b-1")])
      expect(outcomes.map(Exit.isSuccess)).toEqual([true, false, true, true])
      // The repeated stream meets the first append: the same event id is an idempotent duplicate.
      const repeat = outcomes[3]!
      expect(Exit.isSuccess(repeat) && repeat.value.duplicate).toBe(true)
      expect((yield* store.readStream("gc-b-2")).length).toBe(1)
      expect((yield* store.readStream("gc-b-taken")).length).toBe(1)
    }))
})

const window = 300

/** Transactions that wrote the streams starting with `prefix`. */
const transactionsOf = (prefix: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const [row] = yield* sql<{ transactions: number }>`
      SELECT count(DISTINCT transaction_id)::int AS transactions FROM events WHERE stream_id LIKE ${`${prefix}%`}`
    return row!.transactions
  })

// Effect 4 has no `Queue.takeUpTo`, and `Queue.takeBetween(queue, 0, n)` answers an empty array at once:
// what arrives during a batch's window must still join that batch, without waiting for the next publish.
layer(
  GroupCommitLive.pipe(
    Layer.provide(Settings.layerWith({ publishBatchWindowMs: window, publishBatchMaxSize: 100, publishQueueCapacity: 4 })),
    Layer.provideMerge(TestEventStore())
  ),
  { excludeTestServices: true }
)("group commit window", (it) => {
  it.effect("appends arriving while both committers wait out their window join the first batch", () =>
    Effect.gen(function* () {
      const commit = yield* GroupCommit
      const first = yield* Effect.forkChild(commit.append(append("gc-w-0")))
      yield* Effect.sleep(50)
      const second = yield* Effect.forkChild(commit.append(append("gc-w-1")))
      yield* Effect.sleep(50)
      // Both committers now sleep; these wait in the queue until the first window ends.
      const rest = yield* Effect.forkChild(
        Effect.forEach([append("gc-w-2"), append("gc-w-3")], (a) => commit.append(a), { concurrency: "unbounded" })
      )
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      expect((yield* Fiber.join(rest)).map((r) => r.streamId)).toEqual(["gc-w-2", "gc-w-3"])
      // Three transactions would mean the late ones waited for a committer's next round.
      expect(yield* transactionsOf("gc-w-")).toBe(2)
    }))

  it.effect("refuses an append over capacity at once, and admits a batch of any size when nothing waits", () =>
    Effect.gen(function* () {
      const commit = yield* GroupCommit
      const waiting = yield* Effect.forkChild(
        Effect.forEach([0, 1, 2, 3], (i) => commit.append(append(`gc-c-${i}`)), { concurrency: "unbounded" })
      )
      yield* Effect.sleep(50)
      expect(commit.saturated()).toBe(true)
      const refused = yield* Effect.flip(commit.append(append("gc-c-4")))
      expect(refused).toBeInstanceOf(PublishOverloaded)
      expect(refused).toMatchObject({ pending: 4, capacity: 4, retryAfterSeconds: 1 })
      yield* Fiber.join(waiting)
      expect(commit.saturated()).toBe(false)
      const outcomes = yield* commit.appendAll(Array.from({ length: 5 }, (_, i) => append(`gc-c-batch-${i}`)))
      expect(outcomes.every(Exit.isSuccess)).toBe(true)
    }))

  it.effect("a caller interrupted while it waits frees its place; its append, already taken, still reaches the log", () =>
    Effect.gen(function* () {
      const commit = yield* GroupCommit
      const store = yield* EventStore
      const waiting = yield* Effect.forkChild(commit.append(append("gc-i-0")))
      yield* Effect.sleep(50)
      expect(commit.saturated()).toBe(false)
      yield* Fiber.interrupt(waiting)
      expect(Exit.hasInterrupts(yield* Fiber.await(waiting))).toBe(true)
      // Its place is free at once: four more are admitted while its batch still waits.
      const others = yield* Effect.forkChild(
        Effect.forEach([1, 2, 3, 4], (i) => commit.append(append(`gc-i-${i}`)), { concurrency: "unbounded" })
      )
      expect((yield* Fiber.join(others)).length).toBe(4)
      yield* Effect.sleep(window)
      expect((yield* store.readStream("gc-i-0")).length).toBe(1)
    }))
})

// Effect 4's Queue.offer answers false once the queue is shut down (Effect 3 interrupted the offerer).
layer(TestEventStore(), { excludeTestServices: true })("group commit after shutdown", (it) => {
  it.effect("an append after the committer has shut down is interrupted, not left waiting", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(GroupCommitLive, scope)
      const commit = Context.get(context, GroupCommit)
      yield* Scope.close(scope, Exit.void)
      const exit = yield* Effect.exit(commit.append(append("gc-s-0")).pipe(Effect.timeout(2_000)))
      expect(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)).toBe(true)
    }))
})
