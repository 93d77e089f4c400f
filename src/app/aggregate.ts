import { Duration, Effect, Result, Schedule, Schema } from "effect"
import type { EventCodec } from "../eventstore/codec.js"
import { EventStore } from "../eventstore/event-store.js"
import type { WrongExpectedVersion } from "../eventstore/errors.js"
import { LogPosition, type RecordedEvent } from "../eventstore/types.js"

/** An aggregate as read from its stream: the folded state and the version to append at. */
export interface Loaded<S> {
  readonly state: S
  readonly version: number
  readonly events: ReadonlyArray<RecordedEvent>
}

/**
 * Reads a stream and folds it. An event that does not decode means the log and the code disagree,
 * which no request can fix: it is a defect, not a client error.
 */
export const loadAggregate = <A extends { readonly _tag: string }, S>(
  streamId: string,
  codec: EventCodec<A>,
  fold: (events: Iterable<A>) => S,
  options: { readonly skipOtherTypes?: boolean } = {}
) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const recorded = yield* store.readStream(streamId)
    const decoded: Array<A> = []
    for (const event of recorded) {
      // A stream shared with another writer (the dispatcher adds DeliveriesScheduled to an event's
      // stream): the aggregate folds only its own events.
      if (options.skipOtherTypes === true && !codec.types.has(event.type)) continue
      const result = codec.decode(event)
      if (Result.isFailure(result)) return yield* Effect.die(result.failure)
      decoded.push(result.success)
    }
    const version = recorded.length === 0 ? 0 : recorded[recorded.length - 1]!.streamVersion
    return { state: fold(decoded), version, events: recorded } satisfies Loaded<S>
  })

/** The expected version of an append after loading at `version`. */
export const expectedVersion = (version: number) => (version === 0 ? ("no_stream" as const) : version)

export class CommandConflict extends Schema.TaggedError<CommandConflict>()("CommandConflict", {
  streamId: Schema.String,
  attempts: Schema.Number
}) {
  override get message(): string {
    return `${this.streamId} kept changing concurrently; gave up after ${this.attempts} attempts, try again`
  }
}

const maxAttempts = 10

/**
 * Runs load-decide-append until the append lands on the version it was decided against. A conflict
 * means someone else wrote first: decide again on the new state (the plan limit relies on this).
 * Jittered so racing losers do not collide again in lockstep.
 */
export const withConflictRetry = <A, E, R>(attempt: Effect.Effect<A, E | WrongExpectedVersion, R>) =>
  attempt.pipe(
    Effect.retry({
      // A plain boolean, not a type guard: retrying while it holds does not rule the error out afterwards.
      while: (error): boolean => isWrongExpectedVersion(error),
      schedule: Schedule.max([
        Schedule.exponential(Duration.millis(2), 1.5).pipe(Schedule.jittered),
        Schedule.recurs(maxAttempts - 1)
      ])
    }),
    Effect.catchIf(isWrongExpectedVersion, (error) =>
      Effect.fail(new CommandConflict({ streamId: error.streamId, attempts: maxAttempts }))
    )
  )

const isWrongExpectedVersion = (error: unknown): error is WrongExpectedVersion =>
  typeof error === "object" && error !== null && "_tag" in error && error._tag === "WrongExpectedVersion"

/** The latest position among an append's events: where the read models must get to. */
export const lastPosition = (positions: ReadonlyArray<LogPosition>): LogPosition | undefined =>
  positions.reduce<LogPosition | undefined>(
    (latest, p) => (latest === undefined ? p : LogPosition.later(latest, p)),
    undefined
  )
