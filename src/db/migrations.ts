import { Effect, Layer } from "effect"
import * as Migrator from "effect/sql/Migrator"
import { SqlClient } from "effect/sql/SqlClient"
import { promises as fs } from "node:fs"
import { fileURLToPath } from "node:url"

export const migrationsDirectory = fileURLToPath(new URL("../../migrations/", import.meta.url))

const fileName = /^(\d+)_([\w-]+)\.sql$/

/**
 * A script's statements, in order. @effect/sql-pg 4 speaks only the extended protocol, whose Parse
 * takes one statement ("cannot insert multiple commands into a prepared statement"), so a script is
 * cut at the semicolons outside strings, quoted identifiers, dollar-quoted bodies and comments.
 * Pieces holding nothing but comments and blanks are dropped.
 */
export const splitStatements = (script: string): Array<string> => {
  const statements: Array<string> = []
  let start = 0
  let code = false
  let i = 0
  const cut = (end: number) => {
    if (code) statements.push(script.slice(start, end).trim())
    start = end + 1
    code = false
  }
  while (i < script.length) {
    const c = script[i]!
    const next = script[i + 1]
    const before = script[i - 1] ?? " "
    if (c === "-" && next === "-") {
      const end = script.indexOf("\n", i)
      i = end === -1 ? script.length : end + 1
    } else if (c === "/" && next === "*") {
      let depth = 1
      i += 2
      while (i < script.length && depth > 0) {
        const pair = script.slice(i, i + 2)
        if (pair === "/*" || pair === "*/") {
          depth += pair === "/*" ? 1 : -1
          i += 2
        } else {
          i++
        }
      }
    } else if (c === "'" || c === '"') {
      // E'...' strings escape with a backslash; the others only by doubling the quote.
      const backslash = c === "'" && (before === "E" || before === "e")
      code = true
      i++
      while (i < script.length && !(script[i] === c && script[i + 1] !== c)) {
        i += (backslash && script[i] === "\\") || script[i] === c ? 2 : 1
      }
      i++
    } else if (c === "$" && !identifierChar.test(before) && dollarTag.test(script.slice(i))) {
      const tag = dollarTag.exec(script.slice(i))![0]
      const end = script.indexOf(tag, i + tag.length)
      code = true
      i = end === -1 ? script.length : end + tag.length
    } else {
      if (c === ";") cut(i)
      else if (!/\s/.test(c)) code = true
      i++
    }
  }
  cut(script.length)
  return statements
}

const dollarTag = /^\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$/
const identifierChar = /[A-Za-z_0-9$]/

/** Plain numbered `.sql` files, each run statement by statement, in the migrator's transaction. */
export const sqlFileLoader = (directory: string): Migrator.Loader =>
  Effect.gen(function* () {
    const files = yield* Effect.tryPromise({
      try: () => fs.readdir(directory),
      catch: (error) =>
        new Migrator.MigrationError({ kind: "ImportError", message: `cannot read ${directory}: ${String(error)}` })
    })
    return files
      .flatMap((file): Array<Migrator.ResolvedMigration> => {
        const match = fileName.exec(file)
        if (match === null) return []
        const load = Effect.promise(() => fs.readFile(`${directory}/${file}`, "utf8")).pipe(
          Effect.map((text) =>
            Effect.flatMap(SqlClient, (sql) =>
              Effect.forEach(splitStatements(text), (statement) => sql.unsafe(statement), { discard: true })
            )
          )
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
        // Created here, under the lock, with the layout the migrator itself would create: its own
        // create-when-missing runs a CREATE that, lost to a race, would abort this transaction.
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
