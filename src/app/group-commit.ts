import { Chunk, Context, Deferred, Duration, Effect, Exit, Layer, Queue } from "effect"
import { Settings } from "../config.js"
import { EventStore } from "../eventstore/event-store.js"
import type { AppendError } from "../eventstore/errors.js"
import type { AppendResult, StreamAppend } from "../eventstore/types.js"

export type AppendExit = Exit.Exit<AppendResult, AppendError>

export interface GroupCommitShape {
  /**
   * Appends through the shared committer: appends arriving together from concurrent requests go to the
   * log in one transaction. Answers once this append is durable (or has failed on its own).
   */
  readonly append: (append: StreamAppend) => Effect.Effect<AppendResult, AppendError>
  /** Appends these together now, one outcome per append, in order. */
  readonly appendAll: (appends: ReadonlyArray<StreamAppend>) => Effect.Effect<ReadonlyArray<AppendExit>>
}

export class GroupCommit extends Context.Tag("hookline/GroupCommit")<GroupCommit, GroupCommitShape>() {}

interface Pending {
  readonly append: StreamAppend
  readonly done: Deferred.Deferred<AppendResult, AppendError>
}

// Two batches in flight: while one commits, the next fills up.
const committers = 2
const fallbackConcurrency = 8

export const make = Effect.gen(function* () {
  const store = yield* EventStore
  const settings = yield* Settings
  const maxSize = settings.publishBatchMaxSize
  const window = Duration.millis(settings.publishBatchWindowMs)
  const queue = yield* Effect.acquireRelease(Queue.bounded<Pending>(maxSize * 20), Queue.shutdown)

  const alone = (append: StreamAppend) => Effect.exit(store.append(append.streamId, append.expectedVersion, append.events))

  /**
   * One appendBatch for all. A batch is all or nothing, so when it fails (typically one event id that is
   * already stored) every append is retried alone and gets its own outcome. A stream may appear only once
   * per batch: repeats are appended alone afterwards, where they meet the first one's result.
   */
  const appendAll = (appends: ReadonlyArray<StreamAppend>): Effect.Effect<ReadonlyArray<AppendExit>> =>
    Effect.gen(function* () {
      const seen = new Set<string>()
      const first: Array<number> = []
      const repeats: Array<number> = []
      appends.forEach((append, index) => {
        if (seen.has(append.streamId)) repeats.push(index)
        else {
          seen.add(append.streamId)
          first.push(index)
        }
      })
      const outcomes: Array<AppendExit> = new Array(appends.length)
      const batch = first.length === 1
        ? yield* Effect.map(alone(appends[first[0]!]!), (exit) => Exit.map(exit, (result) => [result]))
        : yield* Effect.exit(store.appendBatch(first.map((i) => appends[i]!)))
      if (Exit.isSuccess(batch)) {
        const byStream = new Map(batch.value.map((result) => [result.streamId, result]))
        for (const i of first) outcomes[i] = Exit.succeed(byStream.get(appends[i]!.streamId)!)
      } else if (first.length === 1) {
        outcomes[first[0]!] = Exit.failCause(batch.cause)
      } else {
        const each = yield* Effect.forEach(first, (i) => alone(appends[i]!), { concurrency: fallbackConcurrency })
        first.forEach((i, k) => (outcomes[i] = each[k]!))
      }
      for (const i of repeats) outcomes[i] = yield* alone(appends[i]!)
      return outcomes
    })

  const commitLoop = Effect.gen(function* () {
    let pending = Chunk.toArray(yield* Queue.takeBetween(queue, 1, maxSize))
    if (pending.length < maxSize && Duration.toMillis(window) > 0) {
      yield* Effect.sleep(window)
      pending = pending.concat(Chunk.toArray(yield* Queue.takeUpTo(queue, maxSize - pending.length)))
    }
    const outcomes = yield* appendAll(pending.map((p) => p.append)).pipe(
      Effect.catchAllCause((cause) => Effect.succeed(pending.map((): AppendExit => Exit.failCause(cause))))
    )
    yield* Effect.forEach(pending, (p, i) => Deferred.done(p.done, outcomes[i]!), { discard: true })
  }).pipe(Effect.forever)

  for (let i = 0; i < committers; i++) yield* Effect.forkScoped(commitLoop)

  const append = (append: StreamAppend) =>
    Effect.gen(function* () {
      const done = yield* Deferred.make<AppendResult, AppendError>()
      yield* Queue.offer(queue, { append, done })
      return yield* Deferred.await(done)
    })

  return GroupCommit.of({ append, appendAll })
})

export const GroupCommitLive = Layer.scoped(GroupCommit, make)
