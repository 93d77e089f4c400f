import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { AccountAuth } from "../auth.js"
import { NotFoundError } from "../errors.js"
import { Page, PageParams } from "../pagination.js"
import {
  DeliveryDetailResource,
  DeliveryFilterParams,
  DeliveryResource,
  RecoverInput,
  RecoverResult,
  TestDeliveryResult
} from "../resources/delivery.js"

const IdPath = Schema.Struct({ id: Schema.String })

export class DeliveriesGroup extends HttpApiGroup.make("deliveries")
  .add(
    HttpApiEndpoint.get("list", "/webhooks/:id/deliveries")
      .setPath(IdPath)
      .setUrlParams(Schema.Struct({ ...PageParams.fields, ...DeliveryFilterParams.fields }).annotations({ parseOptions: { errors: "all" } }))
      .addSuccess(Page(DeliveryResource))
      .annotate(OpenApi.Description, "The webhook's delivery log, newest first; filter by status, event type and time.")
  )
  .add(
    HttpApiEndpoint.post("recover", "/webhooks/:id/recover")
      .setPath(IdPath)
      .setPayload(RecoverInput)
      .addSuccess(RecoverResult)
      .annotate(OpenApi.Description, "Redelivers every exhausted delivery of the webhook in the window; `dryRun` counts them first.")
  )
  .add(
    HttpApiEndpoint.post("test", "/webhooks/:id/test")
      .setPath(IdPath)
      .addSuccess(TestDeliveryResult, { status: 202 })
      .annotate(OpenApi.Description, "Sends a real, signed `webhook.test` event to this webhook only.")
  )
  .add(HttpApiEndpoint.get("get", "/deliveries/:id").setPath(IdPath).addSuccess(DeliveryDetailResource))
  .add(
    HttpApiEndpoint.post("redeliver", "/deliveries/:id/redeliver")
      .setPath(IdPath)
      .addSuccess(DeliveryResource, { status: 202 })
      .annotate(OpenApi.Description, "Delivers it again, with the same `webhook-id`.")
  )
  .addError(NotFoundError)
  .middleware(AccountAuth)
  .prefix("/v1")
  .annotate(OpenApi.Title, "Deliveries") {}
