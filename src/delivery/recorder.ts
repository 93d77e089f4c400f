import { Context, Duration, Effect, Layer, Queue, Ref } from "effect"
import { EventStore } from "../eventstore/event-store.js"
import { supervised } from "../supervise.js"
import { LogPosition, type NewEvent, type StreamAppend } from "../eventstore/types.js"

/** One attempt's outcome (and whatever it caused), to be appended to the log. */
export interface Recording {
  readonly appends: ReadonlyArray<StreamAppend>
  /**
   * Called once the append has committed, with the position of the batch's last event. Synchronous:
   * a group commits thousands of recordings, and an effect each cost more than the bookkeeping.
   */
  readonly onCommitted?: (position: LogPosition) => void
}

export interface DeliveryRecorderShape {
  /** Queues a recording; waits only when the queue is full (back-pressure on the senders). */
  readonly record: (recording: Recording) => Effect.Effect<void>
  /** The position of the last committed group: everything recorded before it is in the log. */
  readonly lastCommitted: Effect.Effect<LogPosition>
  /** Recordings queued or being appended. */
  readonly pending: Effect.Effect<number>
}

export class DeliveryRecorder extends Context.Service<DeliveryRecorder, DeliveryRecorderShape>()("hookline/DeliveryRecorder") {}

/**
 * Recordings per transaction, at most. With the delivery log written in the same transaction, a group's
 * commit takes longer the bigger it is, and what a kill -9 catches uncommitted is sent again after the
 * restart: the crash test's repeats reached 509–1,038 of ~1,000 at 2,000 a group, 33–208 at 500.
 */
const maxGroup = 500

/**
 * Merges recordings into one append per stream: the store takes each stream once per batch. A stream's
 * first recording says whether it is most likely new (`new_or_any`, no version lookup); every other
 * append here is `any`.
 */
const merge = (recordings: ReadonlyArray<Recording>): ReadonlyArray<StreamAppend> => {
  const byStream = new Map<string, { expectedVersion: "any" | "new_or_any"; events: Array<NewEvent> }>()
  for (const recording of recordings) {
    for (const append of recording.appends) {
      const merged = byStream.get(append.streamId)
      if (merged === undefined) {
        byStream.set(append.streamId, {
          expectedVersion: append.expectedVersion === "new_or_any" ? "new_or_any" : "any",
          events: [...append.events]
        })
      } else merged.events.push(...append.events)
    }
  }
  return Array.from(byStream, ([streamId, { expectedVersion, events }]) => ({ streamId, expectedVersion, events }))
}

/**
 * Group commit: every outcome that arrives while one append runs goes into the next one, so many actors'
 * attempts cost one transaction every few milliseconds. An append that fails (database away) is retried
 * with the same group until it commits; nothing recorded is dropped.
 */
export const make = Effect.gen(function* () {
  const store = yield* EventStore
  const queue = yield* Queue.bounded<Recording>(20_000)
  const last = yield* Ref.make(LogPosition.start)
  const inFlight = yield* Ref.make(0)

  const commit = Effect.fnUntraced(function* (group: ReadonlyArray<Recording>) {
    yield* Ref.set(inFlight, group.length)
    // Retried until it commits, whatever the failure: a group dropped here would leave its deliveries
    // held in memory with no outcome.
    const results = yield* supervised("recording delivery outcomes", store.appendBatch(merge(group)))
    let position = LogPosition.start
    for (const result of results) {
      for (const event of result.events) {
        position = LogPosition.later(position, event.position)
      }
    }
    yield* Ref.update(last, (current) => LogPosition.later(current, position))
    for (const recording of group) {
      recording.onCommitted?.(position)
    }
    yield* Ref.set(inFlight, 0)
  })

  yield* supervised("the recorder", Effect.forever(Effect.flatMap(Queue.takeBetween(queue, 1, maxGroup), commit))).pipe(
    Effect.forkScoped
  )

  // Runs before the commit loop is interrupted (finalizers run last-in first-out): what the senders
  // recorded before a graceful stop is committed, within a bound.
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline && (yield* Queue.size(queue)) + (yield* Ref.get(inFlight)) > 0) {
        yield* Effect.sleep(Duration.millis(10))
      }
    })
  )

  return DeliveryRecorder.of({
    // Queued without an effect when there is room, as nearly always; `offer` waits behind earlier
    // waiting recordings when there is not, so their order is kept.
    record: (recording) =>
      Queue.offerUnsafe(queue, recording) ? Effect.void : Effect.asVoid(Queue.offer(queue, recording)),
    lastCommitted: Ref.get(last),
    pending: Effect.zipWith(Queue.size(queue), Ref.get(inFlight), (a, b) => a + b)
  })
})

export const DeliveryRecorderLive = Layer.effect(DeliveryRecorder, make)
