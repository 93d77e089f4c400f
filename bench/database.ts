/**
 * The benchmark's PostgreSQL: `DATABASE_URL` when set (its user must be allowed to create databases),
 * otherwise an embedded PostgreSQL in a fresh temporary directory, removed at the end. Each case gets its
 * own fresh, migrated database, so one case's tables never slow another's.
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted, type Scope } from "effect"
import pg from "pg"
import { startEmbeddedPostgres } from "../src/db/embedded-postgres.js"
import { migrate } from "../src/db/migrations.js"

export interface BenchServer {
  readonly kind: "embedded" | "external"
  /** The server's `SELECT version()`, for the results' machine facts. */
  readonly version: string
  readonly urlFor: (database: string) => string
}

export interface BenchDatabase {
  readonly name: string
  readonly url: string
  /** A `pg` pool on this database, ended when the scope closes. */
  readonly pool: (max: number) => Effect.Effect<pg.Pool, never, Scope.Scope>
}

const withDatabase = (url: string, database: string): string => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

const adminQuery = (server: BenchServer, text: string) =>
  Effect.tryPromise({
    try: async () => {
      const client = new pg.Client({ connectionString: server.urlFor("postgres"), application_name: "hookline-bench" })
      await client.connect()
      try {
        return await client.query<Record<string, unknown>>(text)
      } finally {
        await client.end()
      }
    },
    catch: (error) => new Error(`${text}: ${String(error)}`)
  })

const embedded = Effect.gen(function* () {
  const dataDir = yield* Effect.acquireRelease(
    Effect.sync(() => {
      const dir = mkdtempSync(path.join(tmpdir(), "hookline-bench-"))
      // embedded-postgres answers SIGINT/SIGTERM itself (async-exit-hook): it stops PostgreSQL and calls
      // process.exit before Effect's finalizers run, so the directory is also removed on the way out.
      const onExit = () => rmSync(dir, { recursive: true, force: true })
      process.on("exit", onExit)
      return { dir, onExit }
    }),
    ({ dir, onExit }) =>
      Effect.sync(() => {
        process.off("exit", onExit)
        rmSync(dir, { recursive: true, force: true })
      })
  ).pipe(Effect.map(({ dir }) => dir))
  const info = yield* startEmbeddedPostgres(dataDir)
  const base = `postgres://${info.user}:${encodeURIComponent(info.password)}@${info.host}:${info.port}/postgres`
  return { kind: "embedded" as const, urlFor: (database: string) => withDatabase(base, database) }
})

export const startServer: Effect.Effect<BenchServer, unknown, Scope.Scope> = Effect.gen(function* () {
  const external = process.env.DATABASE_URL
  const base =
    external !== undefined && external !== ""
      ? { kind: "external" as const, urlFor: (database: string) => withDatabase(external, database) }
      : yield* embedded
  const result = yield* adminQuery({ ...base, version: "" }, "SELECT version() AS version")
  return { ...base, version: String(result.rows[0]?.version ?? "unknown") }
})

/** A new database named after the case, migrated like Hookline's own; dropped when the scope closes. */
export const freshDatabase = (
  server: BenchServer,
  label: string
): Effect.Effect<BenchDatabase, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const name = `bench_${label.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${randomBytes(4).toString("hex")}`
    yield* Effect.acquireRelease(adminQuery(server, `CREATE DATABASE ${name}`), () =>
      // FORCE: a pool a failed case left open must not keep the database (and its disk) alive.
      Effect.ignore(adminQuery(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    )
    // The previous case's writes (a delivery case dirties hundreds of megabytes) are flushed now, not by
    // the checkpointer in the middle of this case's measurement. Skipped where the user may not.
    yield* Effect.ignore(adminQuery(server, "CHECKPOINT"))
    const url = server.urlFor(name)
    yield* migrate().pipe(
      Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1, applicationName: "hookline-bench" }))
    )
    const pool = (max: number) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          const created = new pg.Pool({ connectionString: url, max, application_name: "hookline-bench" })
          // An idle connection the server ends (the DROP ... WITH (FORCE) at teardown races the pool's own
          // end) is reported here; without a listener it would crash the run. Query errors still reach
          // the query that failed.
          created.on("error", () => undefined)
          return created
        }),
        (p) => Effect.promise(() => p.end().catch(() => undefined))
      )
    return { name, url, pool }
  })
