import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
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

export class HealthGroup extends HttpApiGroup.make("health", { topLevel: true })
  .add(HttpApiEndpoint.get("healthz", "/healthz", { success: Schema.Struct({ status: Schema.Literal("ok") }) }))
  .add(HttpApiEndpoint.get("readyz", "/readyz", { success: Readiness, error: NotReady })) {}
