import * as Headers from "@effect/platform/Headers"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as HttpApp from "@effect/platform/HttpApp"
import { Effect } from "effect"
import type { Actor, Caller } from "../app/caller.js"
import { newCorrelationId } from "../app/ids.js"

/**
 * Every request has a correlation id: the client's `x-correlation-id` when it is sensible, otherwise a
 * new one. It is recorded on every event the request causes and echoed on the response, so a client can
 * find its request in a webhook's history.
 */
export const correlationIdHeader = "x-correlation-id"

const acceptable = /^[A-Za-z0-9._:-]{1,128}$/

export const withCorrelationId = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const given = request.headers[correlationIdHeader]
    const id = given !== undefined && acceptable.test(given) ? given : yield* newCorrelationId
    const response = yield* app.pipe(
      // Every log line written while serving the request carries its correlation id.
      Effect.annotateLogs("correlationId", id),
      Effect.provideService(
        HttpServerRequest.HttpServerRequest,
        given === id ? request : request.modify({ headers: Headers.set(request.headers, correlationIdHeader, id) })
      )
    )
    return HttpServerResponse.setHeader(response, correlationIdHeader, id)
  })

export const callerOf = (request: HttpServerRequest.HttpServerRequest, actor: Actor): Caller => ({
  actor,
  correlationId: request.headers[correlationIdHeader] ?? ""
})
