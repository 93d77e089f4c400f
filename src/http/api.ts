import * as HttpApi from "effect/http-api/HttpApi"
import * as OpenApi from "effect/http-api/OpenApi"
import { commandDecodeOptions, decodeOptions } from "../domain/index.js"
import { AccountGroup } from "./groups/account.js"
import { AdminGroup } from "./groups/admin.js"
import { DeliveriesGroup } from "./groups/deliveries.js"
import { EventsGroup } from "./groups/events.js"
import { HealthGroup } from "./groups/health.js"
import { PortalAdminGroup, PortalGroup, PortalSessionGroup } from "./groups/portal.js"
import { documentApi } from "./openapi.js"
import { WebhooksGroup } from "./groups/webhooks.js"
import { RequestErrors } from "./request-errors.js"

/** The whole HTTP API; the OpenAPI document is generated from this, so it cannot drift. */
export class HooklineApi extends HttpApi.make("hookline")
  .add(HealthGroup)
  .add(AdminGroup)
  .add(AccountGroup)
  .add(EventsGroup)
  .add(WebhooksGroup)
  .add(DeliveriesGroup)
  .add(PortalGroup)
  .add(PortalAdminGroup)
  .add(PortalSessionGroup)
  // Any route can meet these: a malformed or oversized body, a database outage. Added last, so that it
  // reaches every endpoint above.
  .middleware(RequestErrors)
  // A client gets every problem of its request at once, each worded from the value it sent.
  .annotate(HttpApi.ParseOptions, decodeOptions)
  // Bodies only: a body's unknown field is refused, never dropped. Headers and the query keep
  // `decodeOptions` (a request carries transport headers no schema lists).
  .annotate(HttpApi.PayloadParseOptions, commandDecodeOptions)
  .annotate(OpenApi.Transform, documentApi)
  .annotate(OpenApi.Title, "Hookline")
  .annotate(OpenApi.Version, "1")
  .annotate(
    OpenApi.Description,
    "Event-sourced webhook delivery. Errors always have the shape {\"error\": {\"code\", \"message\", \"details\"?}}."
  ) {}
