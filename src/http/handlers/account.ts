import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { SqlClient } from "effect/sql/SqlClient"
import { Effect, Option, Schema } from "effect"
import { Settings } from "../../config.js"
import { EventTypes, Plans } from "../../domain/index.js"
import { findAccount } from "../../projections/accounts.js"
import { HooklineApi } from "../api.js"
import { CurrentAccount } from "../auth.js"
import { orApiError } from "../error-mapping.js"
import { NotFound } from "../errors.js"
import { maxBatchSize } from "../resources/event.js"

const isPlanName = Schema.is(Plans.PlanName)
// The read model stores what AccountCreated/PlanChanged carried, which were decoded as plan names.
const planOf = (plan: string): Plans.PlanName => (isPlanName(plan) ? plan : "free")

// The catalogue is fixed at build time: render its JSON Schemas once.
const catalogue = EventTypes.eventTypeList.map((definition) => ({
  type: definition.name,
  description: definition.description,
  subscribable: definition.subscribable,
  schema: EventTypes.payloadJsonSchema(definition.name)
}))

export const AccountLive = HttpApiBuilder.group(HooklineApi, "account", (handlers) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const settings = yield* Settings
    return handlers
      .handle("account", () =>
        Effect.gen(function* () {
          const { accountId } = yield* CurrentAccount
          const row = yield* orApiError(findAccount(accountId).pipe(Effect.provideService(SqlClient, sql)))
          if (Option.isNone(row)) {
            return yield* new NotFound({ code: "account_not_found", message: `account ${accountId} not found` })
          }
          const plan = planOf(row.value.plan)
          return {
            id: row.value.account_id,
            name: row.value.name,
            plan,
            limits: {
              webhooks: Plans.webhookLimit(settings.plans, plan),
              maxPayloadBytes: settings.maxPayloadBytes,
              maxRequestBytes: settings.maxRequestBytes,
              maxBatchSize
            },
            usage: { webhooks: row.value.webhook_count },
            createdAt: row.value.created_at.toISOString()
          }
        })
      )
      .handle("eventTypes", () => Effect.succeed({ data: catalogue }))
  })
)
