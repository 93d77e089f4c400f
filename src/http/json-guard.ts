import * as HttpServerRequest from "effect/http/HttpServerRequest"
import type * as HttpServerResponse from "effect/http/HttpServerResponse"
import type * as HttpServerError from "effect/http/HttpServerError"
import { Effect } from "effect"
import { errorResponse } from "./errors.js"

/**
 * The nesting depth of a JSON text, counted without parsing it: one pass over the structure, jumping
 * over strings with `indexOf` (most of an event's text is in strings, and a character-by-character loop
 * cost as much as parsing it). Stops as soon as `limit` is exceeded, so a hostile body costs at most one
 * scan of its prefix. Malformed text is left to the real parser, which reports it properly.
 */
export const exceedsJsonDepth = (text: string, limit: number): boolean => {
  let depth = 0
  const length = text.length
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      // The closing quote is the first one after an even run of backslashes (each run is counted once).
      let end = text.indexOf('"', i + 1)
      while (end !== -1) {
        let slashes = 0
        for (let k = end - 1; text.charCodeAt(k) === 0x5c; k--) slashes++
        if ((slashes & 1) === 0) break
        end = text.indexOf('"', end + 1)
      }
      if (end === -1) return false
      i = end
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}

const withBody = new Set(["POST", "PUT", "PATCH"])

/**
 * Refuses a JSON body nested deeper than `maxDepth` with a 400 in the error shape, before anything
 * parses or walks it. V8's JSON.parse copes with deep nesting, but the recursive code after it (schema
 * decoding, JSON.stringify for the size check, the log's jsonb) would overflow the stack.
 *
 * It must run inside the request-size limit (uniformErrors sets it) and after any middleware that
 * replaces the request (correlation ids): the body read here is cached on the request object, and the
 * handler reads the same cached text rather than a drained stream.
 */
export const withJsonGuard =
  (maxDepth: number) =>
  <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    E | HttpServerError.HttpServerError,
    R | HttpServerRequest.HttpServerRequest
  > =>
    HttpServerRequest.HttpServerRequest.use((request) => {
      if (!withBody.has(request.method) || !(request.headers["content-type"] ?? "").includes("json")) return app
      return Effect.flatMap(request.text, (text) =>
        exceedsJsonDepth(text, maxDepth)
          ? Effect.succeed(
            errorResponse(400, {
              code: "json_too_deep",
              message: `the request body nests arrays and objects more than ${maxDepth} levels deep`,
              details: { limit: maxDepth }
            })
          )
          : app
      )
    })
