import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as HttpApiSchema from "effect/http-api/HttpApiSchema"
import * as OpenApi from "effect/http-api/OpenApi"
import { Schema } from "effect"
import { PublishedEvent } from "../../domain/index.js"
import { AccountAuth } from "../auth.js"
import { ConflictError, NotFoundError, PayloadTooLargeError } from "../errors.js"
import { Page, PageParams } from "../pagination.js"
import { isoDate } from "../resources/delivery.js"
import {
  EventResource,
  EventSummaryResource,
  PublishBatchInput,
  PublishBatchResult,
  PublishedEventResource
} from "../resources/event.js"

export class EventsGroup extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.post("publish", "/events", {
      payload: PublishedEvent.PublishEventInput,
      success: PublishedEventResource.pipe(HttpApiSchema.status(202)),
      error: [ConflictError, PayloadTooLargeError]
    }).annotate(
      OpenApi.Description,
      "Publishes an event; answers once it is durable. Publishing the same id again stores nothing and answers with the first result."
    )
      .annotate(OpenApi.Summary, "Publish an event")
  )
  .add(
    HttpApiEndpoint.post("publishBatch", "/events/batch", { payload: PublishBatchInput, success: PublishBatchResult }).annotate(
      OpenApi.Description,
      "Publishes up to 500 events in one append; a result per item (one bad item does not refuse the others)."
    )
      .annotate(OpenApi.Summary, "Publish events in a batch")
  )
  .add(
    HttpApiEndpoint.get("list", "/events", {
      query: {
        ...PageParams.fields,
        type: Schema.optional(Schema.String.check(Schema.isMaxLength(100))),
        since: Schema.optional(isoDate),
        until: Schema.optional(isoDate)
      },
      success: Page(EventSummaryResource)
    }).annotate(
      OpenApi.Description,
      "The account's published events, newest first; filter by type and by publication time (`since` inclusive, `until` exclusive)."
    )
      .annotate(OpenApi.Summary, "List events")
  )
  .add(
    HttpApiEndpoint.get("event", "/events/:id", { params: { id: Schema.String }, success: EventResource, error: NotFoundError })
      .annotate(OpenApi.Summary, "Get an event")
      .annotate(OpenApi.Description, "One published event, with its data exactly as published.")
  )
  .middleware(AccountAuth)
  .prefix("/v1")
  .annotate(OpenApi.Title, "Events") {}
