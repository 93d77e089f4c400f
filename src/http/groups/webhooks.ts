import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { Webhook, WebhookInput } from "../../domain/index.js"
import { AccountAuth } from "../auth.js"
import { ConflictError, ForbiddenError, NotFoundError } from "../errors.js"
import { Page, PageParams } from "../pagination.js"
import { HistoryEntryResource } from "../resources/history.js"
import { WebhookResource, WebhookWithSecretResource } from "../resources/webhook.js"

const WebhookPath = Schema.Struct({ id: Schema.String })

export const RotateSecretInput = Schema.NullOr(
  Schema.Struct({
    overlapSeconds: Schema.optional(
      Schema.Number.pipe(
        Schema.int({ message: () => `must be an integer from 0 to ${Webhook.maxSecretOverlapSeconds}` }),
        Schema.between(0, Webhook.maxSecretOverlapSeconds, {
          message: () => `must be an integer from 0 to ${Webhook.maxSecretOverlapSeconds}`
        })
      ).annotations({
        description: "how long the replaced secret keeps signing; 0 ends it at once (e.g. after a leak)"
      })
    )
  })
).annotations({ identifier: "RotateSecretInput", parseOptions: { errors: "all" } })


export class WebhooksGroup extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.post("create", "/webhooks")
      .setPayload(WebhookInput.CreateWebhookInput)
      .addSuccess(WebhookWithSecretResource, { status: 201 })
      .addError(ForbiddenError)
      .annotate(OpenApi.Description, "Registers a webhook. The response carries its signing secret, shown only here.")
  )
  .add(
    HttpApiEndpoint.get("list", "/webhooks")
      .setUrlParams(PageParams)
      .addSuccess(Page(WebhookResource))
  )
  .add(
    HttpApiEndpoint.get("get", "/webhooks/:id").setPath(WebhookPath).addSuccess(WebhookResource).addError(NotFoundError)
  )
  .add(
    HttpApiEndpoint.patch("update", "/webhooks/:id")
      .setPath(WebhookPath)
      .setPayload(WebhookInput.UpdateWebhookInput)
      .addSuccess(WebhookResource)
      .addError(NotFoundError)
      .annotate(OpenApi.Description, "Changes the given fields; `null` resets a delivery policy field to the default.")
  )
  .add(
    HttpApiEndpoint.del("delete", "/webhooks/:id")
      .setPath(WebhookPath)
      .addSuccess(Schema.Void)
      .addError(NotFoundError)
  )
  .add(
    HttpApiEndpoint.post("pause", "/webhooks/:id/pause")
      .setPath(WebhookPath)
      .addSuccess(WebhookResource)
      .annotate(OpenApi.Description, "Stops deliveries until resumed.")
  )
  .add(
    HttpApiEndpoint.post("resume", "/webhooks/:id/resume")
      .setPath(WebhookPath)
      .addSuccess(WebhookResource)
      .annotate(OpenApi.Description, "Resumes a paused or disabled webhook.")
  )
  .add(
    HttpApiEndpoint.post("rotateSecret", "/webhooks/:id/rotate-secret")
      .setPath(WebhookPath)
      .setPayload(RotateSecretInput)
      .addSuccess(WebhookWithSecretResource)
      .addError(NotFoundError)
      .annotate(
        OpenApi.Description,
        "Replaces the signing secret; the old one keeps signing alongside for the overlap (default from configuration)."
      )
  )
  .add(
    HttpApiEndpoint.get("history", "/webhooks/:id/history")
      .setPath(WebhookPath)
      .setUrlParams(PageParams)
      .addSuccess(Page(HistoryEntryResource))
      .addError(NotFoundError)
      .annotate(OpenApi.Description, "Every change of the webhook, oldest first, with when, who and what (never secrets).")
  )
  // Webhook commands share one error type: each of them may meet a concurrent change (409), and the
  // webhook's account rules (403).
  .addError(NotFoundError)
  .addError(ConflictError)
  .addError(ForbiddenError)
  .middleware(AccountAuth)
  .prefix("/v1")
  .annotate(OpenApi.Title, "Webhooks") {}
