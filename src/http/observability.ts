import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { SqlClient } from "effect/sql/SqlClient"
import { type Context, Effect, Metric, Option } from "effect"
import { DeliveryRuntime } from "../delivery/runtime.js"
import { type GaugeSample, httpRequests, processSamples, registrySnapshot, renderPrometheus, startRuntimeMonitor } from "../metrics.js"
import { ProjectionRunner } from "../projections/runner.js"
import { correlationIdHeader } from "./correlation.js"
import { metricsContentType } from "./groups/health.js"

export interface LabelledRoute {
  readonly method: string
  readonly path: string
  readonly pattern: RegExp
}

/** Endpoints with the most deliveries held in memory, shown per endpoint (the rest would be noise). */
const topEndpoints = 20

/** The gauges that describe the present: backlogs, circuits, projection lag. */
const currentGauges = Effect.gen(function* () {
  const runtime = yield* DeliveryRuntime
  const runner = yield* ProjectionRunner
  const sql = yield* SqlClient
  const gauges: Array<GaugeSample> = []
  const backlogs = [...(yield* runtime.backlogs)].sort((a, b) => b.backlog - a.backlog)
  gauges.push({
    name: "hookline_endpoint_actors",
    help: "Endpoint actors running (webhooks with work in memory)",
    labels: {},
    value: backlogs.length
  })
  gauges.push({
    name: "hookline_endpoint_workers",
    help: "Worker fibers of the running endpoint actors (as many as backlogs need, up to each limit; one per idle actor)",
    labels: {},
    value: backlogs.reduce((sum, b) => sum + b.workers, 0)
  })
  for (const { webhookId, backlog } of backlogs.slice(0, topEndpoints)) {
    gauges.push({
      name: "hookline_endpoint_backlog",
      help: "Deliveries held in memory per endpoint (top endpoints by backlog)",
      labels: { webhook_id: webhookId },
      value: backlog
    })
  }
  const due = yield* sql<{ n: string }>`SELECT count(*)::text AS n FROM deliveries_due`
  gauges.push({
    name: "hookline_deliveries_waiting",
    help: "Deliveries pending or waiting for a retry",
    labels: {},
    value: Number(due[0]?.n ?? 0)
  })
  const circuits = yield* sql<{ webhook_id: string; circuit_state: string }>`
    SELECT webhook_id, circuit_state FROM endpoint_health WHERE circuit_state <> 'closed' LIMIT 100`
  for (const circuit of circuits) {
    gauges.push({
      name: "hookline_endpoint_circuit_open",
      help: "Endpoints whose circuit is not closed (1 open, 0.5 half-open)",
      labels: { webhook_id: circuit.webhook_id },
      value: circuit.circuit_state === "open" ? 1 : 0.5
    })
  }
  for (const status of yield* runner.status) {
    const active = Option.getOrUndefined(status.active)
    if (active === undefined) continue
    gauges.push({
      name: "hookline_projection_lag_events",
      help: "Events in the log not yet applied by the projection (capped at 100000)",
      labels: { projection: status.name },
      value: active.lag
    })
  }
  return gauges
})

export const metricsText = Effect.gen(function* () {
  const gauges = yield* currentGauges.pipe(
    Effect.catchCause((cause) => Effect.as(Effect.logWarning("metrics gauges unavailable", cause), []))
  )
  return renderPrometheus(yield* registrySnapshot, [...processSamples(), ...gauges])
})

/** `GET /metrics`'s answer: the Prometheus text of the registry and the current gauges. */
export const metricsResponse = (services: Context.Context<DeliveryRuntime | ProjectionRunner | SqlClient>) =>
  Effect.map(Effect.provideContext(metricsText, services), (text) =>
    HttpServerResponse.text(text, { contentType: metricsContentType })
  )

/**
 * Serves `GET /metrics` (with `metrics`, the answer), counts every API request by route and status, and
 * writes one log line per request: method, route, status, duration and correlation id (the router's own
 * "Sent HTTP response" line had no correlation id: it ran outside the middleware that sets it). The
 * route is the endpoint's path template, never the raw URL, so ids do not explode the series.
 */
export const withObservability = (
  routes: ReadonlyArray<LabelledRoute>,
  metrics: Effect.Effect<HttpServerResponse.HttpServerResponse>
) => {
  // Event-loop delay and GC are measured from the server's start, not from the first scrape.
  startRuntimeMonitor()
  // One counter per (route, method, status) with its attributes fixed at construction, made once:
  // `Metric.withAttributes` would merge them into the context on every update. Bounded by
  // routes × methods × statuses.
  const counters = new Map<string, Metric.Counter<number>>()
  const counterFor = (route: string, method: string, status: number) => {
    const key = `${method} ${route} ${status}`
    let counter = counters.get(key)
    if (counter === undefined) {
      counter = Metric.counter(httpRequests.id, {
        description: httpRequests.description,
        incremental: true,
        attributes: { route, method, status: String(status) }
      })
      counters.set(key, counter)
    }
    return counter
  }
  return <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
    HttpServerRequest.HttpServerRequest.use((request) => {
      const started = performance.now()
      const path = request.url.split("?")[0] ?? ""
      if (path === "/metrics" && request.method === "GET") return metrics
      return Effect.tap(app, (response) => {
        const route = routes.find((r) => r.method === request.method && r.pattern.test(path))?.path ?? "unmatched"
        const line = Effect.logInfo("HTTP request").pipe(
          Effect.annotateLogs({
            method: request.method,
            route,
            status: response.status,
            durationMs: Math.round((performance.now() - started) * 10) / 10,
            correlationId: response.headers[correlationIdHeader] ?? null
          })
        )
        return Effect.andThen(Metric.update(counterFor(route, request.method, response.status), 1), line)
      })
    })
}
