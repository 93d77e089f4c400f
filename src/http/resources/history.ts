import { Schema } from "effect"

export const HistoryEntryResource = Schema.Struct({
  version: Schema.Number,
  type: Schema.String,
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
