import { Context, Deferred, Duration, Effect, Exit, Layer, Queue, Schema } from "effect"
import { Settings } from "../config.js"
import { EventStore } from "../eventstore/event-store.js"
import type { AppendError } from "../eventstore/errors.js"
import type { AppendResult, StreamAppend } from "../eventstore/types.js"

export type AppendExit = Exit.Exit<AppendResult, AppendError>

/**
 * The log is not keeping up: this many appends already wait, and taking more would only grow memory
 * and every publisher's latency. Refused at once, so the publisher retries after `retryAfterSeconds`.
 */
export class PublishOverloaded extends Schema.TaggedError<PublishOverloaded>()("PublishOverloaded", {
  pending: Schema.Number,
  capacity: Schema.Number,
  retryAfterSeconds: Schema.Number
}) {
  override get message() {
    return `publishing is over capacity (${this.pending} of ${this.capacity} events waiting for the log); retry in ${this.retryAfterSeconds} s`
  }
}

export interface GroupCommitShape {
  /**
   * Appends through the shared committer: appends arriving together from concurrent requests go to the
   * log in one transaction. Answers once this append is durable (or has failed on its own); refused
   * at once when the appends waiting already fill the capacity.
   */
  readonly append: (append: StreamAppend) => Effect.Effect<AppendResult, AppendError | PublishOverloaded>
  /** Appends these together now, one outcome per append, in order; refused whole when over capacity. */
  readonly appendAll: (appends: ReadonlyArray<StreamAppend>) => Effect.Effect<ReadonlyArray<AppendExit>, PublishOverloaded>
  /** True while the waiting appends fill the capacity: a publish arriving now would be refused. */
  readonly saturated: () => boolean
}

export class GroupCommit extends Context.Service<GroupCommit, GroupCommitShape>()("hookline/GroupCommit") {}

interface Pending {
  readonly append: StreamAppend
  readonly done: Deferred.Deferred<AppendResult, AppendError>
}

// Two batches in flight: while one commits, the next fills up.
const committers = 2
const fallbackConcurrency = 8
/** What a refused publisher is told: the log drains a full queue in well under a second when healthy. */
const retryAfterSeconds = 1

export const make = Effect.gen(function* () {
  const store = yield* EventStore
  const settings = yield* Settings
  const maxSize = settings.publishBatchMaxSize
  const window = Duration.millis(settings.publishBatchWindowMs)
  const capacity = settings.publishQueueCapacity
  // Appends admitted and not yet settled, single and batch alike: the one number that bounds the memory
  // publishing can hold. The queue never fills before it (it holds only admitted single appends).
  let pending = 0
  const queue = yield* Effect.acquireRelease(Queue.bounded<Pending>(capacity), Queue.shutdown)

  /** Admits `count` appends or refuses; an empty committer always admits, so a batch bigger than the capacity still goes through alone. */
  const admit = <A, E, R>(count: number, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | PublishOverloaded, R> =>
    Effect.suspend((): Effect.Effect<A, E | PublishOverloaded, R> => {
      if (pending > 0 && pending + count > capacity) {
        return Effect.fail(new PublishOverloaded({ pending, capacity, retryAfterSeconds }))
      }
      pending += count
      return Effect.ensuring(effect, Effect.sync(() => (pending -= count)))
    })

  const alone = (append: StreamAppend) => Effect.exit(store.append(append.streamId, append.expectedVersion, append.events))

  /**
   * One appendBatch for all. A batch is all or nothing, so when it fails (typically one event id that is
   * already stored) every append is retried alone and gets its own outcome. A stream may appear only once
   * per batch: repeats are appended alone afterwards, where they meet the first one's result.
   */
  const appendTogether = (appends: ReadonlyArray<StreamAppend>): Effect.Effect<ReadonlyArray<AppendExit>> =>
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

  /**
   * Takes what is waiting, at most `max`, without waiting. Effect 4 has no `Queue.takeUpTo`, and
   * `Queue.takeBetween(queue, 0, max)` answers an empty array at once; a size check followed by
   * `takeBetween(queue, 1, max)` would race the other committer and could leave this batch waiting for
   * the next publish.
   */
  const takeWaiting = (max: number) =>
    Effect.sync(() => {
      const taken: Array<Pending> = []
      while (taken.length < max) {
        const next = Queue.takeUnsafe(queue)
        if (next === undefined || Exit.isFailure(next)) break
        taken.push(next.value)
      }
      return taken
    })

  const commitLoop = Effect.gen(function* () {
    let taken = yield* Queue.takeBetween(queue, 1, maxSize)
    if (taken.length < maxSize && Duration.toMillis(window) > 0) {
      yield* Effect.sleep(window)
      taken = taken.concat(yield* takeWaiting(maxSize - taken.length))
    }
    const outcomes = yield* appendTogether(taken.map((p) => p.append)).pipe(
      Effect.catchCause((cause) => Effect.succeed(taken.map((): AppendExit => Exit.failCause(cause))))
    )
    yield* Effect.forEach(taken, (p, i) => Deferred.done(p.done, outcomes[i]!), { discard: true })
  }).pipe(Effect.forever)

  for (let i = 0; i < committers; i++) yield* Effect.forkScoped(commitLoop)

  const append = (append: StreamAppend) =>
    admit(
      1,
      Effect.gen(function* () {
        const done = yield* Deferred.make<AppendResult, AppendError>()
        // Effect 4 answers an offer to a shut-down queue with false where Effect 3 interrupted the caller:
        // waiting for an answer that no committer will give would hang the caller.
        if (!(yield* Queue.offer(queue, { append, done }))) return yield* Effect.interrupt
        return yield* Deferred.await(done)
      })
    )

  const appendAll = (appends: ReadonlyArray<StreamAppend>) => admit(appends.length, appendTogether(appends))

  return GroupCommit.of({ append, appendAll, saturated: () => pending >= capacity })
})

export const GroupCommitLive = Layer.effect(GroupCommit, make)
