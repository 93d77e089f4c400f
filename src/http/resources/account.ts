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

export const ApiKeyWithSecret = Schema.Struct({
  id: Schema.String,
  prefix: Schema.String,
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
  status: Schema.Literals(["active", "revoked"])
}).annotate({ identifier: "ApiKey" })
