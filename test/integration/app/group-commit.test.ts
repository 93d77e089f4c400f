import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql/SqlClient"
import { Effect, Exit, Layer } from "effect"
import { GroupCommit, GroupCommitLive } from "../../../src/app/group-commit.js"
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
