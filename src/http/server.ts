import { HttpApiBuilder, HttpApiSwagger, HttpMiddleware, HttpServer, type HttpApp } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import { Settings } from "../config.js"
import { HooklineApi } from "./api.js"
import { AccountAuthLive, OperatorAuthLive } from "./auth.js"
import { withCorrelationId } from "./correlation.js"
import { AccountLive } from "./handlers/account.js"
import { AdminLive } from "./handlers/admin.js"
import { EventsLive } from "./handlers/events.js"
import { HealthLive } from "./handlers/health.js"
import { WebhooksLive } from "./handlers/webhooks.js"
import { type Route, routePattern, uniformErrors } from "./uniform-errors.js"

export const ApiLive = HttpApiBuilder.api(HooklineApi).pipe(
  Layer.provide([HealthLive, AdminLive, AccountLive, EventsLive, WebhooksLive]),
  Layer.provide([AccountAuthLive, OperatorAuthLive])
)

const openApiPath = "/openapi.json"
const docsPath = "/docs"

/** Every method and path the server answers, to tell a wrong method (405) from an unknown route (404). */
export const routes: ReadonlyArray<Route> = [
  ...Object.values(HooklineApi.groups).flatMap((group) =>
    Object.values(group.endpoints).map((endpoint) => ({ method: endpoint.method, pattern: routePattern(endpoint.path) }))
  ),
  { method: "GET", pattern: routePattern(openApiPath) },
  { method: "GET", pattern: new RegExp(`^${docsPath}(/.*)?$`) }
]

/** The HTTP server on HOST:PORT, serving the API, its OpenAPI document and Swagger UI. */
export const HttpServerLive = Layer.unwrapEffect(
  Effect.map(Settings, (settings) => {
    const errors = uniformErrors({ maxRequestBytes: settings.maxRequestBytes, routes })
    const middleware = (app: HttpApp.Default) => withCorrelationId(errors(app))
    return HttpApiBuilder.serve(HttpMiddleware.logger).pipe(
      Layer.provide(HttpApiSwagger.layer({ path: docsPath })),
      Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: openApiPath })),
      Layer.provide(HttpApiBuilder.middleware(middleware)),
      Layer.provide(ApiLive),
      HttpServer.withLogAddress,
      Layer.provideMerge(NodeHttpServer.layer(createServer, { host: settings.host, port: settings.port }))
    )
  })
)
