import { Data, Result, Schema } from "effect"
import { EventIdConflict, PayloadTooLarge, type ValidationIssue, ValidationFailed } from "./errors.js"
import { decodePayload, EventTypeName, isOperationalEventType, isSubscribableEventType, testEventType } from "./event-types.js"
import { jsonByteLength, jsonEqual } from "./json.js"
import { isIsoDateTime, toIsoString } from "./time.js"

/**
 * A published event, stream `event-<id>`. The stream holds one EventPublished; because the stream id is
 * the event id, publishing the same id again finds it there and records nothing: publishing is idempotent.
 */

export const defaultMaxPayloadBytes = 256 * 1024

// The `u` flag lets Effect 4 put the pattern in the JSON Schema; the alphabet is ASCII either way.
const eventIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/u

/** Client-chosen ids become part of a stream id, so they are restricted to a safe alphabet. */
export const EventId = Schema.String.check(
  Schema.isPattern(eventIdPattern, {
    message: "must be 1 to 200 characters: letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
  })
).annotate({ identifier: "EventId" })

export const isEventId = (value: string): boolean => eventIdPattern.test(value)

/**
 * The body of `POST /v1/events`. `type`, `data` and `occurredAt` are checked by `decide`, all at once.
 * `optionalKey`: through Effect 4's JSON codec an `optional` field would take `null` as absent.
 */
export const PublishEventInput = Schema.Struct({
  id: Schema.optionalKey(EventId),
  type: Schema.String,
  data: Schema.Unknown,
  occurredAt: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "PublishEventInput" })
export type PublishEventInput = typeof PublishEventInput.Type

// Events ---------------------------------------------------------------------------------------------

export const EventPublished = Schema.TaggedStruct("EventPublished", {
  eventId: Schema.String,
  accountId: Schema.String,
  type: EventTypeName,
  /**
   * The decoded payload, validated when published. Not re-validated on read: the dispatcher reads
   * every published event, and a fact must decode even after its payload schema evolves.
   */
  data: Schema.Unknown,
  occurredAt: Schema.String,
  publishedAt: Schema.String,
  /** Set only for `webhook.test`: the one webhook it goes to, whatever that webhook subscribes to. */
  targetWebhookId: Schema.optional(Schema.String)
})
export type EventPublished = typeof EventPublished.Type

export const PublishedEventStreamEvent = Schema.Union([EventPublished])
export type PublishedEventStreamEvent = typeof PublishedEventStreamEvent.Type

// Commands -------------------------------------------------------------------------------------------

export type PublishedEventCommand = Data.TaggedEnum<{
  PublishEvent: {
    readonly eventId: string
    readonly accountId: string
    readonly type: string
    readonly data: unknown
    /** As sent by the publisher; defaults to `now`. */
    readonly occurredAt: string | undefined
    readonly now: Date
    readonly maxPayloadBytes: number
  }
  /** For `POST /v1/webhooks/{id}/test`; the caller has already checked the webhook is the account's. */
  PublishTestEvent: {
    readonly eventId: string
    readonly accountId: string
    readonly webhookId: string
    readonly now: Date
  }
}>
export const PublishedEventCommand = Data.taggedEnum<PublishedEventCommand>()

export type PublishError = ValidationFailed | PayloadTooLarge | EventIdConflict

// State ----------------------------------------------------------------------------------------------

export type PublishedEventState =
  | { readonly status: "none" }
  | { readonly status: "published"; readonly event: EventPublished }

export const initialState: PublishedEventState = { status: "none" }

export const evolve = (_state: PublishedEventState, event: PublishedEventStreamEvent): PublishedEventState => ({
  status: "published",
  event
})

// Decide ---------------------------------------------------------------------------------------------

type Decision = Result.Result<ReadonlyArray<PublishedEventStreamEvent>, PublishError>

export const testEventMessage = "This is a test event sent by Hookline."

/**
 * Checks run in an order that bounds the work: the size first (a huge payload is refused before it is
 * walked), then every remaining issue together so the publisher can fix them in one go.
 */
const decidePublish = (command: Data.TaggedEnum.Value<PublishedEventCommand, "PublishEvent">): Decision => {
  const size = jsonByteLength(command.data)
  if (Result.isFailure(size)) {
    return Result.fail(new ValidationFailed({ issues: [{ path: "data", message: size.failure }] }))
  }
  if (size.success > command.maxPayloadBytes) {
    return Result.fail(new PayloadTooLarge({ limit: command.maxPayloadBytes, size: size.success }))
  }
  const issues: Array<ValidationIssue> = []
  if (!isEventId(command.eventId)) {
    issues.push({ path: "id", message: "must be 1 to 200 characters: letters, digits, '.', '_', ':' or '-'" })
  }
  if (command.occurredAt !== undefined && !isIsoDateTime(command.occurredAt)) {
    issues.push({ path: "occurredAt", message: "must be an ISO 8601 date-time with a time zone" })
  }
  if (command.type === testEventType) {
    issues.push({ path: "type", message: "webhook.test is sent only by POST /v1/webhooks/{id}/test" })
    return Result.fail(new ValidationFailed({ issues }))
  }
  if (isOperationalEventType(command.type)) {
    issues.push({ path: "type", message: `${command.type} is an operational event: only Hookline sends it` })
    return Result.fail(new ValidationFailed({ issues }))
  }
  const decoded = decodePayload(command.type, command.data)
  if (Result.isFailure(decoded)) issues.push(...decoded.failure.issues)
  if (issues.length > 0 || Result.isFailure(decoded) || !isSubscribableEventType(command.type)) {
    return Result.fail(new ValidationFailed({ issues }))
  }
  const publishedAt = toIsoString(command.now)
  return Result.succeed([
    // Every field was checked above (or made here). A literal, not `make`: even without validation,
    // `make` merges constructor defaults, which cost a sixth of this decision.
    {
      _tag: "EventPublished",
      eventId: command.eventId,
      accountId: command.accountId,
      type: command.type,
      data: decoded.success,
      occurredAt: command.occurredAt === undefined ? publishedAt : toIsoString(new Date(command.occurredAt)),
      publishedAt
    } satisfies EventPublished
  ])
}

export const decide = (command: PublishedEventCommand, state: PublishedEventState): Decision => {
  if (state.status === "published") {
    // The same id from another account must not be swallowed as a duplicate: that would lose its event.
    if (state.event.accountId !== command.accountId) return Result.fail(new EventIdConflict({ eventId: command.eventId }))
    // Nor may another event under a reused id: only a retry of the same event is answered as a duplicate.
    // The data is stored as published, so a retry's data is JSON-equal to it.
    if (
      command._tag === "PublishEvent" &&
      (command.type !== state.event.type || !jsonEqual(command.data, state.event.data))
    ) {
      return Result.fail(new EventIdConflict({ eventId: command.eventId, differentContent: true }))
    }
    return Result.succeed([])
  }
  switch (command._tag) {
    case "PublishEvent":
      return decidePublish(command)
    case "PublishTestEvent": {
      const now = toIsoString(command.now)
      return Result.succeed([
        EventPublished.make({
          eventId: command.eventId,
          accountId: command.accountId,
          type: testEventType,
          data: { webhookId: command.webhookId, message: testEventMessage },
          occurredAt: now,
          publishedAt: now,
          targetWebhookId: command.webhookId
        })
      ])
    }
  }
}
