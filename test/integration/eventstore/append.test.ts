import { expect, layer } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Effect, Result } from "effect"
import { conflictingStream, EventStore } from "../../../src/eventstore/event-store.js"
import type { NewEvent } from "../../../src/eventstore/types.js"
import { TestEventStore } from "../../support/database.js"

let counter = 0
const newEvent = (type = "Something", data: unknown = { n: counter }): NewEvent => ({
  eventId: `evt-${Date.now()}-${++counter}`,
  type,
  data
})

layer(TestEventStore(), { excludeTestServices: true })("event store: append", (it) => {
  it.effect("appends to a new stream and reads it back in order", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const events = [newEvent("A", { x: 1 }), newEvent("B", { y: "two" })]
      const result = yield* store.append("thing-1", "no_stream", events)
      expect(result.nextExpectedVersion).toBe(2)
      expect(result.duplicate).toBe(false)
      expect(result.events.map((e) => e.streamVersion)).toEqual([1, 2])
      const read = yield* store.readStream("thing-1")
      expect(read.map((e) => [e.type, e.data, e.streamVersion])).toEqual([
        ["A", { x: 1 }, 1],
        ["B", { y: "two" }, 2]
      ])
      expect(read[0]!.position.globalPosition < read[1]!.position.globalPosition).toBe(true)
      const fromTwo = yield* store.readStream("thing-1", 2)
      expect(fromTwo.map((e) => e.type)).toEqual(["B"])
    }))

  it.effect("checks the expected version: exact, no stream, any", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      yield* store.append("thing-2", "no_stream", [newEvent()])
      const again = yield* Effect.result(store.append("thing-2", "no_stream", [newEvent()]))
      expect(Result.isFailure(again) && again.failure).toMatchObject({ _tag: "WrongExpectedVersion", expected: "no_stream", actual: 1 })
      const stale = yield* Effect.result(store.append("thing-2", 5, [newEvent()]))
      expect(Result.isFailure(stale) && stale.failure).toMatchObject({ streamId: "thing-2", expected: 5, actual: 1 })
      const exact = yield* store.append("thing-2", 1, [newEvent()])
      expect(exact.nextExpectedVersion).toBe(2)
      const any = yield* store.append("thing-2", "any", [newEvent(), newEvent()])
      expect(any.nextExpectedVersion).toBe(4)
      const missing = yield* Effect.result(store.append("thing-missing", 3, [newEvent()]))
      expect(Result.isFailure(missing) && missing.failure).toMatchObject({ _tag: "WrongExpectedVersion", actual: 0 })
    }))

  it.effect("new_or_any: a new stream takes version 1 unlooked; an existing one, in a batch too, is appended as any", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const fresh = yield* store.append("noa-1", "new_or_any", [newEvent()])
      expect(fresh.events.map((e) => e.streamVersion)).toEqual([1])
      const existing = yield* store.append("noa-1", "new_or_any", [newEvent(), newEvent()])
      expect(existing.events.map((e) => e.streamVersion)).toEqual([2, 3])
      // In a batch, only the stream that exists falls back; the batch still lands whole.
      yield* store.append("noa-2", "no_stream", [newEvent()])
      const batch = yield* store.appendBatch([
        { streamId: "noa-2", expectedVersion: "new_or_any", events: [newEvent()] },
        { streamId: "noa-3", expectedVersion: "new_or_any", events: [newEvent()] }
      ])
      expect(batch.map((r) => [r.streamId, r.events[0]!.streamVersion])).toEqual([["noa-2", 2], ["noa-3", 1]])
      expect((yield* store.readStream("noa-2")).length).toBe(2)
    }))

  it.effect("two appends at the same expected version: exactly one wins", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      yield* store.append("race-1", "no_stream", [newEvent()])
      const attempts = yield* Effect.all(
        Array.from({ length: 8 }, () => Effect.result(store.append("race-1", 1, [newEvent()]))),
        { concurrency: "unbounded" }
      )
      const wins = attempts.filter(Result.isSuccess)
      const losses = attempts.filter(Result.isFailure)
      expect(wins).toHaveLength(1)
      expect(losses.every((l) => l.failure._tag === "WrongExpectedVersion")).toBe(true)
      expect(yield* store.readStream("race-1")).toHaveLength(2)
    }))

  it.effect("appends anywhere to one stream from many writers at once all land, at versions without gaps", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      yield* store.append("race-any", "no_stream", [newEvent()])
      const results = yield* Effect.all(
        Array.from({ length: 8 }, () => store.append("race-any", "any", [newEvent(), newEvent()])),
        { concurrency: "unbounded" }
      )
      expect(results.flatMap((r) => r.events.map((e) => e.streamVersion)).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 16 }, (_, i) => i + 2)
      )
      expect((yield* store.readStream("race-any")).map((e) => e.streamVersion)).toEqual(
        Array.from({ length: 17 }, (_, i) => i + 1)
      )
    }))

  it.effect("reads the stream of a version conflict from PostgreSQL's report", () =>
    Effect.sync(() => {
      expect(conflictingStream("Key (stream_id, stream_version)=(event-a:b.c-1, 1) already exists.")).toBe("event-a:b.c-1")
      expect(conflictingStream("Key (stream_id, stream_version)=(x, y, 12) already exists.")).toBe("x, y")
      expect(conflictingStream("Key (event_id)=(e1) already exists.")).toBeUndefined()
      expect(conflictingStream(undefined)).toBeUndefined()
    }))

  it.effect("a retried append with the same ids returns the original positions", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const events = [newEvent(), newEvent()]
      const first = yield* store.append("retry-1", "no_stream", events)
      const second = yield* store.append("retry-1", "no_stream", events)
      expect(second.duplicate).toBe(true)
      expect(second.events).toEqual(first.events)
      const third = yield* store.append("retry-1", "any", events)
      expect(third.events).toEqual(first.events)
      expect(yield* store.readStream("retry-1")).toHaveLength(2)
      // The same id in another stream is not a retry.
      const other = yield* Effect.result(store.append("retry-2", "any", [events[0]!]))
      expect(Result.isFailure(other) && other.failure._tag).toBe("DuplicateEventId")
    }))

  it.effect("a batch over many streams is all or nothing", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      yield* store.append("batch-b", "no_stream", [newEvent()])
      const failed = yield* Effect.result(
        store.appendBatch([
          { streamId: "batch-a", expectedVersion: "no_stream", events: [newEvent()] },
          { streamId: "batch-b", expectedVersion: "no_stream", events: [newEvent()] }
        ])
      )
      expect(Result.isFailure(failed) && failed.failure).toMatchObject({ _tag: "WrongExpectedVersion", streamId: "batch-b" })
      expect(yield* store.readStream("batch-a")).toHaveLength(0)
      const ok = yield* store.appendBatch([
        { streamId: "batch-a", expectedVersion: "no_stream", events: [newEvent(), newEvent()] },
        { streamId: "batch-b", expectedVersion: 1, events: [newEvent()] },
        { streamId: "batch-c", expectedVersion: "any", events: [newEvent()] }
      ])
      expect(ok.map((r) => [r.streamId, r.nextExpectedVersion])).toEqual([
        ["batch-a", 2],
        ["batch-b", 2],
        ["batch-c", 1]
      ])
      const txIds = new Set(ok.flatMap((r) => r.events.map((e) => e.position.transactionId)))
      expect(txIds.size).toBe(1)
    }))

  it.effect("a reactor moves its checkpoint and appends in one step, only from where it read", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const sql = yield* PgClient.PgClient
      yield* sql`INSERT INTO reactor_checkpoints (name) VALUES ('test-reactor') ON CONFLICT (name) DO NOTHING`
      const start = { transactionId: 0n, globalPosition: 0n }
      const next = { transactionId: 7n, globalPosition: 70n }
      const checkpoint = sql<{ transaction_id: string; global_position: string }>`
        SELECT transaction_id::text AS transaction_id, global_position::text AS global_position
          FROM reactor_checkpoints WHERE name = 'test-reactor'`
      const done = yield* store.appendAdvancingReactor("test-reactor", start, next, [
        { streamId: "reacted-1", expectedVersion: "no_stream", events: [newEvent("Reacted")] }
      ])
      expect(done[0]!.events).toHaveLength(1)
      expect(yield* checkpoint).toEqual([{ transaction_id: "7", global_position: "70" }])
      // From a stale checkpoint: overtaken, nothing appended.
      const stale = yield* Effect.result(
        store.appendAdvancingReactor("test-reactor", start, { transactionId: 8n, globalPosition: 80n }, [
          { streamId: "reacted-2", expectedVersion: "no_stream", events: [newEvent("Reacted")] }
        ])
      )
      expect(Result.isFailure(stale) && stale.failure._tag).toBe("ReactorOvertaken")
      expect(yield* store.readStream("reacted-2")).toHaveLength(0)
      // A conflicting append: the checkpoint does not move either.
      const conflict = yield* Effect.result(
        store.appendAdvancingReactor("test-reactor", next, { transactionId: 9n, globalPosition: 90n }, [
          { streamId: "reacted-1", expectedVersion: "no_stream", events: [newEvent("Reacted")] }
        ])
      )
      expect(Result.isFailure(conflict) && conflict.failure._tag).toBe("WrongExpectedVersion")
      expect(yield* checkpoint).toEqual([{ transaction_id: "7", global_position: "70" }])
      // Nothing to append: the checkpoint still moves.
      yield* store.appendAdvancingReactor("test-reactor", next, { transactionId: 9n, globalPosition: 90n }, [])
      expect(yield* checkpoint).toEqual([{ transaction_id: "9", global_position: "90" }])
    }))

  it.effect("the log refuses UPDATE, DELETE and TRUNCATE from raw SQL", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const sql = yield* PgClient.PgClient
      yield* store.append("immutable-1", "any", [newEvent()])
      for (const statement of [
        "UPDATE events SET data = '{}'::jsonb",
        "DELETE FROM events",
        "TRUNCATE events",
        "TRUNCATE events CASCADE"
      ]) {
        const result = yield* Effect.result(sql.unsafe(statement))
        expect(Result.isFailure(result), statement).toBe(true)
        // @effect/sql-pg 4 keeps PostgreSQL's own error (its message, code, detail) as the reason's cause.
        expect(String(Result.isFailure(result) && result.failure.reason.cause)).toContain("append-only")
      }
      expect(yield* store.readStream("immutable-1")).toHaveLength(1)
    }))
})
