import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import * as HttpApiSecurity from "effect/http-api/HttpApiSecurity"
import * as HttpEffect from "effect/http/HttpEffect"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { SqlClient } from "effect/sql/SqlClient"
import { Effect, Option } from "effect"
import { findAccount } from "../../projections/accounts.js"
import { attemptsHourly } from "../../portal/attempts-hourly.js"
import {
  defaultLinkSeconds,
  PortalSessions,
  sessionCookieName,
  type SessionClaims,
  type WebhookScope
} from "../../portal/sessions.js"
import { HooklineApi } from "../api.js"
import { CurrentAccount } from "../auth.js"
import { orApiError } from "../error-mapping.js"
import { Forbidden, NotFound, ServiceUnavailable, Unauthorized } from "../errors.js"
import { ownWebhook } from "./own-webhook.js"

type LinkInput = { readonly webhookIds?: ReadonlyArray<string> | undefined; readonly expiresInSeconds?: number | undefined } | null

const sessionCookie = HttpApiSecurity.apiKey({ in: "cookie", key: sessionCookieName })

/**
 * The link points back at the host the caller used. `Secure` cookies need https, which a proxy in front of
 * Hookline reports in x-forwarded-proto; plain http (development, tests) gets a cookie without it.
 */
const isHttps = (request: HttpServerRequest.HttpServerRequest) => request.headers["x-forwarded-proto"] === "https"
const linkUrl = (request: HttpServerRequest.HttpServerRequest, token: string) =>
  `${isHttps(request) ? "https" : "http"}://${request.headers.host ?? "127.0.0.1"}/portal/#/enter?token=${token}`

const sessionResource = (claims: Pick<SessionClaims, "accountId" | "webhookIds" | "expiresAt">, csrfToken: string) => ({
  accountId: claims.accountId,
  webhookIds: claims.webhookIds,
  expiresAt: new Date(claims.expiresAt * 1000).toISOString(),
  csrfToken
})

export const portalHandlers = Effect.gen(function* () {
  const sessions = yield* PortalSessions
  const sql = yield* SqlClient
  const read = <A, E>(query: Effect.Effect<A, E, SqlClient>) => Effect.provideService(query, SqlClient, sql)

  /** A link for the account, its scope checked webhook by webhook (another account's id is a 404). */
  const link = (request: HttpServerRequest.HttpServerRequest, accountId: string, input: LinkInput, issuedBy: string) =>
    Effect.gen(function* () {
      const webhookIds: WebhookScope = input?.webhookIds === undefined ? null : [...new Set(input.webhookIds)]
      for (const id of webhookIds ?? []) yield* read(ownWebhook(accountId, id))
      const { token, expiresAt } = sessions.issueLink({
        accountId,
        webhookIds,
        expiresInSeconds: input?.expiresInSeconds ?? defaultLinkSeconds,
        issuedBy
      })
      return { url: linkUrl(request, token), expiresAt: expiresAt.toISOString() }
    })

  return { sessions, read, link }
})

export const PortalLive = HttpApiBuilder.group(HooklineApi, "portal", (handlers) =>
  Effect.gen(function* () {
    const { link, read } = yield* portalHandlers
    return handlers
      .handle("attemptsHourly", ({ params }) =>
        Effect.gen(function* () {
          const { accountId } = yield* CurrentAccount
          yield* read(ownWebhook(accountId, params.id))
          return { data: yield* orApiError(read(attemptsHourly(params.id))) }
        })
      )
      .handle("createSession", ({ payload, request }) =>
      Effect.gen(function* () {
        const account = yield* CurrentAccount
        // A session cannot outlive or widen itself through links of its own.
        if (account.portal !== undefined) {
          return yield* new Forbidden({ code: "forbidden", message: "portal links are made with an API key" })
        }
        return yield* link(request, account.accountId, payload, account.keyId)
      })
    )
  })
)

export const PortalAdminLive = HttpApiBuilder.group(HooklineApi, "portalAdmin", (handlers) =>
  Effect.gen(function* () {
    const { link, read } = yield* portalHandlers
    return handlers.handle("createSession", ({ params, payload, request }) =>
      Effect.gen(function* () {
        const account = yield* orApiError(read(findAccount(params.accountId)))
        if (Option.isNone(account)) {
          return yield* new NotFound({ code: "account_not_found", message: `account ${params.accountId} not found` })
        }
        return yield* link(request, params.accountId, payload, "operator")
      })
    )
  })
)

export const PortalSessionLive = HttpApiBuilder.group(HooklineApi, "portalSession", (handlers) =>
  Effect.gen(function* () {
    const { sessions } = yield* portalHandlers
    return handlers
      .handle("enter", ({ payload, request }) =>
        Effect.gen(function* () {
          const { cookie, claims } = yield* sessions.redeem(payload.token).pipe(
            Effect.mapError((error) =>
              error._tag === "PortalLinkExpired"
                ? new Unauthorized({ code: "portal_link_expired", message: "this link has expired" })
                : new ServiceUnavailable({ code: "service_unavailable", message: "the database is unavailable; retry shortly" })
            )
          )
          yield* HttpApiBuilder.securitySetCookie(sessionCookie, cookie, {
            httpOnly: true,
            sameSite: "strict",
            path: "/",
            secure: isHttps(request),
            expires: new Date(claims.expiresAt * 1000)
          })
          return sessionResource(claims, sessions.csrfToken(claims.sessionId))
        })
      )
      .handle("current", () =>
        Effect.gen(function* () {
          const { accountId, portal } = yield* CurrentAccount
          if (portal === undefined) {
            return yield* new NotFound({ code: "portal_session_not_found", message: "no portal session: this is an API key" })
          }
          return sessionResource({ accountId, ...portal }, sessions.csrfToken(portal.sessionId))
        })
      )
      .handle("leave", () =>
        HttpEffect.appendPreResponseHandler((_request, response) =>
          Effect.orDie(HttpServerResponse.expireCookie(response, sessionCookieName, { path: "/" }))
        )
      )
  })
)
