import { Effect, Layer, Logger, References } from "effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { afterAll, describe, expect, it } from "vitest"
import { withCorrelationId } from "../../../src/http/correlation.js"
import { withJsonGuard } from "../../../src/http/json-guard.js"
import { withObservability } from "../../../src/http/observability.js"
import { routePattern, uniformErrors } from "../../../src/http/uniform-errors.js"

/**
 * Hookline's request middleware on Effect 4's router, without a database: how the router reports an
 * unknown route (an HttpServerError whose reason is RouteNotFound), an oversized body (RequestParseError,
 * reason BodyTooLarge), a body HttpApiBuilder would not read (its own plain 415) and a defect, and that
 * the correlation id reaches the log lines written while serving.
 */

const logged: Array<{ readonly message: unknown; readonly annotations: Record<string, unknown> }> = []
const capture = Logger.make((options) => {
  logged.push({ message: options.message, annotations: { ...options.fiber.getRef(References.CurrentLogAnnotations) } })
})

const routes = [
  { method: "GET", path: "/log", pattern: routePattern("/log") },
  { method: "GET", path: "/items/:id", pattern: routePattern("/items/:id") },
  { method: "GET", path: "/boom", pattern: routePattern("/boom") },
  { method: "POST", path: "/echo", pattern: routePattern("/echo") },
  { method: "POST", path: "/media", pattern: routePattern("/media") }
]

const Routes = Layer.mergeAll(
  HttpRouter.add("GET", "/log", Effect.as(Effect.logWarning("serving"), HttpServerResponse.text("ok"))),
  HttpRouter.add("GET", "/boom", Effect.die(new Error("kaput"))),
  HttpRouter.add("GET", "/items/:id", Effect.succeed(HttpServerResponse.text("item"))),
  HttpRouter.add(
    "POST",
    "/echo",
    HttpServerRequest.HttpServerRequest.use((request) => Effect.map(request.text, (text) => HttpServerResponse.text(text)))
  ),
  HttpRouter.add("POST", "/media", Effect.succeed(HttpServerResponse.text("Unsupported content-type: text/plain", { status: 415 })))
)

const errors = uniformErrors({ maxRequestBytes: 64, routes })
const guard = withJsonGuard(4)
const observe = withObservability(routes, Effect.succeed(HttpServerResponse.text("metrics")))
const Middleware = HttpRouter.middleware(
  <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>): Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    E,
    R | HttpServerRequest.HttpServerRequest
  > => observe(withCorrelationId(errors(guard(app)))),
  { global: true }
)

const { handler, dispose } = HttpRouter.toWebHandler(
  Layer.mergeAll(Routes, Middleware).pipe(Layer.provideMerge(Logger.layer([capture]))),
  { disableLogger: true }
)
afterAll(() => dispose())

const call = async (path: string, init?: RequestInit) => {
  const response = await handler(new Request(`http://localhost${path}`, init))
  const text = await response.text()
  const json = (response.headers.get("content-type") ?? "").includes("json")
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text }
}

describe("request middleware on Effect 4's router", () => {
  it("answers an unknown route 404 and a known path with another method 405, in the error shape", async () => {
    const unknown = await call("/nope")
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("route_not_found")
    const wrongMethod = await call("/log", { method: "DELETE" })
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get("allow")).toBe("GET")
    expect(wrongMethod.body.error.code).toBe("method_not_allowed")
  })

  it("answers a body over the limit 413, whether or not its length was declared", async () => {
    const declared = await call("/echo", { method: "POST", body: "x".repeat(65), headers: { "content-length": "65" } })
    expect(declared.status).toBe(413)
    expect(declared.body.error.code).toBe("request_too_large")
    const read = await call("/echo", { method: "POST", body: `"${"x".repeat(100)}"`, headers: { "content-type": "application/json" } })
    expect(read.status).toBe(413)
    expect(read.body.error).toEqual({ code: "request_too_large", message: "the request body exceeds 64 bytes", details: { limit: 64 } })
  })

  it("answers the framework's 415 in the error shape (issue 12: it was a 400), and a defect as a bare 500", async () => {
    const media = await call("/media", { method: "POST", body: "a=b", headers: { "content-type": "text/plain" } })
    expect(media.status).toBe(415)
    expect(media.body.error.code).toBe("unsupported_media_type")
    expect(media.body.error.message).toContain("application/json")
    expect(JSON.stringify(media.body)).not.toContain("a=b")
    const boom = await call("/boom")
    expect(boom.status).toBe(500)
    expect(boom.body).toEqual({ error: { code: "internal_error", message: "something went wrong on our side" } })
    expect(JSON.stringify(boom.body)).not.toContain("kaput")
  })

  it("refuses deep JSON before anything parses it, and passes the body it read on to the route", async () => {
    const deep = await call("/echo", { method: "POST", body: "[[[[[1]]]]]", headers: { "content-type": "application/json" } })
    expect(deep.status).toBe(400)
    expect(deep.body.error.code).toBe("json_too_deep")
    const fine = await call("/echo", { method: "POST", body: "[[1]]", headers: { "content-type": "application/json" } })
    expect(fine.status).toBe(200)
    expect(fine.body).toBe("[[1]]")
  })

  it("echoes the correlation id and annotates the request's log lines with it", async () => {
    logged.length = 0
    const given = await call("/log", { headers: { "x-correlation-id": "corr-42" } })
    expect(given.headers.get("x-correlation-id")).toBe("corr-42")
    expect(logged.find((line) => String(line.message).includes("serving"))?.annotations).toMatchObject({ correlationId: "corr-42" })
    const minted = await call("/log", { headers: { "x-correlation-id": "not acceptable!" } })
    const id = minted.headers.get("x-correlation-id")
    expect(id).toMatch(/^req_/)
    expect(logged.filter((line) => String(line.message).includes("serving"))[1]?.annotations).toMatchObject({ correlationId: id })
  })

  it("writes one log line per request: method, route template, status, duration and correlation id", async () => {
    logged.length = 0
    await call("/items/it_123?x=1", { headers: { "x-correlation-id": "corr-7" } })
    await call("/nope")
    const lines = logged.filter((line) => String(line.message).includes("HTTP request"))
    expect(lines).toHaveLength(2)
    expect(lines[0]!.annotations).toMatchObject({ method: "GET", route: "/items/:id", status: 200, correlationId: "corr-7" })
    expect(typeof lines[0]!.annotations.durationMs).toBe("number")
    expect(lines[1]!.annotations).toMatchObject({ method: "GET", route: "unmatched", status: 404 })
    expect(String(lines[1]!.annotations.correlationId)).toMatch(/^req_/)
    // The router's own "Sent HTTP response" line is not written beside it.
    expect(logged.some((line) => String(line.message).includes("Sent HTTP response"))).toBe(false)
  })
})
