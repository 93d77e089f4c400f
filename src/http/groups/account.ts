import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { AccountAuth } from "../auth.js"
import { NotFoundError } from "../errors.js"
import { AccountResource } from "../resources/account.js"
import { EventTypeResource } from "../resources/event.js"

export class AccountGroup extends HttpApiGroup.make("account")
  .add(
    HttpApiEndpoint.get("account", "/account")
      .addSuccess(AccountResource)
      .addError(NotFoundError)
      .annotate(OpenApi.Description, "The caller's account: plan, limits and usage.")
  )
  .add(
    HttpApiEndpoint.get("eventTypes", "/event-types")
      .addSuccess(Schema.Struct({ data: Schema.Array(EventTypeResource) }))
      .annotate(OpenApi.Description, "The event catalogue, with the JSON Schema of each event's data.")
  )
  .middleware(AccountAuth)
  .prefix("/v1")
  .annotate(OpenApi.Title, "Account") {}
