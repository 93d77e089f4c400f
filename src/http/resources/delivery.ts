import { Schema } from "effect"

const Headers = Schema.Record(Schema.String, Schema.String)

export const DeliveryResource = Schema.Struct({
  id: Schema.String,
  webhookId: Schema.String,
  eventId: Schema.String.annotate({ description: "also the `webhook-id` header the receiver got, on every attempt" }),
  eventType: Schema.String,
  status: Schema.Literals(["pending", "retrying", "delivered", "exhausted"]),
  attempts: Schema.Number,
  createdAt: Schema.String,
  lastAttemptAt: Schema.NullOr(Schema.String),
  nextAttemptAt: Schema.NullOr(Schema.String),
  lastResponseStatus: Schema.NullOr(Schema.Number),
  lastError: Schema.NullOr(Schema.String)
}).annotate({ identifier: "Delivery" })

export const AttemptResource = Schema.Struct({
  attempt: Schema.Number,
  at: Schema.String,
  outcome: Schema.Literals(["succeeded", "failed"]),
  durationMs: Schema.Number,
  url: Schema.String,
  requestHeaders: Headers.annotate({ description: "as sent; the signature and custom header values redacted" }),
  response: Schema.NullOr(
    Schema.Struct({
      status: Schema.Number,
      headers: Headers,
      body: Schema.String.annotate({ description: "the first 4 KiB" })
    })
  ),
  errorClass: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  nextAttemptAt: Schema.NullOr(Schema.String)
}).annotate({ identifier: "Attempt" })

export const DeliveryDetailResource = Schema.Struct({
  ...DeliveryResource.fields,
  attemptLog: Schema.Array(AttemptResource),
  redeliveries: Schema.Array(Schema.Struct({ at: Schema.String }))
}).annotate({ identifier: "DeliveryDetail" })

// Date.parse also takes "-1" or "0" (years PostgreSQL cannot store: the query failed as an outage, 503).
const isoDateTime = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/

export const isoDate = Schema.String.check(
  Schema.makeFilter((s) => (isoDateTime.test(s) && !Number.isNaN(Date.parse(s))) || "must be an ISO 8601 date-time")
)

export const DeliveryFilterParams = Schema.Struct({
  status: Schema.optional(Schema.Literals(["pending", "retrying", "delivered", "exhausted"])),
  type: Schema.optional(Schema.String.check(Schema.isMaxLength(100))),
  since: Schema.optional(isoDate),
  until: Schema.optional(isoDate)
})

export const RecoverResult = Schema.Struct({
  count: Schema.Number,
  dryRun: Schema.Boolean
}).annotate({ identifier: "RecoverResult" })

export const TestDeliveryResult = Schema.Struct({
  eventId: Schema.String,
  deliveryId: Schema.String
}).annotate({ identifier: "TestDelivery" })
