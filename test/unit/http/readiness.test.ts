import { Effect, Layer } from "effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpApi from "effect/http-api/HttpApi"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { afterAll, describe, expect, it } from "vitest"
import { HealthGroup, NotReady } from "../../../src/http/groups/health.js"

/**
 * /readyz answers 503 with the readiness when not ready. Effect 3 encoded declared errors after the
 * global middleware ran, so the middleware special-cased NotReady; Effect 4 encodes them in the route
 * itself, from the declaration alone.
 */
class Api extends HttpApi.make("readiness").add(HealthGroup) {}

const readiness = { status: "not_ready", checks: { database: false, migrations: true, projections: true } } as const

const HealthTest = HttpApiBuilder.group(Api, "health", (handlers) =>
  handlers
    .handle("healthz", () => Effect.succeed({ status: "ok" as const }))
    .handle("readyz", () => Effect.fail(new NotReady({ readiness })))
    .handle("metrics", () => Effect.succeed(""))
)

const { handler, dispose } = HttpRouter.toWebHandler(
  HttpApiBuilder.layer(Api).pipe(Layer.provide(HealthTest), Layer.provide(HttpServer.layerServices)),
  { disableLogger: true }
)
afterAll(() => dispose())

describe("/readyz", () => {
  it("answers 503 with the readiness checks when not ready", async () => {
    const response = await handler(new Request("http://localhost/readyz"))
    expect(response.status).toBe(503)
    expect(await response.json()).toEqual({ _tag: "NotReady", readiness })
  })
})
