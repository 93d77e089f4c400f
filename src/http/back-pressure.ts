import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { Effect } from "effect"
import { errorResponse } from "./errors.js"

/** What a refused client is told to wait: the log drains a full publish queue in about that time. */
export const retryAfterSeconds = 1

const publishPaths = /^\/v1\/events(\/batch)?\/?$/

const withRetryAfter = (response: HttpServerResponse.HttpServerResponse) =>
  (response.status === 503 || response.status === 429) && response.headers["retry-after"] === undefined
    ? HttpServerResponse.setHeader(response, "retry-after", String(retryAfterSeconds))
    : response

/**
 * Overload answers that say when to come back. A publish arriving while the publish queue is full is
 * refused here, before its body is read or parsed (the group commit refuses as well, for publishes that
 * raced past this check); and every 503 or 429 leaving the server carries Retry-After, whichever layer
 * produced it (the database being away included).
 */
export const withBackPressure =
  (saturated: () => boolean) =>
  <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
    HttpServerRequest.HttpServerRequest.use((request) => {
      if (request.method === "POST" && saturated() && publishPaths.test(request.url.split("?")[0] ?? "")) {
        return Effect.succeed(
          HttpServerResponse.setHeader(
            errorResponse(503, {
              code: "overloaded",
              message: `publishing is over capacity; retry in ${retryAfterSeconds} s`,
              details: { retryAfterSeconds }
            }),
            "retry-after",
            String(retryAfterSeconds)
          )
        )
      }
      return Effect.map(app, withRetryAfter)
    })
