import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { SqlClient } from "effect/sql/SqlClient"
import { Effect, Option } from "effect"
import { Deliveries } from "../../app/deliveries.js"
import { validateRecoverInput } from "../../domain/recover-window.js"
import { HooklineApi } from "../api.js"
import { CurrentAccount } from "../auth.js"
import { callerOf } from "../correlation.js"
import { orApiError } from "../error-mapping.js"
import { NotFound } from "../errors.js"
import { defaultLimit, type PageParams, seqCursor } from "../pagination.js"
import type { DeliveryFilterParams } from "../resources/delivery.js"
import { auditedWebhook, isInScope, ownWebhook, scopeOf, webhookInScope } from "./own-webhook.js"

/** The query of both delivery lists: a page and the filters. */
type ListQuery = typeof PageParams.Type & typeof DeliveryFilterParams.Type


const webhookNotFound = (id: string) => new NotFound({ code: "webhook_not_found", message: `webhook ${id} not found` })
const deliveryNotFound = (id: string) => new NotFound({ code: "delivery_not_found", message: `delivery ${id} not found` })

// The same "d:" cursors as before the shared helper, so pages handed out earlier still work.
const cursor = seqCursor("d")

export const DeliveriesLive = HttpApiBuilder.group(HooklineApi, "deliveries", (handlers) =>
  Effect.gen(function* () {
    const deliveries = yield* Deliveries
    const sql = yield* SqlClient
    const read = <A, E>(query: Effect.Effect<A, E, SqlClient>) => Effect.provideService(query, SqlClient, sql)

    /** One page of the account's deliveries, of one webhook (checked to be the account's) or of all. */
    const listPage = (query: ListQuery, webhookId: string | undefined) =>
      Effect.gen(function* () {
        const { accountId } = yield* CurrentAccount
        if (webhookId !== undefined) yield* read(auditedWebhook(accountId, webhookId))
        const after = yield* Effect.fromResult(cursor.parse(query.cursor))
        const page = yield* orApiError(
          deliveries.list(
            accountId,
            webhookId,
            { status: query.status, type: query.type, since: query.since, until: query.until },
            { limit: query.limit ?? defaultLimit, after }
          )
        )
        const scope = yield* scopeOf
        return {
          data: page.data.filter((delivery) => isInScope(scope, delivery.webhookId)),
          nextCursor: page.next === null ? null : cursor.format(page.next)
        }
      })

    /** The account's delivery, if the session's scope covers its webhook. */
    const findDelivery = (accountId: string, deliveryId: string) =>
      Effect.gen(function* () {
        const found = yield* orApiError(deliveries.get(accountId, deliveryId))
        const scope = yield* scopeOf
        return Option.filter(found, (delivery) => isInScope(scope, delivery.webhookId))
      })

    return handlers
      .handle("list", ({ params, query }) => listPage(query, params.id))
      .handle("listAll", ({ query }) => listPage(query, query.webhookId))
      .handle("recover", ({ params, payload, request }) =>
        Effect.gen(function* () {
          const { accountId, keyId } = yield* CurrentAccount
          const window = yield* orApiError(Effect.fromResult(validateRecoverInput(payload)))
          yield* read(ownWebhook(accountId, params.id))
          const { count } = yield* orApiError(
            deliveries.recover(callerOf(request, { kind: "account", accountId, keyId }), accountId, params.id, window)
          )
          return { count, dryRun: window.dryRun }
        })
      )
      .handle("test", ({ params, request }) =>
        Effect.gen(function* () {
          const { accountId, keyId } = yield* CurrentAccount
          yield* webhookInScope(params.id)
          const sent = yield* orApiError(
            deliveries.sendTest(callerOf(request, { kind: "account", accountId, keyId }), accountId, params.id)
          )
          return Option.isSome(sent) ? sent.value : yield* webhookNotFound(params.id)
        })
      )
      .handle("get", ({ params }) =>
        Effect.gen(function* () {
          const { accountId } = yield* CurrentAccount
          const found = yield* findDelivery(accountId, params.id)
          return Option.isSome(found) ? found.value : yield* deliveryNotFound(params.id)
        })
      )
      .handle("redeliver", ({ params, request }) =>
        Effect.gen(function* () {
          const { accountId, keyId, portal } = yield* CurrentAccount
          if (portal !== undefined && portal.webhookIds !== null && Option.isNone(yield* findDelivery(accountId, params.id))) {
            return yield* deliveryNotFound(params.id)
          }
          const found = yield* orApiError(
            deliveries.redeliver(callerOf(request, { kind: "account", accountId, keyId }), accountId, params.id)
          )
          return Option.isSome(found) ? found.value : yield* deliveryNotFound(params.id)
        })
      )
  })
)
