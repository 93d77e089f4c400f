import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { PublishedEvent } from "../../domain/index.js"
import { AccountAuth } from "../auth.js"
import { ConflictError, NotFoundError, PayloadTooLargeError } from "../errors.js"
import { EventResource, PublishBatchInput, PublishBatchResult, PublishedEventResource } from "../resources/event.js"

export class EventsGroup extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.post("publish", "/events")
      .setPayload(PublishedEvent.PublishEventInput)
      .addSuccess(PublishedEventResource, { status: 202 })
      .addError(ConflictError)
      .addError(PayloadTooLargeError)
      .annotate(
        OpenApi.Description,
        "Publishes an event; answers once it is durable. Publishing the same id again stores nothing and answers with the first result."
      )
  )
  .add(
    HttpApiEndpoint.post("publishBatch", "/events/batch")
      .setPayload(PublishBatchInput)
      .addSuccess(PublishBatchResult)
      .annotate(
        OpenApi.Description,
        "Publishes up to 500 events in one append; a result per item (one bad item does not refuse the others)."
      )
  )
  .add(
    HttpApiEndpoint.get("event", "/events/:id")
      .setPath(Schema.Struct({ id: Schema.String }))
      .addSuccess(EventResource)
      .addError(NotFoundError)
  )
  .middleware(AccountAuth)
  .prefix("/v1")
  .annotate(OpenApi.Title, "Events") {}
