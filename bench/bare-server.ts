/**
 * The `ingest` case's bare route: Hookline's HTTP stack (HttpApiBuilder, the same middleware: uniform
 * errors, correlation ids, the request logger) serving `POST /v1/events` with the same payload schema and
 * the same validation (`PublishedEvent.decide`), answering 202 with the same resource, but storing nothing
 * and authenticating no one. What the framework and the validation cost alone: the publish route's bound.
 *
 * Started by bench/hookline.ts as a child process with PORT set; stops when its parent goes away.
 */
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, References, Schema } from "effect"
import * as HttpRouter from "effect/http/HttpRouter"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import type * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HttpApi from "effect/http-api/HttpApi"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as HttpApiSchema from "effect/http-api/HttpApiSchema"
import { createServer } from "node:http"
import { newEventId } from "../src/app/ids.js"
import { PublishedEvent } from "../src/domain/index.js"
import { withCorrelationId } from "../src/http/correlation.js"
import { toApiError } from "../src/http/error-mapping.js"
import { BadRequest } from "../src/http/errors.js"
import { RequestErrors, RequestErrorsLive } from "../src/http/request-errors.js"
import { PublishedEventResource, toPublishedResource } from "../src/http/resources/event.js"
import { routePattern, uniformErrors } from "../src/http/uniform-errors.js"

class BareGroup extends HttpApiGroup.make("bare", { topLevel: true })
  .add(HttpApiEndpoint.get("healthz", "/healthz", { success: Schema.Struct({ status: Schema.Literal("ok") }) }))
  .add(
    HttpApiEndpoint.post("publish", "/v1/events", {
      payload: PublishedEvent.PublishEventInput,
      success: PublishedEventResource.pipe(HttpApiSchema.status(202))
    })
  ) {}

// As Hookline's API: malformed or oversized bodies declared once for every route, every issue reported.
class BareApi extends HttpApi.make("bare")
  .add(BareGroup)
  .middleware(RequestErrors)
  .annotate(HttpApi.ParseOptions, { errors: "all" }) {}

const BareLive = HttpApiBuilder.group(BareApi, "bare", (handlers) =>
  handlers
    .handle("healthz", () => Effect.succeed({ status: "ok" as const }))
    .handle("publish", ({ payload }) =>
      Effect.gen(function* () {
        const eventId = payload.id ?? (yield* newEventId)
        const command = PublishedEvent.PublishedEventCommand.PublishEvent({
          eventId,
          accountId: "acc_bare",
          type: payload.type,
          data: payload.data,
          occurredAt: payload.occurredAt,
          now: new Date(),
          maxPayloadBytes: PublishedEvent.defaultMaxPayloadBytes
        })
        const [event] = yield* Effect.fromResult(PublishedEvent.decide(command, PublishedEvent.initialState)).pipe(
          Effect.mapError((error) => {
            const api = toApiError(error)
            // Hookline answers an id conflict with 409; with nothing stored there is none here.
            return api._tag === "PayloadTooLarge" ? api : new BadRequest({ code: "validation_failed", message: api.message })
          })
        )
        if (event === undefined) return yield* Effect.die(new Error("decided on nothing"))
        return toPublishedResource(event, false)
      })
    )
)

const port = Number(process.env.PORT ?? "0")
const routes = Object.values(BareApi.groups).flatMap((group) =>
  Object.values(group.endpoints).map((endpoint) => ({ method: endpoint.method, pattern: routePattern(endpoint.path) }))
)
const errors = uniformErrors({ maxRequestBytes: 1024 * 1024, routes })

const ApiRoutes = HttpApiBuilder.layer(BareApi).pipe(Layer.provide(BareLive), Layer.provide(RequestErrorsLive))

// Global, as Hookline's: around every request, the router's "not found" included.
const MiddlewareLive = HttpRouter.middleware(
  <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
    withCorrelationId(errors(app)),
  { global: true }
)

// The router's request logger stays on, as in Hookline's server.
const ServerLive = HttpRouter.serve(Layer.mergeAll(ApiRoutes, MiddlewareLive)).pipe(
  Layer.provide(NodeHttpServer.layer(createServer, { host: "127.0.0.1", port }))
)

process.on("disconnect", () => process.exit(0))
setTimeout(() => process.exit(1), 900_000).unref()

NodeRuntime.runMain(Layer.launch(ServerLive).pipe(Effect.provideService(References.MinimumLogLevel, "Warn")))
