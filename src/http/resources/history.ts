import { Schema } from "effect"

export const HistoryEntryResource = Schema.Struct({
  version: Schema.NullOr(Schema.Number).annotate({
    description: "the webhook's version after this change; null for a circuit transition of its endpoint"
  }),
  type: Schema.String.annotate({
    description: "a change of the webhook (WebhookCreated, WebhookUrlChanged, ...) or of its endpoint's circuit (CircuitOpened, CircuitHalfOpened, CircuitClosed)"
  }),
  at: Schema.String,
  actor: Schema.Struct({
    kind: Schema.Literals(["account", "operator", "system", "unknown"]),
    accountId: Schema.optional(Schema.String),
    keyId: Schema.optional(Schema.String)
  }),
  correlationId: Schema.NullOr(Schema.String),
  summary: Schema.String,
  details: Schema.Record(Schema.String, Schema.Unknown)
}).annotate({ identifier: "WebhookHistoryEntry" })
