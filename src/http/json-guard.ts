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

/**
 * Where a parsed JSON value holds a string (or key) PostgreSQL cannot store: a NUL character, or half
 * of a surrogate pair (`"\ud800"` parses, and jsonb refuses it). Paths as the validation issues write them.
 */
const unstorable = (value: unknown, path: string, found: Array<string>): void => {
  if (found.length >= maxUnstorableIssues) return
  if (typeof value === "string") {
    if (!isStorableText(value)) found.push(path)
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => unstorable(item, `${path}[${index}]`, found))
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const at = path === "" ? key : `${path}.${key}`
      if (!isStorableText(key)) found.push(path === "" ? "" : path)
      else unstorable(item, at, found)
    }
  }
}

const maxUnstorableIssues = 10

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Text PostgreSQL stores as it is: no NUL, well-formed UTF-16 (so valid UTF-8 on the wire). */
export const isStorableText = (text: string): boolean => !text.includes("\u0000") && !loneSurrogate.test(text)

// Only a body holding one of these escapes can parse to unstorable text: the others skip the walk.
const suspectEscape = /\\u(0000|d[89a-f])/i

/** The fields of a JSON text whose strings PostgreSQL cannot store; empty when there are none. */
export const unstorableFields = (text: string): ReadonlyArray<string> => {
  if (!suspectEscape.test(text)) return []
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // Malformed text is left to the real parser, which answers malformed_body.
    return []
  }
  const found: Array<string> = []
  unstorable(value, "", found)
  return found
}

const withBody = new Set(["POST", "PUT", "PATCH"])

// Fatal: a byte sequence that is not UTF-8 is refused, where the lenient decoder would replace it.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

const unstorableMessage = "must not contain a NUL character or an unpaired surrogate"

/**
 * Refuses, with a 400 in the error shape and before anything parses or walks it, a JSON body that is
 * not UTF-8, that nests deeper than `maxDepth` (V8's JSON.parse copes, but the recursive code after it
 * -- schema decoding, JSON.stringify for the size check, the log's jsonb -- would overflow the stack),
 * or that holds text PostgreSQL cannot store (it would fail the query, which reads as a database outage).
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
      return Effect.flatMap(request.arrayBuffer, (bytes) => {
        let text: string
        try {
          text = strictUtf8.decode(bytes)
        } catch {
          return Effect.succeed(
            errorResponse(400, { code: "malformed_body", message: "the request body is not valid UTF-8" })
          )
        }
        if (exceedsJsonDepth(text, maxDepth)) {
          return Effect.succeed(
            errorResponse(400, {
              code: "json_too_deep",
              message: `the request body nests arrays and objects more than ${maxDepth} levels deep`,
              details: { limit: maxDepth }
            })
          )
        }
        const fields = unstorableFields(text)
        if (fields.length > 0) {
          const issues = fields.map((path) => ({ path, message: unstorableMessage }))
          return Effect.succeed(
            errorResponse(400, {
              code: "validation_failed",
              message: issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("; "),
              details: { issues }
            })
          )
        }
        return app
      })
    })
