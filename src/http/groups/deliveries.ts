import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as HttpApiSchema from "effect/http-api/HttpApiSchema"
import * as OpenApi from "effect/http-api/OpenApi"
import { Schema } from "effect"
import { RecoverInput } from "../../domain/recover-window.js"
import { AccountAuth } from "../auth.js"
import { GoneError, NotFoundError } from "../errors.js"
import { Page, PageParams } from "../pagination.js"
import {
  DeliveryDetailResource,
  DeliveryFilterParams,
  DeliveryResource,
  RecoverResult,
  TestDeliveryResult
} from "../resources/delivery.js"

const IdPath = { id: Schema.String }

export class DeliveriesGroup extends HttpApiGroup.make("deliveries")
  .add(
    HttpApiEndpoint.get("list", "/webhooks/:id/deliveries", {
      params: IdPath,
      query: { ...PageParams.fields, ...DeliveryFilterParams.fields },
      success: Page(DeliveryResource),
      error: NotFoundError
    }).annotate(OpenApi.Description, "The webhook's delivery log, newest first; filter by status, event type and time.")
      .annotate(OpenApi.Summary, "List a webhook's deliveries")
  )
  .add(
    HttpApiEndpoint.post("recover", "/webhooks/:id/recover", {
      params: IdPath,
      // [.., Null]: HttpApiBuilder then reads a missing body as null, which the handler answers by naming
      // the missing `since` rather than with a decoding message about null.
      payload: [RecoverInput, Schema.Null],
      success: RecoverResult,
      error: [NotFoundError, GoneError]
    }).annotate(OpenApi.Description, "Redelivers every exhausted delivery of the webhook in the window; `dryRun` counts them first.")
      .annotate(OpenApi.Summary, "Recover exhausted deliveries")
  )
  .add(
    HttpApiEndpoint.post("test", "/webhooks/:id/test", {
      params: IdPath,
      success: TestDeliveryResult.pipe(HttpApiSchema.status(202)),
      error: [NotFoundError, GoneError]
    }).annotate(OpenApi.Description, "Sends a real, signed `webhook.test` event to this webhook only.")
      .annotate(OpenApi.Summary, "Send a test event")
  )
  .add(
    HttpApiEndpoint.get("listAll", "/deliveries", {
      query: {
        ...PageParams.fields,
        ...DeliveryFilterParams.fields,
        webhookId: Schema.optional(Schema.String.check(Schema.isMaxLength(200)))
      },
      success: Page(DeliveryResource),
      error: NotFoundError
    }).annotate(
      OpenApi.Description,
      "The account's deliveries across its webhooks, newest first; filter by status, webhook, event type and time."
    )
      .annotate(OpenApi.Summary, "List deliveries")
  )
  .add(
    HttpApiEndpoint.get("get", "/deliveries/:id", { params: IdPath, success: DeliveryDetailResource, error: NotFoundError })
      .annotate(OpenApi.Summary, "Get a delivery")
      .annotate(OpenApi.Description, "One delivery with its attempts.")
  )
  .add(
    HttpApiEndpoint.post("redeliver", "/deliveries/:id/redeliver", {
      params: IdPath,
      success: DeliveryResource.pipe(HttpApiSchema.status(202)),
      error: [NotFoundError, GoneError]
    }).annotate(OpenApi.Description, "Delivers it again, with the same `webhook-id`.")
      .annotate(OpenApi.Summary, "Redeliver")
  )
  .middleware(AccountAuth)
  .prefix("/v1")
  .annotate(OpenApi.Title, "Deliveries") {}
