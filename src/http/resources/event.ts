import { Schema } from "effect"
import { PublishedEvent } from "../../domain/index.js"
import { ErrorBody } from "../errors.js"
import { DeliveryResource } from "./delivery.js"

export const PublishedEventResource = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  occurredAt: Schema.String,
  publishedAt: Schema.String,
  duplicate: Schema.Boolean.annotate({ description: "true when this id was published before; the rest is that first result" })
}).annotate({ identifier: "PublishedEvent" })

export const toPublishedResource = (event: PublishedEvent.EventPublished, duplicate: boolean) => ({
  id: event.eventId,
  type: event.type,
  occurredAt: event.occurredAt,
  publishedAt: event.publishedAt,
  duplicate
})

export const EventResource = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  data: Schema.Unknown,
  occurredAt: Schema.String,
  publishedAt: Schema.String,
  deliveries: Schema.Array(DeliveryResource).annotate({ description: "the event's deliveries to webhooks" })
}).annotate({ identifier: "Event" })

export const EventSummaryResource = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  occurredAt: Schema.String,
  publishedAt: Schema.String
}).annotate({ identifier: "EventSummary", description: "a published event; its data and deliveries are at GET /v1/events/{id}" })

export const maxBatchSize = 500

export const PublishBatchInput = Schema.Struct({
  events: Schema.Array(
    Schema.Unknown.annotate({ description: "a PublishEventInput; each item is validated on its own" })
  ).check(
    Schema.isMinLength(1, { message: "must contain at least one event" }),
    Schema.isMaxLength(maxBatchSize, { message: `must contain at most ${maxBatchSize} events` })
  )
}).annotate({ identifier: "PublishBatchInput" })

export const BatchItemResult = Schema.Union([
  Schema.Struct({
    index: Schema.Number,
    status: Schema.Literal("accepted"),
    event: PublishedEventResource
  }),
  Schema.Struct({
    index: Schema.Number,
    status: Schema.Literal("rejected"),
    id: Schema.NullOr(Schema.String),
    error: ErrorBody.fields.error
  })
]).annotate({ identifier: "BatchItemResult" })

export const PublishBatchResult = Schema.Struct({
  accepted: Schema.Number,
  rejected: Schema.Number,
  results: Schema.Array(BatchItemResult)
}).annotate({ identifier: "PublishBatchResult" })

export const EventTypeResource = Schema.Struct({
  type: Schema.String,
  description: Schema.String,
  subscribable: Schema.Boolean,
  schema: Schema.Unknown.annotate({ description: "JSON Schema (draft-07) of the event's `data`" })
}).annotate({ identifier: "EventType" })
