import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as OpenApi from "effect/http-api/OpenApi"
import { Schema } from "effect"
import { AccountAuth } from "../auth.js"
import { NotFoundError } from "../errors.js"
import { AccountResource } from "../resources/account.js"
import { EventTypeResource } from "../resources/event.js"

export class AccountGroup extends HttpApiGroup.make("account")
  .add(
    HttpApiEndpoint.get("account", "/account", { success: AccountResource, error: NotFoundError })
      .annotate(OpenApi.Description, "The caller's account: plan, limits and usage.")
      .annotate(OpenApi.Summary, "Get the caller's account")
  )
  .add(
    HttpApiEndpoint.get("eventTypes", "/event-types", { success: Schema.Struct({ data: Schema.Array(EventTypeResource) }) })
      .annotate(OpenApi.Description, "The event catalogue, with the JSON Schema of each event's data.")
      .annotate(OpenApi.Summary, "List event types")
  )
  .middleware(AccountAuth)
  .prefix("/v1")
  .annotate(OpenApi.Title, "Account") {}
