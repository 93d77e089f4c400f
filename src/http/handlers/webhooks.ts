import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { SqlClient } from "effect/sql/SqlClient"
import { Effect, Option } from "effect"
import type { Actor } from "../../app/caller.js"
import { WebhookCommands } from "../../app/webhooks.js"
import { WebhookHistory } from "../../app/webhook-history.js"
import { findWebhook, listWebhooks, rowPosition } from "../../projections/webhooks.js"
import { HooklineApi } from "../api.js"
import { CurrentAccount } from "../auth.js"
import { callerOf } from "../correlation.js"
import { orApiError } from "../error-mapping.js"
import { NotFound } from "../errors.js"
import { defaultLimit, positionCursor, versionCursor } from "../pagination.js"
import { fromRow, fromState } from "../resources/webhook.js"

const notFound = (webhookId: string) =>
  new NotFound({ code: "webhook_not_found", message: `webhook ${webhookId} not found` })

const accountActor = Effect.map(CurrentAccount, ({ accountId, keyId }): Actor & { readonly accountId: string } => ({
  kind: "account",
  accountId,
  keyId
}))

export const WebhooksLive = HttpApiBuilder.group(HooklineApi, "webhooks", (handlers) =>
  Effect.gen(function* () {
    const commands = yield* WebhookCommands
    const history = yield* WebhookHistory
    const sql = yield* SqlClient
    const read = <A, E>(query: Effect.Effect<A, E, SqlClient>) => Effect.provideService(query, SqlClient, sql)

    return handlers
      .handle("create", ({ payload, request }) =>
        Effect.gen(function* () {
          const actor = yield* accountActor
          const { webhook, secret } = yield* orApiError(
            commands.create(actor.accountId, payload, callerOf(request, actor))
          )
          return { ...fromState(webhook), secret }
        })
      )
      .handle("list", ({ query }) =>
        Effect.gen(function* () {
          const { accountId } = yield* CurrentAccount
          const after = yield* Effect.fromResult(positionCursor.parse(query.cursor))
          const page = yield* orApiError(read(listWebhooks(accountId, after, query.limit ?? defaultLimit)))
          const last = page.rows[page.rows.length - 1]
          return {
            data: page.rows.map(fromRow),
            nextCursor: page.more && last !== undefined ? positionCursor.format(rowPosition(last)) : null
          }
        })
      )
      .handle("get", ({ params }) =>
        Effect.gen(function* () {
          const { accountId } = yield* CurrentAccount
          const row = yield* orApiError(read(findWebhook(accountId, params.id)))
          return Option.isSome(row) ? fromRow(row.value) : yield* notFound(params.id)
        })
      )
      .handle("update", ({ params, payload, request }) =>
        Effect.gen(function* () {
          const actor = yield* accountActor
          const webhook = yield* orApiError(commands.update(actor.accountId, params.id, payload, callerOf(request, actor)))
          return fromState(webhook)
        })
      )
      .handle("delete", ({ params, request }) =>
        Effect.gen(function* () {
          const actor = yield* accountActor
          yield* orApiError(commands.delete(actor.accountId, params.id, callerOf(request, actor)))
        })
      )
      .handle("pause", ({ params, request }) =>
        Effect.gen(function* () {
          const actor = yield* accountActor
          return fromState(yield* orApiError(commands.pause(actor.accountId, params.id, callerOf(request, actor))))
        })
      )
      .handle("resume", ({ params, request }) =>
        Effect.gen(function* () {
          const actor = yield* accountActor
          return fromState(yield* orApiError(commands.resume(actor.accountId, params.id, callerOf(request, actor))))
        })
      )
      .handle("rotateSecret", ({ params, payload, request }) =>
        Effect.gen(function* () {
          const actor = yield* accountActor
          const { webhook, secret } = yield* orApiError(
            commands.rotateSecret(
              actor.accountId,
              params.id,
              { overlapSeconds: payload?.overlapSeconds, secret: payload?.secret },
              callerOf(request, actor)
            )
          )
          return { ...fromState(webhook), secret }
        })
      )
      .handle("history", ({ params, query }) =>
        Effect.gen(function* () {
          const { accountId } = yield* CurrentAccount
          const after = yield* Effect.fromResult(versionCursor.parse(query.cursor))
          const page = yield* orApiError(history.page(accountId, params.id, after, query.limit ?? defaultLimit))
          const last = page.entries[page.entries.length - 1]
          return {
            data: page.entries.map((entry) => ({
              version: entry.version,
              type: entry.change.type,
              at: entry.at.toISOString(),
              actor: entry.actor,
              correlationId: entry.correlationId,
              summary: entry.change.summary,
              details: entry.change.details
            })),
            nextCursor: page.more && last !== undefined ? versionCursor.format(last.version) : null
          }
        })
      )
  })
)
