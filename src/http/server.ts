import { HttpApiBuilder, HttpMiddleware, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import { Settings } from "../config.js"
import { HooklineApi } from "./api.js"
import { HealthLive } from "./handlers/health.js"

export const ApiLive = HttpApiBuilder.api(HooklineApi).pipe(Layer.provide(HealthLive))

/** The HTTP server on HOST:PORT, serving the API. */
export const HttpServerLive = Layer.unwrapEffect(
  Effect.map(Settings, (settings) =>
    HttpApiBuilder.serve(HttpMiddleware.logger).pipe(
      Layer.provide(ApiLive),
      HttpServer.withLogAddress,
      Layer.provide(NodeHttpServer.layer(createServer, { host: settings.host, port: settings.port }))
    )
  )
)
