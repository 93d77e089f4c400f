/**
 * The group-committing recorder against an in-memory store: Effect 4's Queue gives `takeBetween` an
 * array and its own back-pressure rules, which the recorder's grouping and the senders' waiting rest on.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Stream } from "effect"
import { make, type Recording } from "../../../src/delivery/recorder.js"
import { EventStore, type EventStoreShape } from "../../../src/eventstore/event-store.js"
import type { AppendResult, LogPosition, StreamAppend } from "../../../src/eventstore/types.js"

/** A store whose appends wait for `gate` (the database busy), numbering events as a log would. */
const storeWith = (gate: Deferred.Deferred<void>) => {
  const batches: Array<ReadonlyArray<StreamAppend>> = []
  const calls = { started: 0 }
  let position = 0n
  const unused = Effect.die("not used by the recorder")
  const store: EventStoreShape = {
    append: () => unused,
    appendAdvancingReactor: () => unused,
    readStream: () => unused,
    readAll: () => unused,
    readAllOfTypes: () => unused,
    readCommittedOfTypes: () => unused,
    head: unused,
    subscribe: () => Stream.die("not used by the recorder"),
    appendBatch: (appends) =>
      Effect.andThen(
        Effect.andThen(Effect.sync(() => calls.started++), Deferred.await(gate)),
        Effect.sync(() => {
          batches.push(appends)
          return appends.map((append): AppendResult => ({
            streamId: append.streamId,
            events: append.events.map((event, i) => {
              position++
              return { eventId: event.eventId, streamVersion: i + 1, position: { transactionId: 1n, globalPosition: position } }
            }),
            nextExpectedVersion: append.events.length,
            duplicate: false
          }))
        })
      )
  }
  return { store, batches, calls }
}

const recording = (streamId: string, n: number, committed: Array<LogPosition>): Recording => ({
  appends: [{ streamId, expectedVersion: "any", events: [{ eventId: `e${n}`, type: "AttemptSucceeded", data: { n } }] }],
  onCommitted: (position) => void committed.push(position)
})

const until = (check: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 400 && !check(); i++) yield* Effect.sleep(Duration.millis(5))
  })

describe("delivery recorder", () => {
  it.live("commits what arrives during an append as the next group, one append per stream", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const { store, batches, calls } = storeWith(gate)
      const recorder = yield* make.pipe(Effect.provideService(EventStore, store))
      const first: Array<LogPosition> = []
      const rest: Array<LogPosition> = []
      yield* recorder.record(recording("delivery-a", 1, first))
      yield* until(() => calls.started === 1)
      // The first group is out (waiting on the database); these three queue behind it.
      yield* recorder.record(recording("delivery-b", 2, rest))
      yield* recorder.record(recording("delivery-b", 3, rest))
      yield* recorder.record(recording("endpoint-c", 4, rest))
      expect(yield* recorder.pending).toBe(4)
      yield* Deferred.succeed(gate, undefined)
      yield* until(() => rest.length === 3)
      expect(batches.map((batch) => batch.map((append) => [append.streamId, append.events.length]))).toEqual([
        [["delivery-a", 1]],
        [["delivery-b", 2], ["endpoint-c", 1]]
      ])
      expect(first).toEqual([{ transactionId: 1n, globalPosition: 1n }])
      // Every recording of a group learns the group's last position.
      expect(rest).toEqual(Array(3).fill({ transactionId: 1n, globalPosition: 4n }))
      expect(yield* recorder.lastCommitted).toEqual({ transactionId: 1n, globalPosition: 4n })
    }))

  it.live("a full queue makes the senders wait, and nothing recorded is dropped", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const { store, batches, calls } = storeWith(gate)
      const recorder = yield* make.pipe(Effect.provideService(EventStore, store))
      const committed: Array<LogPosition> = []
      yield* recorder.record(recording("delivery-0", 0, committed))
      yield* until(() => calls.started === 1)
      // 20,000 more fill the queue while the first group waits on the database.
      for (let n = 1; n <= 20_000; n++) yield* recorder.record(recording(`delivery-${n % 50}`, n, committed))
      const blocked = yield* Effect.forkChild(recorder.record(recording("delivery-last", 20_001, committed)))
      yield* Effect.sleep(Duration.millis(50))
      expect(blocked.pollUnsafe()).toBeUndefined()
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(blocked)
      yield* until(() => committed.length === 20_002)
      expect(committed).toHaveLength(20_002)
      expect(batches.flat().reduce((n, append) => n + append.events.length, 0)).toBe(20_002)
    }))

  it.live("closing commits what was recorded before it", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const { store, batches } = storeWith(gate)
      const committed: Array<LogPosition> = []
      const closed = yield* Effect.forkChild(
        Effect.scoped(
          Effect.gen(function* () {
            const recorder = yield* make.pipe(Effect.provideService(EventStore, store))
            for (let n = 1; n <= 5; n++) yield* recorder.record(recording(`delivery-${n}`, n, committed))
          })
        )
      )
      yield* Effect.sleep(Duration.millis(50))
      // The stop waits for the database rather than dropping the recordings.
      expect(closed.pollUnsafe()).toBeUndefined()
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(closed)
      expect(committed).toHaveLength(5)
      expect(batches.flat().map((append) => append.streamId).sort()).toEqual(
        ["delivery-1", "delivery-2", "delivery-3", "delivery-4", "delivery-5"]
      )
    }))
})
