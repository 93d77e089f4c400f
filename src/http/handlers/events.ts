import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { Effect, Option, Result } from "effect"
import { Deliveries } from "../../app/deliveries.js"
import { PublishedEvents } from "../../app/published-events.js"
import { HooklineApi } from "../api.js"
import { CurrentAccount } from "../auth.js"
import { callerOf } from "../correlation.js"
import { orApiError, toApiError } from "../error-mapping.js"
import { errorBody, NotFound } from "../errors.js"
import { defaultLimit, seqCursor } from "../pagination.js"
import { toPublishedResource } from "../resources/event.js"
import { listPublishedEvents } from "../../projections/published-events.js"
import { SqlClient } from "effect/sql/SqlClient"
import { isInScope, scopeOf } from "./own-webhook.js"

const cursor = seqCursor("e")

const itemId = (item: unknown): string | null =>
  typeof item === "object" && item !== null && "id" in item && typeof item.id === "string" ? item.id : null

export const EventsLive = HttpApiBuilder.group(HooklineApi, "events", (handlers) =>
  Effect.gen(function* () {
    const events = yield* PublishedEvents
    const deliveriesOf = yield* Deliveries
    const sql = yield* SqlClient
    return handlers
      .handle("publish", ({ payload, request }) =>
        Effect.gen(function* () {
          const { accountId, keyId } = yield* CurrentAccount
          const published = yield* orApiError(
            events.publish(accountId, payload, callerOf(request, { kind: "account", accountId, keyId }))
          )
          return toPublishedResource(published.event, published.duplicate)
        })
      )
      .handle("publishBatch", ({ payload, request }) =>
        Effect.gen(function* () {
          const { accountId, keyId } = yield* CurrentAccount
          const outcomes = yield* orApiError(
            events.publishBatch(accountId, payload.events, callerOf(request, { kind: "account", accountId, keyId }))
          )
          const results = outcomes.map((outcome, index) =>
            Result.match(outcome, {
              onSuccess: (published) => ({
                index,
                status: "accepted" as const,
                event: toPublishedResource(published.event, published.duplicate)
              }),
              onFailure: (error) => ({
                index,
                status: "rejected" as const,
                id: itemId(payload.events[index]),
                error: errorBody(toApiError(error)).error
              })
            })
          )
          const accepted = results.filter((r) => r.status === "accepted").length
          return { accepted, rejected: results.length - accepted, results }
        })
      )
      .handle("list", ({ query }) =>
        Effect.gen(function* () {
          const { accountId } = yield* CurrentAccount
          const after = yield* Effect.fromResult(cursor.parse(query.cursor))
          const page = yield* orApiError(
            Effect.provideService(
              listPublishedEvents(
                accountId,
                { type: query.type, since: query.since, until: query.until },
                { limit: query.limit ?? defaultLimit, after }
              ),
              SqlClient,
              sql
            )
          )
          // A portal session limited to some webhooks sees the events that were delivered to them.
          const scope = yield* scopeOf
          const data =
            scope === null
              ? page.data
              : yield* orApiError(
                  Effect.filter(page.data, (event) =>
                    Effect.map(deliveriesOf.forEvent(accountId, event.id), (ds) => ds.some((d) => isInScope(scope, d.webhookId)))
                  )
                )
          return { data, nextCursor: page.next === null ? null : cursor.format(page.next) }
        })
      )
      .handle("event", ({ params }) =>
        Effect.gen(function* () {
          const { accountId } = yield* CurrentAccount
          const found = yield* orApiError(events.find(accountId, params.id))
          if (Option.isNone(found)) {
            return yield* new NotFound({ code: "event_not_found", message: `event ${params.id} not found` })
          }
          const event = found.value
          const scope = yield* scopeOf
          const deliveries = (yield* orApiError(deliveriesOf.forEvent(accountId, event.eventId))).filter((d) =>
            isInScope(scope, d.webhookId)
          )
          if (scope !== null && deliveries.length === 0) {
            return yield* new NotFound({ code: "event_not_found", message: `event ${params.id} not found` })
          }
          return {
            id: event.eventId,
            type: event.type,
            data: event.data,
            occurredAt: event.occurredAt,
            publishedAt: event.publishedAt,
            deliveries
          }
        })
      )
  })
)
