import { Clock, Context, Effect, Exit, Layer, Option, Result, Schema } from "effect"
import { Settings } from "../config.js"
import { commandDecodeOptions, issuesFromParseError, PublishedEvent, Streams, ValidationFailed } from "../domain/index.js"
import { EventStore } from "../eventstore/event-store.js"
import type { AppendError, EventStoreUnavailable } from "../eventstore/errors.js"
import type { StreamAppend } from "../eventstore/types.js"
import { loadAggregate } from "./aggregate.js"
import { type Caller, eventMetadata } from "./caller.js"
import { publishedEventCodec } from "../domain/codecs.js"
import { type AppendExit, GroupCommit, type PublishOverloaded } from "./group-commit.js"
import { mintEventId } from "./ids.js"
import { compileGuard } from "../domain/fast-guard.js"
import { EnvelopeCache } from "../delivery/envelopes.js"

export interface Published {
  readonly event: PublishedEvent.EventPublished
  /** True when this id was published before: `event` is what was stored then. */
  readonly duplicate: boolean
}

export type PublishFailure = PublishedEvent.PublishError | EventStoreUnavailable | PublishOverloaded

export interface PublishedEventsShape {
  /** Answers once the event is durable in the log; concurrent calls share one append. */
  readonly publish: (
    accountId: string,
    input: PublishedEvent.PublishEventInput,
    caller: Caller
  ) => Effect.Effect<Published, PublishFailure>
  /**
   * Each item decided on its own, the valid ones appended together; one outcome per item, in order.
   * Over capacity the whole batch is refused, so the publisher retries it as it is.
   */
  readonly publishBatch: (
    accountId: string,
    items: ReadonlyArray<unknown>,
    caller: Caller
  ) => Effect.Effect<ReadonlyArray<Result.Result<Published, PublishFailure>>, PublishOverloaded>
  /** True while publishing is over capacity: a publish now would be refused (checked before reading a body). */
  readonly saturated: () => boolean
  /** The account's published event with this id (another account's is as absent as a missing one). */
  readonly find: (
    accountId: string,
    eventId: string
  ) => Effect.Effect<Option.Option<PublishedEvent.EventPublished>, EventStoreUnavailable>
}

export class PublishedEvents extends Context.Service<PublishedEvents, PublishedEventsShape>()("hookline/PublishedEvents") {}

type PublishCommand = ReturnType<typeof PublishedEvent.PublishedEventCommand.PublishEvent>

interface Prepared {
  readonly command: PublishCommand
  readonly event: PublishedEvent.EventPublished
  readonly append: StreamAppend
}

// As strict as the single publish's body: an item's unknown field is refused (its `data` is not walked).
const decodeItemFully = Schema.decodeUnknownResult(PublishedEvent.PublishEventInput, commandDecodeOptions)
const itemGuard = compileGuard(PublishedEvent.PublishEventInput)

/** A batch item as sent is nearly always valid: the compiled guard takes it, the decoder writes the errors. */
const decodeItem = (item: unknown) =>
  itemGuard !== undefined && itemGuard(item) ? Result.succeed(item) : decodeItemFully(item)

/**
 * The log id of a published event: derived from the account and the event id, so a retried publish
 * is recognised by the store itself as the same append and answered with the original position.
 */
const logEventId = (accountId: string, eventId: string) => `published:${accountId}:${eventId}`

const foldPublished = (events: Iterable<PublishedEvent.PublishedEventStreamEvent>) => {
  let state = PublishedEvent.initialState
  for (const event of events) state = PublishedEvent.evolve(state, event)
  return state
}

export const make = Effect.gen(function* () {
  const store = yield* EventStore
  const groupCommit = yield* GroupCommit
  const settings = yield* Settings
  const envelopes = yield* Effect.serviceOption(EnvelopeCache)

  /** Hands a newly stored event's body to this process's dispatcher (never a repeated or refused one). */
  const handOver = (prepared: Prepared) => {
    if (Option.isNone(envelopes)) return
    envelopes.value.put(prepared.event.eventId, {
      source: prepared.event,
      correlationId: prepared.append.events[0]?.metadata?.correlationId
    })
  }

  const load = (eventId: string) =>
    loadAggregate(Streams.eventStream(eventId), publishedEventCodec, foldPublished, { skipOtherTypes: true }).pipe(
      Effect.provideService(EventStore, store)
    )

  /** The append of one publish, decided; synchronous, so a batch of 500 costs no effect per item. */
  const prepare = (
    accountId: string,
    input: PublishedEvent.PublishEventInput,
    caller: Caller,
    now: Date
  ): Result.Result<Prepared, PublishedEvent.PublishError> => {
    // A missing `data` would otherwise be reported as "not serializable", which misleads.
    if (input.data === undefined) {
      return Result.fail(new ValidationFailed({ issues: [{ path: "data", message: "is missing" }] }))
    }
    const eventId = input.id ?? mintEventId()
    const command = PublishedEvent.PublishedEventCommand.PublishEvent({
      eventId,
      accountId,
      type: input.type,
      data: input.data,
      occurredAt: input.occurredAt,
      now,
      maxPayloadBytes: settings.maxPayloadBytes
    })
    return Result.flatMap(PublishedEvent.decide(command, PublishedEvent.initialState), ([event]) => {
      // `decide` answers a publish on a fresh stream with exactly one event.
      if (event === undefined) throw new Error("a publish decided on nothing")
      const append: StreamAppend = {
        streamId: Streams.eventStream(eventId),
        expectedVersion: "no_stream",
        events: [publishedEventCodec.encode(event, logEventId(accountId, eventId), eventMetadata(caller))]
      }
      return Result.succeed({ command, event, append } satisfies Prepared)
    })
  }

  const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

  /**
   * The append's outcome as the publisher sees it. The stream existing already means the id was
   * published before: by this account (answer with what was stored) or by another (a conflict), which
   * the domain decides on the stored state.
   */
  const settle = (prepared: Prepared, outcome: AppendExit): Effect.Effect<Published, PublishFailure> =>
    Effect.gen(function* () {
      if (Exit.isSuccess(outcome) && !outcome.value.duplicate) {
        handOver(prepared)
        return { event: prepared.event, duplicate: false }
      }
      if (Exit.isFailure(outcome)) {
        const error = yield* Effect.result(Effect.failCause(outcome.cause))
        if (Result.isFailure(error) && error.failure._tag === "EventStoreUnavailable") return yield* error.failure
      }
      const stored = yield* load(prepared.command.eventId)
      yield* Effect.fromResult(PublishedEvent.decide(prepared.command, stored.state))
      if (stored.state.status === "none") return yield* Effect.die(new Error("a published event's stream is empty"))
      return { event: stored.state.event, duplicate: true }
    })

  const publish: PublishedEventsShape["publish"] = (accountId, input, caller) =>
    Effect.gen(function* () {
      const prepared = yield* Effect.fromResult(prepare(accountId, input, caller, yield* now))
      // Overload is the publisher's to retry; every other outcome is settled against the stored state.
      const outcome = yield* groupCommit.append(prepared.append).pipe(
        Effect.map((result): AppendExit => Exit.succeed(result)),
        Effect.catchIf(
          (error): error is AppendError => error._tag !== "PublishOverloaded",
          (error) => Effect.succeed<AppendExit>(Exit.fail(error))
        )
      )
      return yield* settle(prepared, outcome)
    })

  const publishBatch: PublishedEventsShape["publishBatch"] = (accountId, items, caller) =>
    Effect.gen(function* () {
      const at = yield* now
      const prepared = items.map((item) =>
        Result.match(decodeItem(item), {
          onFailure: (error) => Result.fail(new ValidationFailed({ issues: issuesFromParseError(error) })),
          onSuccess: (input) => prepare(accountId, input, caller, at)
        })
      )
      const valid = prepared.flatMap((p) => (Result.isSuccess(p) ? [p.success] : []))
      const outcomes = yield* groupCommit.appendAll(valid.map((p) => p.append))
      // Appended as decided: the answer is at hand, with no effect per item. Only repeats and failures
      // need the stored state.
      const settled: Array<Result.Result<Published, PublishFailure>> = []
      const slow: Array<number> = []
      valid.forEach((p, i) => {
        const outcome = outcomes[i]!
        if (Exit.isSuccess(outcome) && !outcome.value.duplicate) {
          handOver(p)
          settled[i] = Result.succeed({ event: p.event, duplicate: false })
        }
        else slow.push(i)
      })
      const slowSettled = yield* Effect.forEach(slow, (i) => Effect.result(settle(valid[i]!, outcomes[i]!)), {
        concurrency: 8
      })
      slow.forEach((i, k) => {
        settled[i] = slowSettled[k]!
      })
      let next = 0
      return prepared.map((p): Result.Result<Published, PublishFailure> =>
        Result.isFailure(p) ? Result.fail(p.failure) : settled[next++]!
      )
    })

  const find: PublishedEventsShape["find"] = (accountId, eventId) =>
    PublishedEvent.isEventId(eventId)
      ? Effect.map(load(eventId), ({ state }) =>
          state.status === "published" && state.event.accountId === accountId ? Option.some(state.event) : Option.none()
        )
      : Effect.succeed(Option.none())

  return PublishedEvents.of({ publish, publishBatch, find, saturated: groupCommit.saturated })
})

export const PublishedEventsLive = Layer.effect(PublishedEvents, make)
