import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as HttpApp from "@effect/platform/HttpApp"
import { Effect } from "effect"
import { errorResponse } from "./errors.js"

/** What a refused client is told to wait: the log drains a full publish queue in about that time. */
export const retryAfterSeconds = 1

const publishPaths = /^\/v1\/events(\/batch)?\/?$/

/**
 * Overload answers that say when to come back. A publish arriving while the publish queue is full is
 * refused here, before its body is read or parsed (the group commit refuses as well, for publishes that
 * raced past this check); and every 503 or 429 leaving the server carries Retry-After, whichever layer
 * produced it (the database being away included).
 */
export const withBackPressure =
  (saturated: () => boolean) =>
  <E, R>(app: HttpApp.Default<E, R>) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (request.method === "POST" && saturated() && publishPaths.test(request.url.split("?")[0] ?? "")) {
        return HttpServerResponse.setHeader(
          errorResponse(503, {
            code: "overloaded",
            message: `publishing is over capacity; retry in ${retryAfterSeconds} s`,
            details: { retryAfterSeconds }
          }),
          "retry-after",
          String(retryAfterSeconds)
        )
      }
      const response = yield* app
      return (response.status === 503 || response.status === 429) && response.headers["retry-after"] === undefined
        ? HttpServerResponse.setHeader(response, "retry-after", String(retryAfterSeconds))
        : response
    })
