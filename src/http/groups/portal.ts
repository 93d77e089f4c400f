import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as HttpApiSchema from "effect/http-api/HttpApiSchema"
import * as OpenApi from "effect/http-api/OpenApi"
import { Schema } from "effect"
import { defaultLinkSeconds, maxLinkSeconds } from "../../portal/sessions.js"
import { AccountAuth, OperatorAuth } from "../auth.js"
import { ForbiddenError, GoneError, NotFoundError, ServiceUnavailableError, UnauthorizedError } from "../errors.js"

const secondsMessage = `must be an integer from 60 to ${maxLinkSeconds}`
const webhookIdsMessage = "must list from 1 to 100 webhook ids"

export const PortalSessionInput = Schema.Struct({
  webhookIds: Schema.optional(
    Schema.Array(Schema.String.check(Schema.isMaxLength(200)))
      .check(Schema.isMinLength(1, { message: webhookIdsMessage }), Schema.isMaxLength(100, { message: webhookIdsMessage }))
      .annotate({ description: "limits the portal to these webhooks of the account; all of them when absent" })
  ),
  expiresInSeconds: Schema.optional(
    Schema.Number.check(
      Schema.isInt({ message: secondsMessage }),
      Schema.isBetween({ minimum: 60, maximum: maxLinkSeconds }, { message: secondsMessage })
    ).annotate({ description: `how long the link and the session it opens last; ${defaultLinkSeconds} s by default` })
  )
}).annotate({ identifier: "PortalSessionInput" })

export const PortalLinkResource = Schema.Struct({
  url: Schema.String.annotate({ description: "the portal link; its one-time token opens a session once" }),
  expiresAt: Schema.String
}).annotate({ identifier: "PortalLink" })

export const PortalSessionResource = Schema.Struct({
  accountId: Schema.String,
  webhookIds: Schema.NullOr(Schema.Array(Schema.String)),
  expiresAt: Schema.String,
  csrfToken: Schema.String.annotate({ description: "echo it in the x-hookline-csrf header of every write" })
}).annotate({ identifier: "PortalSession" })

// The body may be left out: every field is optional.
const optionalBody = [PortalSessionInput, Schema.Null] as const

export class PortalGroup extends HttpApiGroup.make("portal")
  .add(
    HttpApiEndpoint.post("createSession", "/portal/sessions", {
      payload: optionalBody,
      success: PortalLinkResource.pipe(HttpApiSchema.status(201)),
      error: [ForbiddenError, NotFoundError, GoneError]
    }).annotate(OpenApi.Summary, "Open the portal")
      .annotate(
        OpenApi.Description,
        "A one-time link to the portal for the caller's account (1 hour by default, at most 24), optionally limited to some of its webhooks."
      )
      .annotate(OpenApi.Transform, (operation) => ({ ...operation, requestBody: { ...operation.requestBody, required: false } }))
  )
  .add(
    HttpApiEndpoint.get("attemptsHourly", "/webhooks/:id/attempts-hourly", {
      params: { id: Schema.String },
      success: Schema.Struct({
        data: Schema.Array(Schema.Struct({ hour: Schema.String, succeeded: Schema.Number, failed: Schema.Number }))
      }),
      error: [NotFoundError, GoneError]
    }).annotate(OpenApi.Summary, "A webhook's attempts by the hour")
      .annotate(OpenApi.Description, "Succeeded and failed attempts per hour over the last 24 hours, oldest first; hours without attempts are left out.")
  )
  .middleware(AccountAuth)
  .prefix("/v1")
  .annotate(OpenApi.Title, "Portal") {}

export class PortalAdminGroup extends HttpApiGroup.make("portalAdmin")
  .add(
    HttpApiEndpoint.post("createSession", "/accounts/:accountId/portal-sessions", {
      params: { accountId: Schema.String },
      payload: optionalBody,
      success: PortalLinkResource.pipe(HttpApiSchema.status(201)),
      error: [NotFoundError, GoneError]
    }).annotate(OpenApi.Summary, "Open an account's portal")
      .annotate(OpenApi.Description, "A one-time portal link for any account, as `POST /v1/portal/sessions` makes for its own.")
      .annotate(OpenApi.Transform, (operation) => ({ ...operation, requestBody: { ...operation.requestBody, required: false } }))
  )
  .middleware(OperatorAuth)
  .prefix("/v1/admin")
  .annotate(OpenApi.Title, "Operator") {}

/** The page's own session routes: the one place a link's token is exchanged for the cookie. */
export class PortalSessionGroup extends HttpApiGroup.make("portalSession")
  .add(
    HttpApiEndpoint.post("enter", "/session", {
      payload: Schema.Struct({ token: Schema.String.check(Schema.isMaxLength(8192)) }),
      success: PortalSessionResource,
      error: [UnauthorizedError, ServiceUnavailableError]
    }).annotate(OpenApi.Summary, "Exchange a portal link's token for the session cookie")
      .annotate(OpenApi.Description, "Once per link. A tampered, used or expired token is 401 portal_link_expired.")
  )
  .add(
    HttpApiEndpoint.get("current", "/session", { success: PortalSessionResource, error: [UnauthorizedError, NotFoundError] })
      .annotate(OpenApi.Summary, "The portal session of the cookie")
      .annotate(OpenApi.Description, "The session's account, webhook scope, expiry and the CSRF value its writes echo.")
      .middleware(AccountAuth)
  )
  .add(
    HttpApiEndpoint.delete("leave", "/session", { success: HttpApiSchema.NoContent })
      .annotate(OpenApi.Summary, "End the portal session")
      .annotate(OpenApi.Description, "Expires the session cookie in this browser.")
  )
  .prefix("/portal/api")
  .annotate(OpenApi.Title, "Portal") {}
