import { Schema } from "effect"
import { attemptTriggers, deliveryStatuses, redeliveryReasons } from "../../domain/delivery.js"

const Headers = Schema.Record(Schema.String, Schema.String)

const shownStatuses = ["pending", "retrying", "waiting", ...deliveryStatuses.filter((s) => s !== "pending" && s !== "retrying")] as const
const DeliveryStatus = Schema.Literals(shownStatuses).annotate({
  description: "`waiting`: due, but held back (see `waitingReason`); `cancelled`: its webhook was deleted"
})

export const DeliveryResource = Schema.Struct({
  id: Schema.String,
  webhookId: Schema.String,
  eventId: Schema.String.annotate({ description: "also the `webhook-id` header the receiver got, on every attempt" }),
  eventType: Schema.String,
  status: DeliveryStatus,
  waitingReason: Schema.NullOr(Schema.Literals(["webhook_paused", "webhook_disabled", "circuit_open"])).annotate({
    description: "why a `waiting` delivery is not attempted; `nextAttemptAt` is then the earliest it can be (null: not before the webhook is resumed)"
  }),
  attempts: Schema.Number.annotate({ description: "counted over the delivery's whole life, redeliveries included" }),
  createdAt: Schema.String,
  lastAttemptAt: Schema.NullOr(Schema.String),
  nextAttemptAt: Schema.NullOr(Schema.String),
  lastResponseStatus: Schema.NullOr(Schema.Number),
  lastError: Schema.NullOr(Schema.String)
}).annotate({ identifier: "Delivery" })

export const AttemptResource = Schema.Struct({
  attempt: Schema.Number.annotate({ description: "numbered across redeliveries" }),
  trigger: Schema.Literals(attemptTriggers).annotate({
    description: "what started it: `schedule` (the first attempt and the retry schedule), `redeliver`, `recover`, or `probe` (the one attempt a half-open circuit lets through)"
  }),
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
  redeliveries: Schema.Array(Schema.Struct({ at: Schema.String, reason: Schema.Literals(redeliveryReasons) })),
  cancelled: Schema.NullOr(Schema.Struct({ at: Schema.String, reason: Schema.String }))
}).annotate({ identifier: "DeliveryDetail" })

// Date.parse also takes "-1" or "0" (years PostgreSQL cannot store: the query failed as an outage, 503).
const isoDateTime = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/

export const isoDate = Schema.String.check(
  Schema.makeFilter((s) => (isoDateTime.test(s) && !Number.isNaN(Date.parse(s))) || "must be an ISO 8601 date-time")
)

export const DeliveryFilterParams = Schema.Struct({
  status: Schema.optional(DeliveryStatus),
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
