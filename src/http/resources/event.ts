import { Schema } from "effect"
import { PublishedEvent } from "../../domain/index.js"
import { ErrorBody } from "../errors.js"
import { DeliveryResource } from "./delivery.js"

export const PublishedEventResource = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  occurredAt: Schema.String,
  publishedAt: Schema.String,
  duplicate: Schema.Boolean.annotations({ description: "true when this id was published before; the rest is that first result" })
}).annotations({ identifier: "PublishedEvent" })

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
  deliveries: Schema.Array(DeliveryResource).annotations({ description: "the event's deliveries to webhooks" })
}).annotations({ identifier: "Event" })

export const maxBatchSize = 500

export const PublishBatchInput = Schema.Struct({
  events: Schema.Array(
    Schema.Unknown.annotations({ description: "a PublishEventInput; each item is validated on its own" })
  ).pipe(
    Schema.minItems(1, { message: () => "must contain at least one event" }),
    Schema.maxItems(maxBatchSize, { message: () => `must contain at most ${maxBatchSize} events` })
  )
}).annotations({ identifier: "PublishBatchInput", parseOptions: { errors: "all" } })

export const BatchItemResult = Schema.Union(
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
).annotations({ identifier: "BatchItemResult" })

export const PublishBatchResult = Schema.Struct({
  accepted: Schema.Number,
  rejected: Schema.Number,
  results: Schema.Array(BatchItemResult)
}).annotations({ identifier: "PublishBatchResult" })

export const EventTypeResource = Schema.Struct({
  type: Schema.String,
  description: Schema.String,
  subscribable: Schema.Boolean,
  schema: Schema.Unknown.annotations({ description: "JSON Schema (draft-07) of the event's `data`" })
}).annotations({ identifier: "EventType" })
