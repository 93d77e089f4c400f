import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as HttpApiSchema from "effect/http-api/HttpApiSchema"
import * as OpenApi from "effect/http-api/OpenApi"
import { Schema } from "effect"

export const Readiness = Schema.Struct({
  status: Schema.Literals(["ready", "not_ready"]),
  checks: Schema.Struct({
    database: Schema.Boolean,
    migrations: Schema.Boolean,
    projections: Schema.Boolean
  })
})

export class NotReady extends Schema.TaggedError<NotReady>()(
  "NotReady",
  { readiness: Readiness },
  { httpApiStatus: 503 }
) {}

export const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

export class HealthGroup extends HttpApiGroup.make("health", { topLevel: true })
  .add(
    HttpApiEndpoint.get("healthz", "/healthz", { success: Schema.Struct({ status: Schema.Literal("ok") }) })
      .annotate(OpenApi.Summary, "Liveness")
      .annotate(OpenApi.Description, "Answers 200 while the process serves requests; it checks nothing else.")
  )
  .add(
    HttpApiEndpoint.get("readyz", "/readyz", { success: Readiness, error: NotReady })
      .annotate(OpenApi.Summary, "Readiness")
      .annotate(
        OpenApi.Description,
        "Answers 200 when the database answers, migrations ran and the read models have caught up; 503 with the failed checks otherwise."
      )
  )
  // The observability middleware answers `/metrics` before the router (so a scrape is not counted as an
  // API request); the endpoint is declared here so the document lists it from the same schemas as the
  // rest, and its handler gives the same answer should a request ever reach it.
  .add(
    HttpApiEndpoint.get("metrics", "/metrics", {
      success: Schema.String.pipe(HttpApiSchema.asText({ contentType: metricsContentType }))
    })
      .annotate(OpenApi.Summary, "Prometheus metrics")
      .annotate(
        OpenApi.Description,
        "Request, delivery, projection and process metrics in the Prometheus text format (0.0.4); no authentication."
      )
  ) {}
