import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { SqlClient } from "effect/sql/SqlClient"
import { Effect, Result } from "effect"
import type { Actor } from "../../app/caller.js"
import { WebhookCommands } from "../../app/webhooks.js"
import { type HistoryCursor, WebhookHistory } from "../../app/webhook-history.js"
import { webhookHealth } from "../../app/webhook-health.js"
import { listWebhooks, rowPosition } from "../../projections/webhooks.js"
import { HooklineApi } from "../api.js"
import { CurrentAccount } from "../auth.js"
import { callerOf } from "../correlation.js"
import { orApiError } from "../error-mapping.js"
import { defaultLimit, positionCursor, versionCursor } from "../pagination.js"
import { BadRequest } from "../errors.js"
import { fromRow, fromState } from "../resources/webhook.js"
import { isInScope, ownWebhook, scopeOf, webhookInScope, wholeAccount } from "./own-webhook.js"

const accountActor = Effect.map(CurrentAccount, ({ accountId, keyId }): Actor & { readonly accountId: string } => ({
  kind: "account",
  accountId,
  keyId
}))

/** History cursors are log positions; version cursors, given before circuit transitions were listed, still work. */
const historyCursor = {
  parse: (cursor: string | undefined): Result.Result<HistoryCursor | undefined, BadRequest> => {
    if (cursor === undefined) return Result.succeed(undefined)
    const position = positionCursor.parse(cursor)
    if (Result.isSuccess(position) && position.success !== undefined) return Result.succeed({ position: position.success })
    return Result.map(versionCursor.parse(cursor), (version) => ({ version }))
  }
}

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
          yield* wholeAccount
          const { webhook, secret } = yield* orApiError(
            commands.create(actor.accountId, payload, callerOf(request, actor)).pipe(
              // The id is new: it cannot name a deleted webhook.
              Effect.catchTag("WebhookAlreadyDeleted", Effect.die)
            )
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
          const scope = yield* scopeOf
          return {
            data: page.rows.filter((row) => isInScope(scope, row.webhook_id)).map(fromRow),
            nextCursor: page.more && last !== undefined ? positionCursor.format(rowPosition(last)) : null
          }
        })
      )
      .handle("get", ({ params }) =>
        Effect.gen(function* () {
          const { accountId } = yield* CurrentAccount
          return fromRow(yield* read(ownWebhook(accountId, params.id)))
        })
      )
      .handle("health", ({ params }) =>
        Effect.gen(function* () {
          const { accountId } = yield* CurrentAccount
          const row = yield* read(ownWebhook(accountId, params.id))
          const health = yield* orApiError(read(webhookHealth(params.id)))
          return { webhookId: row.webhook_id, status: row.status === "deleted" ? "disabled" as const : row.status, ...health }
        })
      )
      .handle("update", ({ params, payload, request }) =>
        Effect.gen(function* () {
          const actor = yield* accountActor
          yield* webhookInScope(params.id)
          const webhook = yield* orApiError(commands.update(actor.accountId, params.id, payload, callerOf(request, actor)))
          return fromState(webhook)
        })
      )
      .handle("delete", ({ params, request }) =>
        Effect.gen(function* () {
          const actor = yield* accountActor
          yield* webhookInScope(params.id)
          yield* orApiError(commands.delete(actor.accountId, params.id, callerOf(request, actor)))
        })
      )
      .handle("pause", ({ params, request }) =>
        Effect.gen(function* () {
          const actor = yield* accountActor
          yield* webhookInScope(params.id)
          return fromState(yield* orApiError(commands.pause(actor.accountId, params.id, callerOf(request, actor))))
        })
      )
      .handle("resume", ({ params, request }) =>
        Effect.gen(function* () {
          const actor = yield* accountActor
          yield* webhookInScope(params.id)
          return fromState(yield* orApiError(commands.resume(actor.accountId, params.id, callerOf(request, actor))))
        })
      )
      .handle("rotateSecret", ({ params, payload, request }) =>
        Effect.gen(function* () {
          const actor = yield* accountActor
          yield* webhookInScope(params.id)
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
          yield* webhookInScope(params.id)
          const after = yield* Effect.fromResult(historyCursor.parse(query.cursor))
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
            nextCursor: page.more && last !== undefined ? positionCursor.format(last.position) : null
          }
        })
      )
  })
)
