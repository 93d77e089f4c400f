import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as HttpApiSchema from "effect/http-api/HttpApiSchema"
import * as OpenApi from "effect/http-api/OpenApi"
import { Schema } from "effect"
import { Webhook, WebhookInput } from "../../domain/index.js"
import { AccountAuth } from "../auth.js"
import { ConflictError, ForbiddenError, GoneError, NotFoundError } from "../errors.js"
import { Page, PageParams } from "../pagination.js"
import { HistoryEntryResource } from "../resources/history.js"
import { WebhookHealthResource, WebhookResource, WebhookWithSecretResource } from "../resources/webhook.js"

const WebhookPath = { id: Schema.String }

const overlapMessage = `must be an integer from 0 to ${Webhook.maxSecretOverlapSeconds}`

export const RotateSecretInput = Schema.Struct({
  overlapSeconds: Schema.optional(
    Schema.Number.check(
      Schema.isInt({ message: overlapMessage }),
      Schema.isBetween({ minimum: 0, maximum: Webhook.maxSecretOverlapSeconds }, { message: overlapMessage })
    ).annotate({
      description: "how long the replaced secret keeps signing; 0 ends it at once (e.g. after a leak)"
    })
  ),
  secret: Schema.optionalKey(WebhookInput.SigningSecret)
}).annotate({ identifier: "RotateSecretInput" })

// Webhook commands share one error type: each of them may meet a concurrent change (409) and the webhook's
// account rules (403); those on one webhook, a deleted webhook too (410: only its history stays readable).
const error = [NotFoundError, ConflictError, ForbiddenError]
const onWebhook = [...error, GoneError]

export class WebhooksGroup extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.post("create", "/webhooks", {
      payload: WebhookInput.CreateWebhookInput,
      success: WebhookWithSecretResource.pipe(HttpApiSchema.status(201)),
      error
    }).annotate(OpenApi.Description, "Registers a webhook. The response carries its signing secret, shown only here.")
      .annotate(OpenApi.Summary, "Create a webhook")
  )
  .add(
    HttpApiEndpoint.get("list", "/webhooks", { query: PageParams, success: Page(WebhookResource), error })
      .annotate(OpenApi.Summary, "List webhooks")
      .annotate(OpenApi.Description, "The account's webhooks; never a signing secret.")
  )
  .add(
    HttpApiEndpoint.get("get", "/webhooks/:id", { params: WebhookPath, success: WebhookResource, error: onWebhook })
      .annotate(OpenApi.Summary, "Get a webhook")
      .annotate(OpenApi.Description, "One webhook with its settings and state; never its signing secret.")
  )
  .add(
    HttpApiEndpoint.get("health", "/webhooks/:id/health", { params: WebhookPath, success: WebhookHealthResource, error: onWebhook })
      .annotate(OpenApi.Summary, "Webhook health")
      .annotate(
        OpenApi.Description,
        "The endpoint's circuit (state, since when, next probe), its failing streak, backlog, last success and failure, and the success rate over 24 hours."
      )
  )
  .add(
    HttpApiEndpoint.patch("update", "/webhooks/:id", {
      params: WebhookPath,
      payload: WebhookInput.UpdateWebhookInput,
      success: WebhookResource,
      error: onWebhook
    }).annotate(OpenApi.Description, "Changes the given fields; `null` resets a delivery policy field to the default.")
      .annotate(OpenApi.Summary, "Update a webhook")
  )
  .add(
    HttpApiEndpoint.delete("delete", "/webhooks/:id", { params: WebhookPath, success: HttpApiSchema.NoContent, error: onWebhook })
      .annotate(OpenApi.Summary, "Delete a webhook")
      .annotate(OpenApi.Description, "Deletes the webhook; its history and delivery log stay readable.")
  )
  .add(
    HttpApiEndpoint.post("pause", "/webhooks/:id/pause", { params: WebhookPath, success: WebhookResource, error: onWebhook })
      .annotate(OpenApi.Description, "Stops deliveries until resumed.")
      .annotate(OpenApi.Summary, "Pause a webhook")
  )
  .add(
    HttpApiEndpoint.post("resume", "/webhooks/:id/resume", { params: WebhookPath, success: WebhookResource, error: onWebhook })
      .annotate(OpenApi.Description, "Resumes a paused or disabled webhook.")
      .annotate(OpenApi.Summary, "Resume a webhook")
  )
  .add(
    HttpApiEndpoint.post("rotateSecret", "/webhooks/:id/rotate-secret", {
      params: WebhookPath,
      // The body is optional: HttpApiBuilder reads an empty one as `null` when a payload member is Null.
      payload: [RotateSecretInput, Schema.Null],
      success: WebhookWithSecretResource,
      error: onWebhook
    }).annotate(
      OpenApi.Description,
      "Replaces the signing secret; the old one keeps signing alongside for the overlap (default from configuration)."
    )
      .annotate(OpenApi.Summary, "Rotate the signing secret")
      // HttpApi marks every declared body required; this one may be left out.
      .annotate(OpenApi.Transform, (operation) => ({ ...operation, requestBody: { ...operation.requestBody, required: false } }))
  )
  .add(
    HttpApiEndpoint.get("history", "/webhooks/:id/history", {
      params: WebhookPath,
      query: PageParams,
      success: Page(HistoryEntryResource),
      error
    }).annotate(OpenApi.Description, "Every change of the webhook, oldest first, with when, who and what (never secrets).")
      .annotate(OpenApi.Summary, "Webhook history")
  )
  .middleware(AccountAuth)
  .prefix("/v1")
  .annotate(OpenApi.Title, "Webhooks") {}
