import * as Migrator from "@effect/sql/Migrator"
import { SqlClient } from "@effect/sql/SqlClient"
import { Effect, Layer } from "effect"
import { promises as fs } from "node:fs"
import { fileURLToPath } from "node:url"

export const migrationsDirectory = fileURLToPath(new URL("../../migrations/", import.meta.url))

const fileName = /^(\d+)_([\w-]+)\.sql$/

/** Plain numbered `.sql` files, each run as one multi-statement script. */
export const sqlFileLoader = (directory: string): Migrator.Loader =>
  Effect.gen(function* () {
    const files = yield* Effect.tryPromise({
      try: () => fs.readdir(directory),
      catch: (error) =>
        new Migrator.MigrationError({ reason: "import-error", message: `cannot read ${directory}: ${String(error)}` })
    })
    return files
      .flatMap((file): Array<Migrator.ResolvedMigration> => {
        const match = fileName.exec(file)
        if (match === null) return []
        const load = Effect.promise(() => fs.readFile(`${directory}/${file}`, "utf8")).pipe(
          Effect.map((text) => Effect.flatMap(SqlClient, (sql) => sql.unsafe(text)))
        )
        return [[Number(match[1]), match[2]!, load]]
      })
      .sort(([a], [b]) => a - b)
  })

const run = Migrator.make({})

/**
 * Applies pending migrations. Two processes starting together both call this: a transaction-scoped
 * advisory lock makes the second wait, then find nothing left to do.
 */
export const migrate = (directory: string = migrationsDirectory) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    return yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* sql`SELECT pg_advisory_xact_lock(7235017001)`
        // Created here, under the lock, because the migrator's own probe for the table fails the
        // transaction when it is missing.
        yield* sql`CREATE TABLE IF NOT EXISTS hookline_migrations (
          migration_id integer PRIMARY KEY,
          created_at timestamptz NOT NULL DEFAULT now(),
          name text NOT NULL)`
        return yield* run({ loader: sqlFileLoader(directory), table: "hookline_migrations" })
      })
    )
  }).pipe(Effect.withSpan("migrate"))

export const MigrationsLive = Layer.effectDiscard(
  Effect.tap(migrate(), (applied) =>
    applied.length > 0
      ? Effect.logInfo(`applied migrations: ${applied.map(([id, name]) => `${id}_${name}`).join(", ")}`)
      : Effect.void
  )
)
