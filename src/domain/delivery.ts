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

/**
 * What started an attempt: `schedule` (the first attempt and the retries of the delivery's schedule),
 * `redeliver` (asked for one delivery), `recover` (asked for a window of exhausted ones), `probe` (the one
 * attempt let through a half-open circuit). Attempts recorded before it was kept have none.
 */
export const attemptTriggers = ["schedule", "redeliver", "recover", "probe"] as const
export const AttemptTrigger = Schema.Literals(attemptTriggers)
export type AttemptTrigger = typeof AttemptTrigger.Type

/** Why a delivery was asked for again: `recover` when it came with a window of others. */
export const redeliveryReasons = ["redeliver", "recover"] as const
export type RedeliveryReason = (typeof redeliveryReasons)[number]

export const AttemptResponse = Schema.Struct({
  status: Schema.Number,
  headers: Schema.Record(Schema.String, Schema.String),
  /** The first 4 KiB of the body. */
  body: Schema.String
})

const attemptFields = {
  deliveryId: Schema.String,
  webhookId: Schema.String,
  /** Counted over the delivery's whole life: a redelivery's first attempt follows the last one before it. */
  attempt: Schema.Number,
  trigger: Schema.optionalKey(AttemptTrigger),
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
  at: Schema.String,
  /** Absent in requests recorded before it was kept: those were all `redeliver`. */
  reason: Schema.optionalKey(Schema.Literals(redeliveryReasons))
})
export type RedeliveryRequested = typeof RedeliveryRequested.Type

/**
 * The delivery ends without being delivered: its webhook was deleted. An attempt already out when it was
 * cancelled may still record its outcome after it; a success then counts (the receiver has it).
 */
export const DeliveryCancelled = Schema.TaggedStruct("DeliveryCancelled", {
  deliveryId: Schema.String,
  webhookId: Schema.String,
  at: Schema.String,
  reason: Schema.String
})
export type DeliveryCancelled = typeof DeliveryCancelled.Type

export const DeliveryEvent = Schema.Union([
  AttemptSucceeded,
  AttemptFailed,
  DeliveryExhausted,
  RedeliveryRequested,
  DeliveryCancelled
])
export type DeliveryEvent = typeof DeliveryEvent.Type
export const deliveryEventTypes = [
  "AttemptSucceeded",
  "AttemptFailed",
  "DeliveryExhausted",
  "RedeliveryRequested",
  "DeliveryCancelled"
] as const

/** Circuit breaker transitions, in `endpoint-<webhookId>`, with the evidence that caused them. */
export const CircuitOpened = Schema.TaggedStruct("CircuitOpened", {
  webhookId: Schema.String,
  at: Schema.String,
  /** The URL whose failures opened it: a restart that finds the webhook at another URL starts closed. */
  url: Schema.optionalKey(Schema.String),
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
/**
 * The endpoint's first success after a failing streak, with how many attempts had failed: what the
 * operational `endpoint.recovered` tells, decided where the streak is known (the attempt decider), so
 * nobody reads every attempt back to find it.
 */
export const EndpointRecovered = Schema.TaggedStruct("EndpointRecovered", {
  webhookId: Schema.String,
  at: Schema.String,
  failuresBefore: Schema.Number
})
export const EndpointEvent = Schema.Union([CircuitOpened, CircuitHalfOpened, CircuitClosed, EndpointRecovered])
export type EndpointEvent = typeof EndpointEvent.Type
export const endpointEventTypes = ["CircuitOpened", "CircuitHalfOpened", "CircuitClosed", "EndpointRecovered"] as const

/** A circuit transition as the webhook's history shows it, beside the changes of its settings. */
export interface CircuitChange {
  readonly type: EndpointEvent["_tag"]
  readonly summary: string
  readonly details: {
    readonly [key: string]: string | number | ReadonlyArray<{ readonly deliveryId: string; readonly errorClass: string }>
  }
}

export const describeCircuitChange = (event: EndpointEvent): CircuitChange => {
  switch (event._tag) {
    case "CircuitOpened": {
      const classes = [...new Set(event.failures.map((f) => f.errorClass))].join(", ")
      return {
        type: event._tag,
        summary: `circuit opened after ${event.failures.length} failed attempt${event.failures.length === 1 ? "" : "s"}` +
          `${classes === "" ? "" : ` (${classes})`}; nothing is sent until a probe at ${event.until}`,
        details: {
          until: event.until,
          cooldownMs: event.cooldownMs,
          failures: event.failures.map((f) => ({ deliveryId: f.deliveryId, errorClass: f.errorClass })),
          ...(event.url === undefined ? {} : { url: event.url })
        }
      }
    }
    case "CircuitHalfOpened":
      return { type: event._tag, summary: "circuit half-open: one probe goes to the endpoint", details: {} }
    case "EndpointRecovered":
      return {
        type: event._tag,
        summary: `endpoint recovered: a success after ${event.failuresBefore} failed attempt${event.failuresBefore === 1 ? "" : "s"}`,
        details: { failuresBefore: event.failuresBefore }
      }
    case "CircuitClosed":
      return event.reason === undefined
        ? { type: event._tag, summary: "circuit closed: a probe succeeded", details: {} }
        : { type: event._tag, summary: `circuit closed: ${event.reason}`, details: { reason: event.reason } }
  }
}

/**
 * One delivery per (event, webhook), whoever computes it and however often: the id is derived from the
 * pair, so a dispatch repeated after a crash names the same deliveries.
 */
export const deliveryIdFor = (eventId: string, webhookId: string): string =>
  `dlv_${createHash("sha256").update(eventId).update("\u0000").update(webhookId).digest("base64url").slice(0, 26)}`

export const deliveryStatuses = ["pending", "retrying", "delivered", "exhausted", "cancelled"] as const
export type DeliveryStatus = (typeof deliveryStatuses)[number]
