import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { Effect, Option } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { AccountCommands } from "../../app/accounts.js"
import { ApiKeyCache } from "../../app/api-key-cache.js"
import type { Plans } from "../../domain/index.js"
import { findAccount, listAccounts, listApiKeys } from "../../projections/accounts.js"
import { LogPosition } from "../../eventstore/types.js"
import { type GenerationStatus, ProjectionRunner, type ProjectionStatus } from "../../projections/runner.js"
import { HooklineApi } from "../api.js"
import { callerOf } from "../correlation.js"
import { orApiError } from "../error-mapping.js"
import { NotFound } from "../errors.js"
import { defaultLimit, seqCursor } from "../pagination.js"

const operator = { kind: "operator" } as const

const accountCursor = seqCursor("a")
const keyCursor = seqCursor("k")

const iso = (date: Date | null) => (date === null ? null : date.toISOString())

const generation = (g: GenerationStatus) => ({ ...g, checkpoint: LogPosition.format(g.checkpoint) })

const projectionStatus = (status: ProjectionStatus) => ({
  name: status.name,
  version: status.version,
  head: LogPosition.format(status.head),
  active: Option.getOrNull(Option.map(status.active, generation)),
  rebuilding: Option.getOrNull(Option.map(status.rebuilding, generation))
})

export const AdminLive = HttpApiBuilder.group(HooklineApi, "admin", (handlers) =>
  Effect.gen(function* () {
    const accounts = yield* AccountCommands
    const runner = yield* ProjectionRunner
    const sql = yield* SqlClient
    const keyCache = yield* ApiKeyCache
    const query = <A, E>(effect: Effect.Effect<A, E, SqlClient>) => Effect.provideService(effect, SqlClient, sql)
    return handlers
      .handle("listAccounts", ({ query: params }) =>
        Effect.gen(function* () {
          const after = yield* Effect.fromResult(accountCursor.parse(params.cursor))
          const page = yield* orApiError(query(listAccounts({ limit: params.limit ?? defaultLimit, after })))
          return {
            data: page.data.map((row) => ({
              id: row.account_id,
              name: row.name,
              plan: row.plan as Plans.PlanName,
              usage: { webhooks: row.webhook_count },
              createdAt: row.created_at.toISOString()
            })),
            nextCursor: page.next === null ? null : accountCursor.format(page.next)
          }
        })
      )
      .handle("listKeys", ({ params, query: page }) =>
        Effect.gen(function* () {
          const account = yield* orApiError(query(findAccount(params.accountId)))
          if (Option.isNone(account)) {
            return yield* new NotFound({ code: "account_not_found", message: `account ${params.accountId} not found` })
          }
          const after = yield* Effect.fromResult(keyCursor.parse(page.cursor))
          const keys = yield* orApiError(query(listApiKeys(params.accountId, { limit: page.limit ?? defaultLimit, after })))
          // Uses this process noted since its last flush are newer than the recorded ones.
          const pending = keyCache.takeUsed({ keep: true })
          return {
            data: keys.data.map((row) => {
              const noted = pending.get(row.key_id)
              const recorded = row.last_used_at?.getTime()
              const lastUsed = noted === undefined ? recorded : recorded === undefined ? noted : Math.max(noted, recorded)
              return {
                id: row.key_id,
                accountId: row.account_id,
                prefix: row.prefix,
                name: row.name,
                status: row.status,
                createdAt: row.created_at.toISOString(),
                revokedAt: iso(row.revoked_at),
                lastUsedAt: lastUsed === undefined ? null : new Date(lastUsed).toISOString()
              }
            }),
            nextCursor: keys.next === null ? null : keyCursor.format(keys.next)
          }
        })
      )
      .handle("createAccount", ({ payload, request }) =>
        accounts.create(payload, callerOf(request, operator)).pipe(
          Effect.map(({ account, apiKey }) => ({
            id: account.accountId,
            name: account.name,
            plan: account.plan,
            apiKey: { id: apiKey.keyId, prefix: apiKey.prefix, name: null, key: apiKey.key }
          })),
          orApiError
        )
      )
      .handle("issueKey", ({ params, payload, request }) =>
        accounts.issueKey(params.accountId, payload ?? {}, callerOf(request, operator)).pipe(
          Effect.map(({ account, apiKey }) => ({
            id: apiKey.keyId,
            prefix: apiKey.prefix,
            name: account.keys.get(apiKey.keyId)?.name ?? null,
            key: apiKey.key
          })),
          orApiError
        )
      )
      .handle("revokeKey", ({ params, request }) =>
        accounts.revokeKey(params.accountId, params.keyId, callerOf(request, operator)).pipe(
          Effect.map((key) => ({
            id: key.keyId,
            accountId: params.accountId,
            prefix: key.prefix,
            name: key.name ?? null,
            status: key.status
          })),
          orApiError
        )
      )
      .handle("projections", () =>
        runner.status.pipe(
          Effect.map((statuses) => ({ data: statuses.map(projectionStatus) })),
          orApiError
        )
      )
      .handle("rebuildProjection", ({ params }) =>
        runner.rebuild(params.name).pipe(Effect.map(projectionStatus), orApiError)
      )
  })
)
