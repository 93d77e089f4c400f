import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Option, Redacted } from "effect"
import { Settings } from "../config.js"
import { ensureDatabase, releaseExitHooks, startEmbeddedPostgres } from "./embedded-postgres.js"

export const embeddedDatabaseName = "hookline"

/**
 * The PostgreSQL connection pool: `DATABASE_URL` when set, otherwise an embedded PostgreSQL that lives
 * as long as this layer.
 */
export const DatabaseLive = Layer.unwrap(
  Effect.gen(function* () {
    const settings = yield* Settings
    yield* releaseExitHooks
    const common = {
      maxConnections: settings.dbPoolSize,
      applicationName: "hookline",
      connectTimeout: "10 seconds"
    } as const
    if (Option.isSome(settings.databaseUrl)) {
      return PgClient.layer({ ...common, url: settings.databaseUrl.value })
    }
    const info = yield* startEmbeddedPostgres(settings.dataDir)
    yield* ensureDatabase(info, embeddedDatabaseName)
    yield* Effect.logInfo(`embedded PostgreSQL on 127.0.0.1:${info.port}, data in ${info.pgDataDir}`)
    return PgClient.layer({
      ...common,
      host: info.host,
      port: info.port,
      username: info.user,
      password: Redacted.make(info.password),
      database: embeddedDatabaseName
    })
  })
)
