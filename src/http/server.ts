import * as HttpRouter from "effect/http/HttpRouter"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import type * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import * as HttpApiSwagger from "effect/http-api/HttpApiSwagger"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import { SqlClient } from "effect/sql/SqlClient"
import { PublishedEvents } from "../app/published-events.js"
import { Settings } from "../config.js"
import { DeliveryRuntime } from "../delivery/runtime.js"
import { ProjectionRunner } from "../projections/runner.js"
import { HooklineApi } from "./api.js"
import { AccountAuthLive, OperatorAuthLive } from "./auth.js"
import { withBackPressure } from "./back-pressure.js"
import { withCorrelationId } from "./correlation.js"
import { type LabelledRoute, metricsResponse, withObservability } from "./observability.js"
import { AccountLive } from "./handlers/account.js"
import { AdminLive } from "./handlers/admin.js"
import { DeliveriesLive } from "./handlers/deliveries.js"
import { EventsLive } from "./handlers/events.js"
import { HealthLive } from "./handlers/health.js"
import { PortalAdminLive, PortalLive, PortalSessionLive } from "./handlers/portal.js"
import { PortalSessionsLive } from "../portal/sessions.js"
import { PortalStaticLive, portalStaticRoutes } from "../portal/static.js"
import { withJsonGuard } from "./json-guard.js"
import { ApiRateLimiter, withRateLimit } from "./rate-limit.js"
import { RequestErrorsLive } from "./request-errors.js"
import { WebhooksLive } from "./handlers/webhooks.js"
import { type Route, routePattern, uniformErrors } from "./uniform-errors.js"

const openApiPath = "/openapi.json"
const docsPath = "/docs"

/** The API's routes, its OpenAPI document and Swagger UI (inlined in effect: it works offline). */
export const ApiLive = Layer.mergeAll(
  HttpApiBuilder.layer(HooklineApi, { openapiPath: openApiPath }),
  HttpApiSwagger.layer(HooklineApi, { path: docsPath })
).pipe(
  Layer.provide([
    HealthLive,
    AdminLive,
    AccountLive,
    EventsLive,
    WebhooksLive,
    DeliveriesLive,
    PortalLive,
    PortalAdminLive,
    PortalSessionLive
  ]),
  Layer.provide([AccountAuthLive, OperatorAuthLive, RequestErrorsLive]),
  Layer.provide(PortalSessionsLive)
)

/** Every method and path the server answers, to tell a wrong method (405) from an unknown route (404). */
export const routes: ReadonlyArray<Route & LabelledRoute> = [
  ...Object.values(HooklineApi.groups).flatMap((group) =>
    Object.values(group.endpoints).map((endpoint) => ({
      method: endpoint.method,
      path: endpoint.path,
      pattern: routePattern(endpoint.path)
    }))
  ),
  { method: "GET", path: openApiPath, pattern: routePattern(openApiPath) },
  { method: "GET", path: docsPath, pattern: routePattern(docsPath) },
  ...portalStaticRoutes.map((route) => ({ ...route, pattern: routePattern(route.path) }))
]

/**
 * Hookline's own middleware around every request, the router's "not found" included. Issue 6 (overload
 * and abuse): the rate limit and the publish back-pressure answer before the body is read; the JSON
 * depth guard reads it inside the size limit, on the request the handler will see.
 */
const MiddlewareLive = HttpRouter.middleware(
  Effect.gen(function* () {
    const settings = yield* Settings
    const services = yield* Effect.context<DeliveryRuntime | ProjectionRunner | SqlClient>()
    const limiter = yield* Effect.provide(Effect.service(ApiRateLimiter), ApiRateLimiter.layer)
    const publishing = yield* PublishedEvents
    const errors = uniformErrors({ maxRequestBytes: settings.maxRequestBytes, routes })
    const observe = withObservability(routes, metricsResponse(services))
    const guard = withJsonGuard(settings.maxJsonDepth)
    const shed = withBackPressure(publishing.saturated)
    const limit = withRateLimit(limiter)
    // Nothing fails past `errors`; the router's typing wants the error channel passed through.
    return <E, R>(
      app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
    ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
      observe(shed(limit(withCorrelationId(errors(guard(app))))))
  }),
  { global: true }
)

/** The HTTP server on HOST:PORT, serving the API, its OpenAPI document and Swagger UI. */
export const HttpServerLive = Layer.unwrap(
  Effect.gen(function* () {
    const settings = yield* Settings
    // The router's own request log is off: withObservability writes one line per request, with the
    // route and correlation id.
    return HttpRouter.serve(Layer.mergeAll(ApiLive, PortalStaticLive, MiddlewareLive), { disableLogger: true }).pipe(
      Layer.provideMerge(
        NodeHttpServer.layer(
          // Slow clients cannot hold the server: headers within 10 s, the whole request within 30 s.
          () => createServer({ headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 }),
          { host: settings.host, port: settings.port }
        )
      )
    )
  })
)
