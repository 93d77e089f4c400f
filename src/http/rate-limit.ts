import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { createHash } from "node:crypto"
import { Context, Effect, Layer } from "effect"
import { Settings } from "../config.js"
import { errorResponse } from "./errors.js"
import { sessionCookieName } from "../portal/sessions.js"

export interface RateLimitOptions {
  /** Requests per second per key; 0 turns the limit off. */
  readonly ratePerSecond: number
  /** The bucket's size: requests a key may send at once. */
  readonly burst: number
  /** Buckets kept at most; the least recently used is dropped beyond it. */
  readonly maxKeys: number
}

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number }

export interface ApiRateLimiterShape {
  readonly options: RateLimitOptions
  /** Takes one token from the key's bucket at time `now` (ms). */
  readonly take: (key: string, now: number) => RateDecision
  readonly size: () => number
}

export class ApiRateLimiter extends Context.Service<ApiRateLimiter, ApiRateLimiterShape>()("hookline/ApiRateLimiter") {
  static readonly layer = Layer.effect(
    ApiRateLimiter,
    Effect.gen(function* () {
      const settings = yield* Settings
      return makeApiRateLimiter({
        ratePerSecond: settings.apiRateLimit,
        burst: settings.apiRateBurst > 0 ? settings.apiRateBurst : Math.max(1, Math.ceil(settings.apiRateLimit)),
        maxKeys: defaultMaxKeys
      })
    })
  )
}

/** Enough for every key of a large deployment; a bucket is about 100 bytes. */
export const defaultMaxKeys = 10_000

/**
 * A token bucket per key. Memory is bounded by `maxKeys`: the Map keeps insertion order, and a key is
 * re-inserted on every use, so the first entry is always the least recently used one. A dropped key
 * starts again with a full bucket, which only ever errs towards letting a request through.
 */
export const makeApiRateLimiter = (options: RateLimitOptions): ApiRateLimiterShape => {
  const buckets = new Map<string, { tokens: number; at: number }>()
  const take = (key: string, now: number): RateDecision => {
    if (options.ratePerSecond <= 0) return { allowed: true }
    const bucket = buckets.get(key)
    let tokens = options.burst
    if (bucket !== undefined) {
      tokens = Math.min(options.burst, bucket.tokens + ((now - bucket.at) / 1000) * options.ratePerSecond)
      buckets.delete(key)
    } else if (buckets.size >= options.maxKeys) {
      const oldest = buckets.keys().next()
      if (oldest.done !== true) buckets.delete(oldest.value)
    }
    const allowed = tokens >= 1
    buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, at: now })
    return allowed ? { allowed } : { allowed, retryAfterMs: ((1 - tokens) / options.ratePerSecond) * 1000 }
  }
  return { options, take, size: () => buckets.size }
}

const bearer = /^Bearer\s+(\S+)$/i

/**
 * Answers 429 with Retry-After once a key has spent its bucket. It runs before authentication and before
 * the body is read, so a key over its limit costs neither a database lookup nor a parse. Buckets are
 * keyed by a hash of the presented token: the raw key is never held beyond the request.
 */
export const withRateLimit =
  (limiter: ApiRateLimiterShape) =>
  <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
    limiter.options.ratePerSecond <= 0
      ? app
      : HttpServerRequest.HttpServerRequest.use((request) => {
          // The portal's cookie stands for an account as a key does: its session gets a bucket of its own.
          const token = bearer.exec(request.headers.authorization ?? "")?.[1] ?? request.cookies[sessionCookieName]
          if (token === undefined || token === "") return app
          const key = createHash("sha256").update(token).digest("base64url")
          const decision = limiter.take(key, Date.now())
          if (decision.allowed) return app
          const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000))
          return Effect.succeed(
            HttpServerResponse.setHeader(
              errorResponse(429, {
                code: "rate_limited",
                message: `this API key or portal session sent more than ${limiter.options.ratePerSecond} requests per second; retry in ${seconds} s`,
                details: { limit: limiter.options.ratePerSecond, burst: limiter.options.burst, retryAfterSeconds: seconds }
              }),
              "retry-after",
              String(seconds)
            )
          )
        })
