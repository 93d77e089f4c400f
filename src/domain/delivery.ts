import { createHash } from "node:crypto"
import { Schema } from "effect"

/**
 * Delivery events. One `DeliveriesScheduled` in `event-<id>` names every delivery of a published event
 * (one row however wide the fan-out); each delivery's attempts then live in `delivery-<id>`.
 */

export const ScheduledDelivery = Schema.Struct({
  deliveryId: Schema.String,
  webhookId: Schema.String
})
export type ScheduledDelivery = typeof ScheduledDelivery.Type

export const DeliveriesScheduled = Schema.TaggedStruct("DeliveriesScheduled", {
  eventId: Schema.String,
  accountId: Schema.String,
  eventType: Schema.String,
  deliveries: Schema.Array(ScheduledDelivery),
  scheduledAt: Schema.String
})
export type DeliveriesScheduled = typeof DeliveriesScheduled.Type

export const AttemptResponse = Schema.Struct({
  status: Schema.Number,
  headers: Schema.Record(Schema.String, Schema.String),
  /** The first 4 KiB of the body. */
  body: Schema.String
})

const attemptFields = {
  deliveryId: Schema.String,
  webhookId: Schema.String,
  attempt: Schema.Number,
  at: Schema.String,
  durationMs: Schema.Number,
  url: Schema.String,
  /** The request headers sent, signatures and custom header values redacted. */
  requestHeaders: Schema.Record(Schema.String, Schema.String),
  response: Schema.NullOr(AttemptResponse),
  /** The response's status, at the top level so readers that skip `response` still have it. */
  status: Schema.optional(Schema.NullOr(Schema.Number))
}

export const AttemptSucceeded = Schema.TaggedStruct("AttemptSucceeded", attemptFields)
export type AttemptSucceeded = typeof AttemptSucceeded.Type

export const AttemptFailed = Schema.TaggedStruct("AttemptFailed", {
  ...attemptFields,
  errorClass: Schema.String,
  error: Schema.String,
  /** When the next attempt falls due; null when none follows. */
  nextAttemptAt: Schema.NullOr(Schema.String)
})
export type AttemptFailed = typeof AttemptFailed.Type

export const DeliveryExhausted = Schema.TaggedStruct("DeliveryExhausted", {
  deliveryId: Schema.String,
  webhookId: Schema.String,
  attempts: Schema.Number,
  at: Schema.String
})
export type DeliveryExhausted = typeof DeliveryExhausted.Type

export const RedeliveryRequested = Schema.TaggedStruct("RedeliveryRequested", {
  deliveryId: Schema.String,
  webhookId: Schema.String,
  at: Schema.String
})
export type RedeliveryRequested = typeof RedeliveryRequested.Type

export const DeliveryEvent = Schema.Union([AttemptSucceeded, AttemptFailed, DeliveryExhausted, RedeliveryRequested])
export type DeliveryEvent = typeof DeliveryEvent.Type
export const deliveryEventTypes = ["AttemptSucceeded", "AttemptFailed", "DeliveryExhausted", "RedeliveryRequested"] as const

/** Circuit breaker transitions, in `endpoint-<webhookId>`, with the evidence that caused them. */
export const CircuitOpened = Schema.TaggedStruct("CircuitOpened", {
  webhookId: Schema.String,
  at: Schema.String,
  until: Schema.String,
  cooldownMs: Schema.Number,
  failures: Schema.Array(Schema.Struct({ deliveryId: Schema.String, attempt: Schema.Number, errorClass: Schema.String }))
})
export const CircuitHalfOpened = Schema.TaggedStruct("CircuitHalfOpened", { webhookId: Schema.String, at: Schema.String })
export const CircuitClosed = Schema.TaggedStruct("CircuitClosed", {
  webhookId: Schema.String,
  at: Schema.String,
  /** Why it closed when no probe closed it ("url changed"); absent when a probe succeeded. */
  reason: Schema.optionalKey(Schema.String)
})
export const EndpointEvent = Schema.Union([CircuitOpened, CircuitHalfOpened, CircuitClosed])
export type EndpointEvent = typeof EndpointEvent.Type
export const endpointEventTypes = ["CircuitOpened", "CircuitHalfOpened", "CircuitClosed"] as const

/**
 * One delivery per (event, webhook), whoever computes it and however often: the id is derived from the
 * pair, so a dispatch repeated after a crash names the same deliveries.
 */
export const deliveryIdFor = (eventId: string, webhookId: string): string =>
  `dlv_${createHash("sha256").update(eventId).update("\u0000").update(webhookId).digest("base64url").slice(0, 26)}`

export type DeliveryStatus = "pending" | "retrying" | "delivered" | "exhausted"
