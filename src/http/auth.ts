import * as HttpApiMiddleware from "effect/http-api/HttpApiMiddleware"
import * as HttpApiSecurity from "effect/http-api/HttpApiSecurity"
import { SqlClient } from "effect/sql/SqlClient"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { OperatorToken } from "../app/operator-token.js"
import { Credentials } from "../domain/index.js"
import { ApiKeyCache } from "../app/api-key-cache.js"
import { findActiveKeyByHash } from "../projections/accounts.js"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import { csrfHeader, PortalSessions, sessionCookieName, type WebhookScope } from "../portal/sessions.js"
import {
  Forbidden,
  ForbiddenError,
  ServiceUnavailable,
  ServiceUnavailableError,
  Unauthorized,
  UnauthorizedError
} from "./errors.js"

/**
 * The account a request acts for: an API key's, or a portal session's (then `keyId` is the session id, so
 * a webhook's history names the portal session, and `portal` carries its optional webhook scope).
 */
export class CurrentAccount extends Context.Service<
  CurrentAccount,
  {
    readonly accountId: string
    readonly keyId: string
    readonly portal?: { readonly sessionId: string; readonly webhookIds: WebhookScope; readonly expiresAt: number } | undefined
  }
>()("hookline/CurrentAccount") {}

const unauthorized = (message: string) => new Unauthorized({ code: "unauthorized", message })

/**
 * `Authorization: Bearer hk_...` on every /v1 route except /v1/admin, or the portal's session cookie: the
 * portal uses these same routes, under the same tenant rules, rather than a back end of its own.
 */
export class AccountAuth extends HttpApiMiddleware.Service<AccountAuth, { provides: CurrentAccount }>()("AccountAuth", {
  error: [UnauthorizedError, ForbiddenError, ServiceUnavailableError],
  security: {
    apiKey: HttpApiSecurity.bearer,
    portalSession: HttpApiSecurity.apiKey({ in: "cookie", key: sessionCookieName })
  }
}) {}

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"])

/** `Authorization: Bearer <operator token>` on /v1/admin. */
export class OperatorAuth extends HttpApiMiddleware.Service<OperatorAuth>()("OperatorAuth", {
  error: UnauthorizedError,
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
    const portal = yield* PortalSessions
    const lookup = (keyHash: string) =>
      findActiveKeyByHash(keyHash).pipe(
        Effect.provideService(SqlClient, sql),
        Effect.tapError((error) => Effect.logError("API key lookup failed", error)),
        Effect.mapError(() => new ServiceUnavailable({ code: "service_unavailable", message: "the database is unavailable; retry shortly" })),
        Effect.flatMap((found) => {
          if (Option.isNone(found)) return Effect.fail(unauthorized("unknown or revoked API key"))
          const account = { accountId: found.value.account_id, keyId: found.value.key_id }
          cache.put(keyHash, account)
          return Effect.succeed(account)
        })
      )
    /** The account of a key: the cache's, or the read model's. */
    const authenticate = (key: string) => {
      if (!Credentials.isApiKeyFormat(key)) return Effect.fail(unauthorized("missing or malformed API key"))
      const keyHash = Credentials.hashApiKey(key)
      const cached = cache.get(keyHash)
      return cached !== undefined ? Effect.succeed(cached) : lookup(keyHash)
    }
    return AccountAuth.of({
      apiKey: (httpEffect, { credential }) => {
        const key = Redacted.value(credential)
        // Garbage never reaches the database.
        if (!Credentials.isApiKeyFormat(key)) return Effect.fail(unauthorized("missing or malformed API key"))
        const keyHash = Credentials.hashApiKey(key)
        // A cached key costs no effect beyond providing it: most requests take this path.
        const cached = cache.get(keyHash)
        if (cached !== undefined) return Effect.provideService(httpEffect, CurrentAccount, cached)
        return Effect.flatMap(lookup(keyHash), (account) => Effect.provideService(httpEffect, CurrentAccount, account))
      },
      // Tried only after the bearer key failed, so API clients pay nothing for the portal.
      portalSession: (httpEffect, { credential }) =>
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          const cookie = Redacted.value(credential)
          const session = cookie === "" ? Option.none() : portal.verify(cookie)
          if (Option.isNone(session)) {
            if (cookie !== "" && request.headers.authorization === undefined) {
              return yield* unauthorized("the portal session has expired")
            }
            // The answer is the bearer key's own reason (the last scheme's failure is what the client gets):
            // a missing or revoked key stays a 401, a database outage a 503.
            const bearer = /^Bearer (.*)$/i.exec(request.headers.authorization ?? "")?.[1] ?? ""
            return yield* Effect.provideService(httpEffect, CurrentAccount, yield* authenticate(bearer))
          }
          const { sessionId, accountId, webhookIds, expiresAt, issuedBy } = session.value
          // A link made with a key lives no longer than the key: revoking it ends the portal sessions it
          // opened (the operator's links answer to the operator token, checked when they were made).
          if (issuedBy !== "operator") {
            const keys = yield* sql<{ status: string }>`
              SELECT status FROM api_keys WHERE account_id = ${accountId} AND key_id = ${issuedBy}`.pipe(
              Effect.tapError((error) => Effect.logError("API key lookup failed", error)),
              Effect.mapError(() => new ServiceUnavailable({ code: "service_unavailable", message: "the database is unavailable; retry shortly" }))
            )
            if (keys[0]?.status !== "active") {
              return yield* unauthorized("the portal session has ended: the API key that made its link was revoked")
            }
          }
          // SameSite=Strict keeps the cookie off other sites' requests; the header, which only the
          // portal's own script can read and send, is the second lock on every write.
          if (!safeMethods.has(request.method) && request.headers[csrfHeader] !== portal.csrfToken(sessionId)) {
            return yield* new Forbidden({ code: "csrf_required", message: `portal writes need the ${csrfHeader} header of the session` })
          }
          return yield* Effect.provideService(httpEffect, CurrentAccount, {
            accountId,
            keyId: sessionId,
            portal: { sessionId, webhookIds, expiresAt }
          })
        })
    })
  })
)

export const OperatorAuthLive = Layer.effect(
  OperatorAuth,
  Effect.gen(function* () {
    const operatorToken = yield* OperatorToken
    return OperatorAuth.of({
      operatorToken: (httpEffect, { credential }) =>
        operatorToken.verify(Redacted.value(credential)) ? httpEffect : Effect.fail(unauthorized("invalid operator token"))
    })
  })
)
