import * as Headers from "effect/http/Headers"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
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

export const withCorrelationId = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  HttpServerRequest.HttpServerRequest.use((request) => {
    const given = request.headers[correlationIdHeader]
    const serve = (id: string) =>
      app.pipe(
        // Every log line written while serving the request carries its correlation id.
        Effect.annotateLogs("correlationId", id),
        Effect.provideService(
          HttpServerRequest.HttpServerRequest,
          given === id ? request : request.modify({ headers: Headers.set(request.headers, correlationIdHeader, id) })
        ),
        Effect.map((response) => HttpServerResponse.setHeader(response, correlationIdHeader, id))
      )
    return given !== undefined && acceptable.test(given) ? serve(given) : Effect.flatMap(newCorrelationId, serve)
  })

export const callerOf = (request: HttpServerRequest.HttpServerRequest, actor: Actor): Caller => ({
  actor,
  correlationId: request.headers[correlationIdHeader] ?? ""
})
