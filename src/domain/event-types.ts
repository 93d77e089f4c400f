import { Either, JSONSchema, type ParseResult, Schema } from "effect"
import { issuesFromParseError, ValidationFailed } from "./errors.js"
import { compileGuard } from "./fast-guard.js"
import { JsonValue } from "./json.js"
import { IsoDateTime } from "./time.js"

/**
 * The event catalogue: every type Hookline delivers and the payload each carries. Payloads are complete
 * enough for a receiver to act without calling Vivollo back. Schemas have Type = Encoded (no
 * transformations) so decoded data is its own JSON and `JSONSchema.make` renders every one of them.
 * Unknown properties are dropped on decode: receivers get exactly the documented shape.
 */

/** A literal union reporting one issue listing the choices, not one "Expected ..." per member. */
const oneOf = <const L extends ReadonlyArray<string>>(...literals: L) =>
  Schema.Literal(...literals).annotations({
    message: (issue) => ({
      message: `must be one of ${literals.join(", ")}; got ${JSON.stringify(issue.actual)}`,
      override: true
    })
  })

const Id = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(256))
const Name = Schema.String.pipe(Schema.maxLength(1000))
const Email = Schema.String.pipe(
  Schema.pattern(/^[^\s@]+@[^\s@]+$/, { message: () => "must be an email address" })
)
const Phone = Schema.String.pipe(Schema.maxLength(64))
const Url = Schema.String.pipe(Schema.maxLength(8192))

export const ChannelType = oneOf(
  "web",
  "whatsapp",
  "email",
  "sms",
  "messenger",
  "instagram",
  "telegram",
  "api"
).annotations({ identifier: "ChannelType" })

export const Channel = Schema.Struct({
  id: Id,
  type: ChannelType,
  name: Name
}).annotations({ identifier: "Channel" })

export const ConversationStatus = oneOf("open", "pending", "snoozed", "resolved", "closed")
  .annotations({ identifier: "ConversationStatus" })

export const Customer = Schema.Struct({
  id: Id,
  name: Name,
  email: Schema.optional(Email),
  phone: Schema.optional(Phone)
}).annotations({ identifier: "Customer", description: "the end user (Vivollo's customer's customer)" })

export const Sender = Schema.Struct({
  type: oneOf("user", "agent", "bot"),
  id: Id,
  name: Name
}).annotations({ identifier: "Sender" })

export const Attachment = Schema.Struct({
  id: Id,
  type: oneOf("image", "video", "audio", "file"),
  url: Url,
  name: Schema.optional(Name),
  mimeType: Schema.optional(Schema.String),
  sizeBytes: Schema.optional(Schema.NonNegativeInt)
}).annotations({ identifier: "Attachment" })

export const Message = Schema.Struct({
  id: Id,
  text: Schema.String.annotations({ description: "the message text; empty when it only has attachments" }),
  sender: Sender,
  attachments: Schema.optional(Schema.Array(Attachment)),
  createdAt: IsoDateTime
}).annotations({ identifier: "Message" })

export const ConversationSummary = Schema.Struct({
  id: Id,
  status: ConversationStatus,
  channelId: Id,
  subject: Schema.optional(Name)
}).annotations({ identifier: "ConversationSummary" })

export const Assignee = Schema.Struct({
  type: oneOf("agent", "bot", "team"),
  id: Id,
  name: Name
}).annotations({ identifier: "Assignee" })

export const Conversation = Schema.Struct({
  id: Id,
  status: ConversationStatus,
  channelId: Id,
  subject: Schema.optional(Name),
  assignee: Schema.optional(Schema.NullOr(Assignee)),
  tags: Schema.optional(Schema.Array(Schema.String)),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime
}).annotations({ identifier: "Conversation" })

/** One changed field: the previous and the new value (null when the field was or became unset). */
export const FieldChange = Schema.Struct({
  field: Schema.String.pipe(Schema.minLength(1)),
  from: JsonValue,
  to: JsonValue
}).annotations({ identifier: "FieldChange" })

const Changes = Schema.Array(FieldChange).pipe(
  Schema.minItems(1, { message: () => "must list at least one change" })
).annotations({ description: "the fields that changed" })

export const Session = Schema.Struct({
  id: Id,
  status: oneOf("active", "idle", "ended"),
  channelId: Schema.optional(Id),
  startedAt: IsoDateTime,
  endedAt: Schema.optional(IsoDateTime)
}).annotations({ identifier: "Session" })

export const Visitor = Schema.Struct({
  id: Id,
  name: Schema.optional(Name),
  email: Schema.optional(Email),
  phone: Schema.optional(Phone),
  userId: Schema.optional(Id).annotations({ description: "the user this visitor was identified as" }),
  ipAddress: Schema.optional(Schema.String),
  userAgent: Schema.optional(Schema.String),
  country: Schema.optional(Schema.String),
  pageUrl: Schema.optional(Url)
}).annotations({ identifier: "Visitor" })

export const User = Schema.Struct({
  id: Id,
  name: Name,
  email: Schema.optional(Email),
  phone: Schema.optional(Phone),
  avatarUrl: Schema.optional(Url),
  attributes: Schema.optional(Schema.Record({ key: Schema.String, value: JsonValue })),
  updatedAt: IsoDateTime
}).annotations({ identifier: "User" })

export const MessageCreatedPayload = Schema.Struct({
  message: Message,
  conversation: ConversationSummary,
  customer: Customer,
  channel: Channel
}).annotations({ identifier: "MessageCreatedPayload" })
export type MessageCreatedPayload = typeof MessageCreatedPayload.Type

export const ConversationUpdatedPayload = Schema.Struct({
  conversation: Conversation,
  customer: Customer,
  channel: Channel,
  changes: Changes
}).annotations({ identifier: "ConversationUpdatedPayload" })
export type ConversationUpdatedPayload = typeof ConversationUpdatedPayload.Type

export const SessionUpdatedPayload = Schema.Struct({
  session: Session,
  visitor: Visitor,
  metadata: Schema.Record({ key: Schema.String, value: JsonValue })
}).annotations({ identifier: "SessionUpdatedPayload" })
export type SessionUpdatedPayload = typeof SessionUpdatedPayload.Type

export const UserUpdatedPayload = Schema.Struct({
  user: User,
  changes: Changes
}).annotations({ identifier: "UserUpdatedPayload" })
export type UserUpdatedPayload = typeof UserUpdatedPayload.Type

export const WebhookTestPayload = Schema.Struct({
  webhookId: Id,
  message: Schema.String
}).annotations({ identifier: "WebhookTestPayload" })
export type WebhookTestPayload = typeof WebhookTestPayload.Type

const subscribableNames = ["message.created", "conversation.updated", "session.updated", "user.updated"] as const

/** The types a webhook may subscribe to and a service may publish. */
export const subscribableEventTypes: ReadonlyArray<SubscribableEventType> = subscribableNames

const unknownTypeMessage = (actual: unknown): string =>
  `unknown event type ${JSON.stringify(actual)}; valid types: ${subscribableNames.join(", ")}`

// `override`: otherwise a failed literal union reports one "Expected ..." per member.
export const SubscribableEventType = Schema.Literal(...subscribableNames).annotations({
  identifier: "SubscribableEventType",
  message: (issue) => ({
    message: issue.actual === "webhook.test"
      ? `webhook.test cannot be subscribed to (only POST /v1/webhooks/{id}/test sends it); valid types: ${
        subscribableNames.join(", ")
      }`
      : unknownTypeMessage(issue.actual),
    override: true
  })
})
export type SubscribableEventType = typeof SubscribableEventType.Type

/**
 * Every type in the catalogue, including `webhook.test`: an internal type sent only by
 * `POST /v1/webhooks/{id}/test` and delivered only to that webhook, whatever it subscribes to. It cannot
 * be subscribed to or published through `POST /v1/events`.
 */
export const EventTypeName = Schema.Literal(...subscribableNames, "webhook.test").annotations({
  identifier: "EventTypeName",
  message: (issue) => ({ message: unknownTypeMessage(issue.actual), override: true })
})
export type EventTypeName = typeof EventTypeName.Type

export const testEventType = "webhook.test" satisfies EventTypeName

export interface EventTypeDefinition<N extends EventTypeName, A> {
  readonly name: N
  readonly description: string
  /** False for internal types: never matched against subscriptions, refused by the publish route. */
  readonly subscribable: boolean
  readonly payload: Schema.Schema<A>
}

const define = <N extends EventTypeName, A>(definition: EventTypeDefinition<N, A>) => definition

export const eventTypes = {
  "message.created": define({
    name: "message.created",
    description: "A message was posted in a conversation, by the customer, an agent or a bot.",
    subscribable: true,
    payload: MessageCreatedPayload
  }),
  "conversation.updated": define({
    name: "conversation.updated",
    description: "A conversation changed (status, assignee, subject, tags...); `changes` lists what changed.",
    subscribable: true,
    payload: ConversationUpdatedPayload
  }),
  "session.updated": define({
    name: "session.updated",
    description: "A visitor session started, went idle, ended or changed its metadata.",
    subscribable: true,
    payload: SessionUpdatedPayload
  }),
  "user.updated": define({
    name: "user.updated",
    description: "A user's contact details or attributes changed; `changes` lists what changed.",
    subscribable: true,
    payload: UserUpdatedPayload
  }),
  "webhook.test": define({
    name: "webhook.test",
    description:
      "Sent by POST /v1/webhooks/{id}/test to that webhook only, whatever it subscribes to. Not subscribable.",
    subscribable: false,
    payload: WebhookTestPayload
  })
} as const

/** The catalogue in display order (the order of `GET /v1/event-types`). */
export const eventTypeList = Object.values(eventTypes)

export type EventPayload<N extends EventTypeName = EventTypeName> = N extends EventTypeName
  ? Schema.Schema.Type<(typeof eventTypes)[N]["payload"]>
  : never

export const isEventTypeName = (value: string): value is EventTypeName => Object.hasOwn(eventTypes, value)

export const isSubscribableEventType = (value: string): value is SubscribableEventType =>
  (subscribableNames as ReadonlyArray<string>).includes(value)

// One decoder per type, typed to the payload union: a lookup of schemas would be a union of invariant
// Schema types that does not narrow to one callable signature.
const payloadDecoders: {
  readonly [N in EventTypeName]: (data: unknown) => Either.Either<EventPayload<N>, ParseResult.ParseError>
} = {
  "message.created": Schema.decodeUnknownEither(MessageCreatedPayload, { errors: "all" }),
  "conversation.updated": Schema.decodeUnknownEither(ConversationUpdatedPayload, { errors: "all" }),
  "session.updated": Schema.decodeUnknownEither(SessionUpdatedPayload, { errors: "all" }),
  "user.updated": Schema.decodeUnknownEither(UserUpdatedPayload, { errors: "all" }),
  "webhook.test": Schema.decodeUnknownEither(WebhookTestPayload, { errors: "all" })
}

const payloadGuards: ReadonlyMap<string, ((data: unknown) => boolean) | undefined> = new Map(
  Object.values(eventTypes).map((definition) => [definition.name, compileGuard(definition.payload)])
)

/**
 * Decodes `data` against the payload schema of `type`. Issues are reported all at once with paths
 * under `data` (or at `type` when the type is unknown), ready for a 400 response.
 */
export function decodePayload<N extends EventTypeName>(
  type: N,
  data: unknown
): Either.Either<EventPayload<N>, ValidationFailed>
export function decodePayload(type: string, data: unknown): Either.Either<EventPayload, ValidationFailed>
export function decodePayload(type: string, data: unknown): Either.Either<EventPayload, ValidationFailed> {
  if (!isEventTypeName(type)) {
    return Either.left(new ValidationFailed({ issues: [{ path: "type", message: unknownTypeMessage(type) }] }))
  }
  // Nearly every payload is valid: the compiled guard accepts it as it is, and the decoder (which also
  // writes the error messages) sees only the rest.
  if (payloadGuards.get(type)?.(data) === true) return Either.right(data as EventPayload)
  const decode: (data: unknown) => Either.Either<EventPayload, ParseResult.ParseError> = payloadDecoders[type]
  return decode(data).pipe(
    Either.mapLeft((error) => new ValidationFailed({ issues: issuesFromParseError(error, "data") }))
  )
}

/** The JSON Schema (draft-07) of a type's payload, for `GET /v1/event-types` and receivers' tooling. */
export const payloadJsonSchema = (type: EventTypeName): JSONSchema.JsonSchema7Root =>
  JSONSchema.make(Schema.make(eventTypes[type].payload.ast))
