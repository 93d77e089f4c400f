import { SqlClient } from "effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import pg from "pg"
import { randomBytes } from "node:crypto"
import { inject } from "vitest"
import { Settings } from "../../src/config.js"
import { MigrationsLive, splitStatements } from "../../src/db/migrations.js"
import { EventStoreLive } from "../../src/eventstore/event-store.js"
import { LogNotificationsLive } from "../../src/eventstore/notifications.js"

const withDatabase = (url: string, database: string): string => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/** Runs one statement on the admin database (CREATE/DROP DATABASE cannot run in a pool transaction). */
export const adminQuery = async (text: string) => {
  const client = new pg.Client({ connectionString: inject("adminDatabaseUrl") })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

/** A fresh, migrated database for one test file; its URL. Files run in parallel without sharing state. */
export const createTestDatabase = async (): Promise<string> => {
  const name = `hl_test_${randomBytes(6).toString("hex")}`
  await adminQuery(`CREATE DATABASE ${name}`)
  return withDatabase(inject("adminDatabaseUrl"), name)
}

/** A fresh database, migrated, with a pool on it: the base of every integration test layer. */
export const TestDatabase = (options: { readonly maxConnections?: number } = {}) =>
  Layer.unwrap(
    Effect.promise(createTestDatabase).pipe(
      Effect.map((url) =>
        MigrationsLive.pipe(
          Layer.provideMerge(PgClient.layer({ url: Redacted.make(url), maxConnections: options.maxConnections ?? 10 }))
        )
      )
    )
  )

export const TestSettings = Settings.layerWith({ pollIntervalMs: 200, allowPrivateTargets: true })

/** Event store on a fresh database. */
export const TestEventStore = (options: { readonly maxConnections?: number } = {}) =>
  EventStoreLive.pipe(
    Layer.provideMerge(LogNotificationsLive),
    Layer.provideMerge(TestSettings),
    Layer.provideMerge(TestDatabase(options))
  )

/**
 * From now on, counts the UPDATEs of `table` (a trigger adding to a counter table of its own); answers
 * the effect that reads the count.
 */
export const countUpdates = (table: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const counter = `${table}_updates`
    // One statement per query: @effect/sql-pg 4 prepares every query, and a prepared query holds one.
    const script = `CREATE TABLE ${counter} (n integer NOT NULL);
      INSERT INTO ${counter} VALUES (0);
      CREATE FUNCTION count_${table}_update() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN UPDATE ${counter} SET n = n + 1; RETURN NULL; END $$;
      CREATE TRIGGER counted AFTER UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION count_${table}_update();`
    yield* Effect.forEach(splitStatements(script), (statement) => sql.unsafe(statement), { discard: true })
    return Effect.map(sql.unsafe<{ n: number }>(`SELECT n FROM ${counter}`), (rows) => rows[0]!.n)
  })
