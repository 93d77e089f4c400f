import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { SqlClient } from "effect/sql/SqlClient"
import { Effect } from "effect"
import { DeliveryRuntime } from "../../delivery/runtime.js"
import { ProjectionRunner } from "../../projections/runner.js"
import { HooklineApi } from "../api.js"
import { NotReady } from "../groups/health.js"
import { metricsText } from "../observability.js"

/** Ready when the database answers, migrations ran (they do before the server starts) and projections caught up. */
export const readiness = Effect.gen(function* () {
  const sql = yield* SqlClient
  const runner = yield* ProjectionRunner
  const database = yield* sql`SELECT 1`.pipe(
    Effect.timeout("2 seconds"),
    Effect.as(true),
    Effect.orElseSucceed(() => false)
  )
  const projections = yield* runner.caughtUp
  const checks = { database, migrations: true, projections }
  return { status: database && projections ? "ready" : "not_ready", checks } as const
})

export const HealthLive = HttpApiBuilder.group(HooklineApi, "health", (handlers) =>
  Effect.gen(function* () {
    const services = yield* Effect.context<SqlClient | ProjectionRunner | DeliveryRuntime>()
    const ready = Effect.provideContext(readiness, services)
    // The observability middleware answers /metrics first; this gives the same text if a request gets here.
    const metrics = Effect.provideContext(metricsText, services)
    return handlers
      .handle("healthz", () => Effect.succeed({ status: "ok" as const }))
      .handle("readyz", () =>
        Effect.flatMap(ready, (readiness) =>
          readiness.status === "ready" ? Effect.succeed(readiness) : Effect.fail(new NotReady({ readiness }))
        )
      )
      .handle("metrics", () => metrics)
  })
)
