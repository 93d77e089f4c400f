import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as HttpServerError from "effect/http/HttpServerError"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HttpApiError from "effect/http-api/HttpApiError"
import { ByteSize, Cause, Effect } from "effect"
import { errorResponse, isApiError, statusOf } from "./errors.js"
import { isStorableText } from "./json-guard.js"
import { toBadRequest } from "./request-errors.js"

/**
 * Turns every failure into the API's one error shape with the right status: our own errors, and the
 * framework's (unknown routes, wrong methods, unsupported media types, malformed or oversized bodies)
 * which would otherwise answer with other shapes or empty bodies. Defects become a bare 500: logged in
 * full here, never a stack trace in the response.
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

/**
 * HttpApiBuilder answers a body whose content type no endpoint declares (form data, multipart, text)
 * with a plain-text 415 before reading it; it gets the error shape here. The message never holds the
 * body, which could hold a secret: it names the content type to send instead.
 */
const unsupportedMediaType = 415

const notJson = (request: HttpServerRequest.HttpServerRequest) => {
  const given = (request.headers["content-type"] ?? "").split(";")[0]?.trim().slice(0, 100) ?? ""
  return errorResponse(unsupportedMediaType, {
    code: "unsupported_media_type",
    message: `the request body must be JSON: send it with content-type: application/json${given === "" ? "" : ` (not ${given})`}`,
    details: { expected: "application/json" }
  })
}

const decoded = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

const isStorableSegment = (segment: string): boolean => {
  const text = decoded(segment)
  return text !== undefined && isStorableText(text)
}

/**
 * A path id holding a NUL byte or invalid UTF-8 must not reach PostgreSQL, which refuses such text (its
 * error would read as a database outage, 503); yet it names no resource, exactly like a well-formed
 * unknown id. So each such segment is escaped (`%00` becomes `%2500`) and the router hands the handler
 * the text as it was sent on the wire: the request then takes the ordinary path (authentication, the
 * route's own not-found code) and the message shows `%00`, never the raw byte. Undefined when the path
 * is safe as it is.
 */
const escapedPath = (path: string): string | undefined => {
  const segments = path.split("/")
  if (segments.every(isStorableSegment)) return undefined
  // Node's parser refuses raw control bytes in a request line: the unsafe text can only come from `%`.
  return segments.map((segment) => (isStorableSegment(segment) ? segment : segment.replaceAll("%", "%25"))).join("/")
}

/**
 * A query holding a NUL byte or invalid UTF-8 is the client's mistake, answered here before any SQL
 * runs: a 400 naming the parameter.
 */
const unsafeQuery = (query: string): HttpServerResponse.HttpServerResponse | undefined => {
  const issues: Array<{ readonly path: string; readonly message: string }> = []
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=")
    const name = decoded((eq === -1 ? pair : pair.slice(0, eq)).replaceAll("+", " "))
    const value = eq === -1 ? "" : decoded(pair.slice(eq + 1).replaceAll("+", " "))
    if (name === undefined || value === undefined || !isStorableText(name) || !isStorableText(value)) {
      const field = name !== undefined && isStorableText(name) ? name.slice(0, 100) : "query"
      issues.push({ path: field, message: "must not contain a NUL byte or invalid UTF-8" })
    }
  }
  if (issues.length === 0) return undefined
  return errorResponse(400, {
    code: "validation_failed",
    message: issues.map((i) => `${i.path}: ${i.message}`).join("; "),
    details: { issues }
  })
}

export const uniformErrors = (options: { readonly maxRequestBytes: number; readonly routes: ReadonlyArray<Route> }) => {
  const maxBodySize = ByteSize.bytes(options.maxRequestBytes)
  // Built when needed: a JSON response on every request cost more than the check.
  const tooLarge = () =>
    errorResponse(413, {
      code: "request_too_large",
      message: `the request body exceeds ${options.maxRequestBytes} bytes`,
      details: { limit: options.maxRequestBytes }
    })

  const fromCause = <E>(request: HttpServerRequest.HttpServerRequest, cause: Cause.Cause<E>) => {
    if (Cause.hasInterruptsOnly(cause)) return Effect.interrupt
    const error = Cause.squash(cause)
    if (isApiError(error)) return Effect.succeed(errorResponse(statusOf[error._tag], error))
    // Request decoding failures that no endpoint middleware mapped (RequestErrors maps those of the API).
    if (HttpApiError.HttpApiSchemaError.is(error) && error.kind !== "Body" && error.kind !== "ResponseHeaders") {
      return Effect.succeed(errorResponse(400, toBadRequest(error)))
    }
    if (HttpServerError.isHttpServerError(error) && error.reason._tag === "RouteNotFound") {
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
    if (HttpServerError.isHttpServerError(error) && error.reason._tag === "RequestParseError") {
      return Effect.succeed(
        error.reason.reason === "BodyTooLarge"
          ? tooLarge()
          : errorResponse(400, { code: "malformed_body", message: "the request body is not valid JSON" })
      )
    }
    return Effect.as(
      Effect.logError("unexpected failure while serving a request", cause),
      errorResponse(500, { code: "internal_error", message: "something went wrong on our side" })
    )
  }

  return <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R | HttpServerRequest.HttpServerRequest> =>
    HttpServerRequest.HttpServerRequest.use((request) => {
      const declared = Number(request.headers["content-length"] ?? "0")
      if (declared > options.maxRequestBytes) return Effect.succeed(tooLarge())
      const at = request.url.indexOf("?")
      const refused = at === -1 ? undefined : unsafeQuery(request.url.slice(at + 1))
      if (refused !== undefined) return Effect.succeed(refused)
      const path = escapedPath(at === -1 ? request.url : request.url.slice(0, at))
      const served =
        path === undefined
          ? app
          : Effect.provideService(
              app,
              HttpServerRequest.HttpServerRequest,
              request.modify({ url: at === -1 ? path : path + request.url.slice(at) })
            )
      return served.pipe(
        Effect.provideService(HttpIncomingMessage.MaxBodySize, maxBodySize),
        Effect.map((response) => (response.status === unsupportedMediaType ? notJson(request) : response)),
        Effect.catchCause((cause) => fromCause(request, cause))
      )
    })
}
