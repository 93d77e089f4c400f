import { Schema } from "effect"
import { Plans } from "../../domain/index.js"

export const AccountResource = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  plan: Plans.PlanName,
  limits: Schema.Struct({
    webhooks: Schema.Number,
    maxPayloadBytes: Schema.Number,
    maxRequestBytes: Schema.Number,
    maxBatchSize: Schema.Number
  }),
  usage: Schema.Struct({ webhooks: Schema.Number }),
  createdAt: Schema.String
}).annotate({ identifier: "Account" })

const keyName = Schema.NullOr(Schema.String).annotate({ description: "the name given when it was issued; null if none" })

export const ApiKeyWithSecret = Schema.Struct({
  id: Schema.String,
  prefix: Schema.String,
  name: keyName,
  key: Schema.String.annotate({ description: "the API key; shown only in this response, stored only as a hash" })
}).annotate({ identifier: "ApiKeyWithSecret" })

export const CreatedAccount = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  plan: Plans.PlanName,
  apiKey: ApiKeyWithSecret
}).annotate({ identifier: "CreatedAccount" })

export const ApiKeyResource = Schema.Struct({
  id: Schema.String,
  accountId: Schema.String,
  prefix: Schema.String,
  name: keyName,
  status: Schema.Literals(["active", "revoked"])
}).annotate({ identifier: "ApiKey" })

export const AccountSummaryResource = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  plan: Plans.PlanName,
  usage: Schema.Struct({ webhooks: Schema.Number }),
  createdAt: Schema.String
}).annotate({ identifier: "AccountSummary" })

export const ApiKeyListItem = Schema.Struct({
  ...ApiKeyResource.fields,
  createdAt: Schema.String,
  revokedAt: Schema.NullOr(Schema.String),
  lastUsedAt: Schema.NullOr(Schema.String).annotate({
    description: "the last request authenticated with it; recorded at most once a minute, so up to a minute late"
  })
}).annotate({ identifier: "ApiKeyListItem", description: "an API key; its secret and hash are never shown" })
