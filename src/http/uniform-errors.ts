import * as HttpApiError from "@effect/platform/HttpApiError"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as HttpApp from "@effect/platform/HttpApp"
import { Cause, Effect, Option } from "effect"
import { formatPath, usefulIssues } from "../domain/index.js"
import { errorResponse, isApiError, statusOf } from "./errors.js"
import { NotReady } from "./groups/health.js"

/**
 * Turns every failure into the API's one error shape with the right status: our own errors, and the
 * framework's (decode errors, unknown routes, wrong methods, malformed or oversized bodies) which would
 * otherwise answer with other shapes or empty bodies. Defects become a bare 500: logged in full here,
 * never a stack trace in the response.
 */

export interface Route {
  readonly method: string
  readonly pattern: RegExp
}

/** `/v1/webhooks/:id` as a regular expression matching concrete paths. */
export const routePattern = (path: string): RegExp =>
  new RegExp(
    `^${path
      .split("/")
      .map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/")}/?$`
  )

const decodeIssues = (error: HttpApiError.HttpApiDecodeError) =>
  usefulIssues(error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })))

const isTooLarge = (error: HttpServerError.RequestError): boolean =>
  error.cause instanceof Error && error.cause.message.includes("maxBytes exceeded")

export const uniformErrors =
  (options: { readonly maxRequestBytes: number; readonly routes: ReadonlyArray<Route> }) =>
  <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<never, R | HttpServerRequest.HttpServerRequest> =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      // Built when needed: a JSON response on every request cost more than the check.
      const tooLarge = () =>
        errorResponse(413, {
          code: "request_too_large",
          message: `the request body exceeds ${options.maxRequestBytes} bytes`,
          details: { limit: options.maxRequestBytes }
        })
      const declared = Number(request.headers["content-length"] ?? "0")
      if (declared > options.maxRequestBytes) return tooLarge()

      const fromCause = (cause: Cause.Cause<E>) => {
        if (Cause.isInterruptedOnly(cause)) return Effect.interrupt
        const error = Cause.squash(cause)
        if (isApiError(error)) return Effect.succeed(errorResponse(statusOf[error._tag], error))
        // /readyz's 503: this middleware runs before HttpApi encodes declared errors, so without this
        // case a database outage made readiness answer 500 (found by the chaos run, issue 6).
        if (error instanceof NotReady) {
          return Effect.succeed(HttpServerResponse.unsafeJson({ _tag: "NotReady", readiness: error.readiness }, { status: 503 }))
        }
        if (error instanceof HttpApiError.HttpApiDecodeError) {
          const issues = decodeIssues(error)
          return Effect.succeed(
            errorResponse(400, {
              code: "validation_failed",
              message: issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("; "),
              details: { issues }
            })
          )
        }
        if (HttpServerError.isServerError(error) && error._tag === "RouteNotFound") {
          const path = request.url.split("?")[0] ?? ""
          const allowed = options.routes.filter((route) => route.pattern.test(path)).map((route) => route.method)
          return Effect.succeed(
            allowed.length > 0
              ? HttpServerResponse.setHeader(
                  errorResponse(405, {
                    code: "method_not_allowed",
                    message: `${request.method} is not allowed here; allowed: ${allowed.join(", ")}`,
                    details: { allowed }
                  }),
                  "allow",
                  allowed.join(", ")
                )
              : errorResponse(404, { code: "route_not_found", message: `no route ${request.method} ${path}` })
          )
        }
        if (HttpServerError.isServerError(error) && error._tag === "RequestError") {
          return Effect.succeed(
            isTooLarge(error)
              ? tooLarge()
              : errorResponse(400, { code: "malformed_body", message: "the request body is not valid JSON" })
          )
        }
        return Effect.as(
          Effect.logError("unexpected failure while serving a request", cause),
          errorResponse(500, { code: "internal_error", message: "something went wrong on our side" })
        )
      }

      return yield* app.pipe(
        HttpIncomingMessage.withMaxBodySize(Option.some(options.maxRequestBytes)),
        Effect.catchAllCause(fromCause)
      )
    })
