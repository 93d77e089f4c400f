import { JsonSchema, Result, Schema } from "effect"
import { decodeOptions, issuesFromParseError, ValidationFailed } from "./errors.js"
import { compileGuard } from "./fast-guard.js"
import { JsonValue } from "./json.js"
import { IsoDateTime } from "./time.js"

/**
 * The event catalogue: every type Hookline delivers and the payload each carries. Payloads are complete
 * enough for a receiver to act without calling Vivollo back. Schemas have no transformations, so decoded
 * data is its own JSON and `Schema.toJsonSchemaDocument` renders every one of them.
 * The schemas check what a payload must hold; properties they do not list are kept as published (a
 * publisher's payload may grow a field before the catalogue does, and dropping it would lose data).
 * Optional fields are `optionalKey`: with `optional` the JSON Schema would offer `null` for them (Effect 4's
 * JSON codec writes an `undefined` as null), which the decoder refuses.
 */

/** A literal union reporting one issue listing the choices, not one "Expected ..." per member. */
const oneOf = <const L extends ReadonlyArray<string>>(...literals: L) =>
  Schema.Literals(literals).annotate({
    message: `must be one of ${literals.join(", ")}`,
    messageFromInput: (input) => `must be one of ${literals.join(", ")}; got ${JSON.stringify(input)}`
  })

const Id = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(256))
const Name = Schema.String.check(Schema.isMaxLength(1000))
// The `u` flag lets Effect 4 put the pattern in the JSON Schema.
const Email = Schema.String.check(Schema.isPattern(/^[^\s@]+@[^\s@]+$/u, { message: "must be an email address" }))
const Phone = Schema.String.check(Schema.isMaxLength(64))
const Url = Schema.String.check(Schema.isMaxLength(8192))

export const ChannelType = oneOf(
  "web",
  "whatsapp",
  "email",
  "sms",
  "messenger",
  "instagram",
  "telegram",
  "api"
).annotate({ identifier: "ChannelType" })

export const Channel = Schema.Struct({
  id: Id,
  type: ChannelType,
  name: Name
}).annotate({ identifier: "Channel" })

export const ConversationStatus = oneOf("open", "pending", "snoozed", "resolved", "closed").annotate({ identifier: "ConversationStatus" })

export const Customer = Schema.Struct({
  id: Id,
  name: Name,
  email: Schema.optionalKey(Email),
  phone: Schema.optionalKey(Phone)
}).annotate({ identifier: "Customer", description: "the end user (Vivollo's customer's customer)" })

export const Sender = Schema.Struct({
  type: oneOf("user", "agent", "bot"),
  id: Id,
  name: Name
}).annotate({ identifier: "Sender" })

export const Attachment = Schema.Struct({
  id: Id,
  type: oneOf("image", "video", "audio", "file"),
  url: Url,
  name: Schema.optionalKey(Name),
  mimeType: Schema.optionalKey(Schema.String),
  sizeBytes: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
}).annotate({ identifier: "Attachment" })

export const Message = Schema.Struct({
  id: Id,
  text: Schema.String.annotate({ description: "the message text; empty when it only has attachments" }),
  sender: Sender,
  attachments: Schema.optionalKey(Schema.Array(Attachment)),
  createdAt: IsoDateTime
}).annotate({ identifier: "Message" })

export const ConversationSummary = Schema.Struct({
  id: Id,
  status: ConversationStatus,
  channelId: Id,
  subject: Schema.optionalKey(Name)
}).annotate({ identifier: "ConversationSummary" })

export const Assignee = Schema.Struct({
  type: oneOf("agent", "bot", "team"),
  id: Id,
  name: Name
}).annotate({ identifier: "Assignee" })

export const Conversation = Schema.Struct({
  id: Id,
  status: ConversationStatus,
  channelId: Id,
  subject: Schema.optionalKey(Name),
  assignee: Schema.optionalKey(Schema.NullOr(Assignee)),
  tags: Schema.optionalKey(Schema.Array(Schema.String)),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime
}).annotate({ identifier: "Conversation" })

/** One changed field: the previous and the new value (null when the field was or became unset). */
export const FieldChange = Schema.Struct({
  field: Schema.String.check(Schema.isMinLength(1)),
  from: JsonValue,
  to: JsonValue
}).annotate({ identifier: "FieldChange" })

const Changes = Schema.Array(FieldChange).check(Schema.isMinLength(1, { message: "must list at least one change" }))
  .annotate({ description: "the fields that changed" })

export const Session = Schema.Struct({
  id: Id,
  status: oneOf("active", "idle", "ended"),
  channelId: Schema.optionalKey(Id),
  startedAt: IsoDateTime,
  endedAt: Schema.optionalKey(IsoDateTime)
}).annotate({ identifier: "Session" })

export const Visitor = Schema.Struct({
  id: Id,
  name: Schema.optionalKey(Name),
  email: Schema.optionalKey(Email),
  phone: Schema.optionalKey(Phone),
  userId: Schema.optionalKey(Id).annotate({ description: "the user this visitor was identified as" }),
  ipAddress: Schema.optionalKey(Schema.String),
  userAgent: Schema.optionalKey(Schema.String),
  country: Schema.optionalKey(Schema.String),
  pageUrl: Schema.optionalKey(Url)
}).annotate({ identifier: "Visitor" })

export const User = Schema.Struct({
  id: Id,
  name: Name,
  email: Schema.optionalKey(Email),
  phone: Schema.optionalKey(Phone),
  avatarUrl: Schema.optionalKey(Url),
  attributes: Schema.optionalKey(Schema.Record(Schema.String, JsonValue)),
  updatedAt: IsoDateTime
}).annotate({ identifier: "User" })

export const MessageCreatedPayload = Schema.Struct({
  message: Message,
  conversation: ConversationSummary,
  customer: Customer,
  channel: Channel
}).annotate({ identifier: "MessageCreatedPayload" })
export type MessageCreatedPayload = typeof MessageCreatedPayload.Type

export const ConversationUpdatedPayload = Schema.Struct({
  conversation: Conversation,
  customer: Customer,
  channel: Channel,
  changes: Changes
}).annotate({ identifier: "ConversationUpdatedPayload" })
export type ConversationUpdatedPayload = typeof ConversationUpdatedPayload.Type

export const SessionUpdatedPayload = Schema.Struct({
  session: Session,
  visitor: Visitor,
  metadata: Schema.Record(Schema.String, JsonValue)
}).annotate({ identifier: "SessionUpdatedPayload" })
export type SessionUpdatedPayload = typeof SessionUpdatedPayload.Type

export const UserUpdatedPayload = Schema.Struct({
  user: User,
  changes: Changes
}).annotate({ identifier: "UserUpdatedPayload" })
export type UserUpdatedPayload = typeof UserUpdatedPayload.Type

export const WebhookTestPayload = Schema.Struct({
  webhookId: Id,
  message: Schema.String
}).annotate({ identifier: "WebhookTestPayload" })
export type WebhookTestPayload = typeof WebhookTestPayload.Type

// Operational events: about the engine itself, published only by Hookline's operational reactor (see
// src/delivery/operational.ts), never through `POST /v1/events`, so no account can forge one.
const Timestamp = IsoDateTime

export const EndpointDisabledPayload = Schema.Struct({
  webhookId: Id,
  reason: Schema.String,
  at: Timestamp
}).annotate({
  identifier: "EndpointDisabledPayload",
  examples: [{ webhookId: "wh_01J9Z8", reason: "failing for 5 days without a success", at: "2026-01-02T03:04:05.000Z" }]
})
export type EndpointDisabledPayload = typeof EndpointDisabledPayload.Type

export const EndpointCircuitOpenedPayload = Schema.Struct({
  webhookId: Id,
  at: Timestamp,
  until: Timestamp.annotate({ description: "when a probe is let through" }),
  failures: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).annotate({ description: "failed attempts that opened it" }),
  failureClasses: Schema.Array(Schema.String).annotate({ description: "their error classes, e.g. http_500, timeout" })
}).annotate({
  identifier: "EndpointCircuitOpenedPayload",
  examples: [{
    webhookId: "wh_01J9Z8",
    at: "2026-01-02T03:04:05.000Z",
    until: "2026-01-02T03:05:05.000Z",
    failures: 5,
    failureClasses: ["http_500"]
  }]
})
export type EndpointCircuitOpenedPayload = typeof EndpointCircuitOpenedPayload.Type

export const EndpointCircuitClosedPayload = Schema.Struct({
  webhookId: Id,
  at: Timestamp,
  reason: Schema.optionalKey(Schema.String).annotate({ description: "absent when a probe succeeded" })
}).annotate({
  identifier: "EndpointCircuitClosedPayload",
  examples: [{ webhookId: "wh_01J9Z8", at: "2026-01-02T03:05:06.000Z" }]
})
export type EndpointCircuitClosedPayload = typeof EndpointCircuitClosedPayload.Type

export const DeliveryExhaustedPayload = Schema.Struct({
  deliveryId: Id,
  webhookId: Id,
  eventId: Id,
  eventType: Schema.String,
  attempts: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  lastError: Schema.NullOr(Schema.String),
  at: Timestamp
}).annotate({
  identifier: "DeliveryExhaustedPayload",
  examples: [{
    deliveryId: "dlv_Xb2k",
    webhookId: "wh_01J9Z8",
    eventId: "evt_01J9Z9",
    eventType: "message.created",
    attempts: 8,
    lastError: "HTTP 500",
    at: "2026-01-02T03:04:05.000Z"
  }]
})
export type DeliveryExhaustedPayload = typeof DeliveryExhaustedPayload.Type

export const EndpointRecoveredPayload = Schema.Struct({
  webhookId: Id,
  at: Timestamp,
  failuresBefore: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)).annotate({
    description: "consecutive failed attempts before this success"
  })
}).annotate({
  identifier: "EndpointRecoveredPayload",
  examples: [{ webhookId: "wh_01J9Z8", at: "2026-01-02T03:04:05.000Z", failuresBefore: 3 }]
})
export type EndpointRecoveredPayload = typeof EndpointRecoveredPayload.Type

export const operationalEventTypes = [
  "endpoint.disabled",
  "endpoint.circuit_opened",
  "endpoint.circuit_closed",
  "delivery.exhausted",
  "endpoint.recovered"
] as const
export type OperationalEventType = (typeof operationalEventTypes)[number]

export const isOperationalEventType = (value: string): value is OperationalEventType =>
  (operationalEventTypes as ReadonlyArray<string>).includes(value)

const subscribableNames = ["message.created", "conversation.updated", "session.updated", "user.updated"] as const
/** What a webhook may subscribe to: the published types and the operational ones. */
const subscriptionNames = [...subscribableNames, ...operationalEventTypes] as const

/**
 * The types a service may publish, each of which a webhook may subscribe to. A webhook may also subscribe
 * to the operational types (`SubscribableEventType` takes them), which are not here: only Hookline
 * publishes them, and the publish path refuses a type not listed here.
 */
export const subscribableEventTypes: ReadonlyArray<SubscribableEventType> = subscribableNames

const unknownTypeMessage = (actual: unknown): string =>
  `unknown event type ${JSON.stringify(actual)}; valid types: ${subscriptionNames.join(", ")}`

// The whole message, with the value refused: otherwise a failed literal union says only "Expected ...".
export const SubscribableEventType = Schema.Literals(subscriptionNames).annotate({
  identifier: "SubscribableEventType",
  message: `unknown event type; valid types: ${subscriptionNames.join(", ")}`,
  messageFromInput: (input) =>
    input === "webhook.test"
      ? `webhook.test cannot be subscribed to (only POST /v1/webhooks/{id}/test sends it); valid types: ${
        subscriptionNames.join(", ")
      }`
      : unknownTypeMessage(input)
})
export type SubscribableEventType = typeof SubscribableEventType.Type

/**
 * Every type in the catalogue, including `webhook.test`: an internal type sent only by
 * `POST /v1/webhooks/{id}/test` and delivered only to that webhook, whatever it subscribes to. It cannot
 * be subscribed to or published through `POST /v1/events`.
 */
export const EventTypeName = Schema.Literals([...subscriptionNames, "webhook.test"]).annotate({
  identifier: "EventTypeName",
  message: `unknown event type; valid types: ${subscriptionNames.join(", ")}`,
  messageFromInput: unknownTypeMessage
})
export type EventTypeName = typeof EventTypeName.Type

export const testEventType = "webhook.test" satisfies EventTypeName

export interface EventTypeDefinition<N extends EventTypeName, A> {
  readonly name: N
  readonly description: string
  /** False for internal types: never matched against subscriptions, refused by the publish route. */
  readonly subscribable: boolean
  readonly payload: Schema.Decoder<A>
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
  }),
  "endpoint.disabled": define({
    name: "endpoint.disabled",
    description: "Operational, sent by Hookline: a webhook was disabled (by its owner or after failing too long).",
    subscribable: true,
    payload: EndpointDisabledPayload
  }),
  "endpoint.circuit_opened": define({
    name: "endpoint.circuit_opened",
    description: "Operational, sent by Hookline: a webhook's circuit opened; nothing is sent to it until `until`.",
    subscribable: true,
    payload: EndpointCircuitOpenedPayload
  }),
  "endpoint.circuit_closed": define({
    name: "endpoint.circuit_closed",
    description: "Operational, sent by Hookline: a webhook's circuit closed (a probe succeeded, or `reason`).",
    subscribable: true,
    payload: EndpointCircuitClosedPayload
  }),
  "delivery.exhausted": define({
    name: "delivery.exhausted",
    description:
      "Operational, sent by Hookline: a delivery failed every attempt of its schedule. Never sent about a delivery of an operational event.",
    subscribable: true,
    payload: DeliveryExhaustedPayload
  }),
  "endpoint.recovered": define({
    name: "endpoint.recovered",
    description: "Operational, sent by Hookline: a webhook's first successful attempt after one or more failed ones.",
    subscribable: true,
    payload: EndpointRecoveredPayload
  })
} as const

/** The catalogue in display order (the order of `GET /v1/event-types`). */
export const eventTypeList = Object.values(eventTypes)

export type EventPayload<N extends EventTypeName = EventTypeName> = N extends EventTypeName
  ? Schema.Schema.Type<(typeof eventTypes)[N]["payload"]>
  : never

export const isEventTypeName = (value: string): value is EventTypeName => Object.hasOwn(eventTypes, value)

/** Whether a service may publish this type (an operational type is subscribable, never publishable). */
export const isSubscribableEventType = (value: string): value is SubscribableEventType =>
  (subscribableNames as ReadonlyArray<string>).includes(value)

// One decoder per type, typed to the payload union: a lookup of schemas would be a union of invariant
// Schema types that does not narrow to one callable signature.
const payloadDecoders: {
  readonly [N in EventTypeName]: (data: unknown) => Result.Result<EventPayload<N>, Schema.SchemaError>
} = {
  "message.created": Schema.decodeUnknownResult(MessageCreatedPayload, decodeOptions),
  "conversation.updated": Schema.decodeUnknownResult(ConversationUpdatedPayload, decodeOptions),
  "session.updated": Schema.decodeUnknownResult(SessionUpdatedPayload, decodeOptions),
  "user.updated": Schema.decodeUnknownResult(UserUpdatedPayload, decodeOptions),
  "webhook.test": Schema.decodeUnknownResult(WebhookTestPayload, decodeOptions),
  "endpoint.disabled": Schema.decodeUnknownResult(EndpointDisabledPayload, decodeOptions),
  "endpoint.circuit_opened": Schema.decodeUnknownResult(EndpointCircuitOpenedPayload, decodeOptions),
  "endpoint.circuit_closed": Schema.decodeUnknownResult(EndpointCircuitClosedPayload, decodeOptions),
  "delivery.exhausted": Schema.decodeUnknownResult(DeliveryExhaustedPayload, decodeOptions),
  "endpoint.recovered": Schema.decodeUnknownResult(EndpointRecoveredPayload, decodeOptions)
}

const payloadGuards: ReadonlyMap<string, ((data: unknown) => boolean) | undefined> = new Map(
  Object.values(eventTypes).map((definition) => [definition.name, compileGuard(definition.payload, { unknownKeys: "keep" })])
)

/**
 * Checks `data` against the payload schema of `type` and answers it as it was sent, properties the
 * catalogue does not list included (at any depth). Issues are reported all at once with paths under
 * `data` (or at `type` when the type is unknown), ready for a 400 response.
 */
export function decodePayload<N extends EventTypeName>(
  type: N,
  data: unknown
): Result.Result<EventPayload<N>, ValidationFailed>
export function decodePayload(type: string, data: unknown): Result.Result<EventPayload, ValidationFailed>
export function decodePayload(type: string, data: unknown): Result.Result<EventPayload, ValidationFailed> {
  if (!isEventTypeName(type)) {
    return Result.fail(new ValidationFailed({ issues: [{ path: "type", message: unknownTypeMessage(type) }] }))
  }
  // Nearly every payload is valid: the compiled guard accepts it as it is, and the decoder (which also
  // writes the error messages) sees only the rest.
  if (payloadGuards.get(type)?.(data) === true) return Result.succeed(data as EventPayload)
  const decode: (data: unknown) => Result.Result<EventPayload, Schema.SchemaError> = payloadDecoders[type]
  // The decoder drops the properties it does not know; without transformations, its success means the
  // data as sent is a payload of the type, and that is what is kept.
  return decode(data).pipe(
    Result.map(() => data as EventPayload),
    Result.mapError((error) => new ValidationFailed({ issues: issuesFromParseError(error, "data") }))
  )
}

/** A standalone draft-07 JSON Schema document: the root schema, its `$schema` and its `definitions`. */
export interface PayloadJsonSchema extends JsonSchema.JsonSchema {
  readonly $schema: typeof JsonSchema.META_SCHEMA_URI_DRAFT_07
  readonly definitions?: JsonSchema.Definitions
}

/** The JSON Schema (draft-07) of a type's payload, for `GET /v1/event-types` and receivers' tooling. */
export const payloadJsonSchema = (type: EventTypeName): PayloadJsonSchema => {
  const document = JsonSchema.toDocumentDraft07(Schema.toJsonSchemaDocument(eventTypes[type].payload))
  return {
    $schema: JsonSchema.META_SCHEMA_URI_DRAFT_07,
    ...document.schema,
    ...(Object.keys(document.definitions).length > 0 ? { definitions: document.definitions } : {})
  }
}
