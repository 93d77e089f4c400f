import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { Settings } from "../../../src/config.js"
import { DatabaseLive } from "../../../src/db/database.js"
import { createTestDatabase } from "../../support/database.js"

describe("database pool", () => {
  // @effect/sql-pg 4 takes the URL (and a password) as Redacted only: a plain string passed through
  // fails at connect time with "Unable to get redacted value". DATABASE_URL must reach it as read.
  it.live("connects to DATABASE_URL, a URL with a password in it", () =>
    Effect.gen(function* () {
      const url = yield* Effect.promise(createTestDatabase)
      expect(new URL(url).password).not.toBe("")
      const layer = DatabaseLive.pipe(
        Layer.provide(Settings.layerWith({ databaseUrl: Option.some(Redacted.make(url)), dbPoolSize: 2 }))
      )
      const rows = yield* Effect.flatMap(SqlClient, (sql) =>
        sql<{ db: string; app: string }>`SELECT current_database() AS db, current_setting('application_name') AS app`
      ).pipe(Effect.provide(layer))
      expect(rows).toEqual([{ db: new URL(url).pathname.slice(1), app: "hookline" }])
    }))
})
