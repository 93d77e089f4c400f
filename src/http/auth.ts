import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import { SqlClient } from "@effect/sql/SqlClient"
import { Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { OperatorToken } from "../app/operator-token.js"
import { Credentials } from "../domain/index.js"
import { ApiKeyCache } from "../app/api-key-cache.js"
import { findActiveKeyByHash } from "../projections/accounts.js"
import { ServiceUnavailable, ServiceUnavailableError, Unauthorized, UnauthorizedError } from "./errors.js"

/** The account an API key belongs to, for the request it authenticated. */
export class CurrentAccount extends Context.Tag("hookline/CurrentAccount")<
  CurrentAccount,
  { readonly accountId: string; readonly keyId: string }
>() {}

const unauthorized = (message: string) => new Unauthorized({ code: "unauthorized", message })

/** `Authorization: Bearer hk_...` on every /v1 route except /v1/admin. */
export class AccountAuth extends HttpApiMiddleware.Tag<AccountAuth>()("AccountAuth", {
  failure: Schema.Union(UnauthorizedError, ServiceUnavailableError),
  provides: CurrentAccount,
  security: { apiKey: HttpApiSecurity.bearer }
}) {}

/** `Authorization: Bearer <operator token>` on /v1/admin. */
export class OperatorAuth extends HttpApiMiddleware.Tag<OperatorAuth>()("OperatorAuth", {
  failure: UnauthorizedError,
  security: { operatorToken: HttpApiSecurity.bearer }
}) {}

/**
 * Looks the key's hash up in the accounts read model, through a short-lived cache. A revoked key is gone
 * from the active keys as soon as the revocation is applied (the revoke request waits for that and evicts
 * the key from this process's cache before answering).
 */
export const AccountAuthLive = Layer.effect(
  AccountAuth,
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const cache = yield* ApiKeyCache
    return AccountAuth.of({
      apiKey: (token) =>
        Effect.gen(function* () {
          const key = Redacted.value(token)
          // Garbage never reaches the database.
          if (!Credentials.isApiKeyFormat(key)) return yield* unauthorized("missing or malformed API key")
          const keyHash = Credentials.hashApiKey(key)
          const cached = cache.get(keyHash)
          if (cached !== undefined) return cached
          const found = yield* findActiveKeyByHash(keyHash).pipe(
            Effect.provideService(SqlClient, sql),
            Effect.tapError((error) => Effect.logError("API key lookup failed", error)),
            Effect.mapError(() => new ServiceUnavailable({ code: "service_unavailable", message: "the database is unavailable; retry shortly" }))
          )
          if (Option.isNone(found)) return yield* unauthorized("unknown or revoked API key")
          const account = { accountId: found.value.account_id, keyId: found.value.key_id }
          cache.put(keyHash, account)
          return account
        })
    })
  })
)

export const OperatorAuthLive = Layer.effect(
  OperatorAuth,
  Effect.map(OperatorToken, (operatorToken) =>
    OperatorAuth.of({
      operatorToken: (token) =>
        operatorToken.verify(Redacted.value(token)) ? Effect.void : Effect.fail(unauthorized("invalid operator token"))
    })
  )
)
