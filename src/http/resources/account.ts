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
}).annotations({ identifier: "Account" })

export const ApiKeyWithSecret = Schema.Struct({
  id: Schema.String,
  prefix: Schema.String,
  key: Schema.String.annotations({ description: "the API key; shown only in this response, stored only as a hash" })
}).annotations({ identifier: "ApiKeyWithSecret" })

export const CreatedAccount = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  plan: Plans.PlanName,
  apiKey: ApiKeyWithSecret
}).annotations({ identifier: "CreatedAccount" })

export const ApiKeyResource = Schema.Struct({
  id: Schema.String,
  accountId: Schema.String,
  prefix: Schema.String,
  status: Schema.Literal("active", "revoked")
}).annotations({ identifier: "ApiKey" })
