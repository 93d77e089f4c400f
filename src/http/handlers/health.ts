import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { SqlClient } from "effect/sql/SqlClient"
import { Effect } from "effect"
import { ProjectionRunner } from "../../projections/runner.js"
import { HooklineApi } from "../api.js"
import { NotReady } from "../groups/health.js"

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
    const services = yield* Effect.context<SqlClient | ProjectionRunner>()
    const ready = Effect.provideContext(readiness, services)
    return handlers
      .handle("healthz", () => Effect.succeed({ status: "ok" as const }))
      .handle("readyz", () =>
        Effect.flatMap(ready, (readiness) =>
          readiness.status === "ready" ? Effect.succeed(readiness) : Effect.fail(new NotReady({ readiness }))
        )
      )
  })
)
