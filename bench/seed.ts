/**
 * Writing large logs straight into a case's database, for the cases that need more history than the
 * API could make within the time budget (`rebuild`, `memory`). Rows go into `events` with plain INSERTs
 * (the log's triggers refuse only UPDATE, DELETE and TRUNCATE); payloads are JSON templates built here
 * from the domain's own types, patched per row in SQL.
 */
import { Effect } from "effect"
import type pg from "pg"
import { allProjections } from "../src/projections/index.js"
import { generationTable } from "../src/projections/projection.js"
import { HooklineFailed } from "./hookline.js"

export const query = <R extends pg.QueryResultRow = Record<string, unknown>>(
  client: pg.Pool | pg.PoolClient,
  text: string,
  values: ReadonlyArray<unknown> = [],
  /** A name makes it a prepared statement (planned once per connection), as Hookline's typed reads are. */
  name?: string
): Effect.Effect<pg.QueryResult<R>, HooklineFailed> =>
  Effect.tryPromise({
    try: () => client.query<R>(name === undefined ? { text, values: [...values] } : { name, text, values: [...values] }),
    catch: (error) => new HooklineFailed({ message: `${text.replace(/\s+/g, " ").slice(0, 120)}: ${String(error)}` })
  })

export interface Head {
  readonly transactionId: string
  readonly globalPosition: string
}

/** The last event of the log (everything seeded has committed). */
export const headOf = (pool: pg.Pool): Effect.Effect<Head, HooklineFailed> =>
  Effect.map(
    query<{ transaction_id: string; global_position: string }>(
      pool,
      // Qualified: the text aliases would shadow the columns and sort as text ("99999" after "200200").
      `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position FROM events
        ORDER BY events.transaction_id DESC, events.global_position DESC LIMIT 1`
    ),
    (r) => ({ transactionId: r.rows[0]?.transaction_id ?? "0", globalPosition: r.rows[0]?.global_position ?? "0" })
  )

/**
 * Sets every projection (generation 1, tables and views made as the runner makes them) and the
 * dispatcher's checkpoint to `head`, as a Hookline that had processed the seeded log would have left
 * them: the next Hookline starts caught up instead of replaying history it is not asked to measure.
 */
export const markCaughtUp = (pool: pg.Pool, head: Head): Effect.Effect<void, HooklineFailed> =>
  Effect.gen(function* () {
    for (const projection of allProjections) {
      for (const ddl of projection.createTables((t) => generationTable(t, 1))) yield* query(pool, ddl)
      for (const t of projection.tables) yield* query(pool, `CREATE VIEW ${t} AS SELECT * FROM ${generationTable(t, 1)}`)
      yield* query(pool, "INSERT INTO projections (name, generation, version) VALUES ($1, 1, $2)", [projection.name, projection.version])
      yield* query(
        pool,
        `INSERT INTO projection_checkpoints (name, generation, version, transaction_id, global_position, status)
         VALUES ($1, 1, $2, $3::xid8, $4, 'active')`,
        [projection.name, projection.version, head.transactionId, head.globalPosition]
      )
    }
    yield* query(
      pool,
      `INSERT INTO reactor_checkpoints (name, transaction_id, global_position) VALUES ('dispatcher', $1::xid8, $2)`,
      [head.transactionId, head.globalPosition]
    )
  })

/** Runs `statement(from, to)` over [0, total) in chunks of `chunk`, `lanes` at once (each its own transaction). */
export const inChunks = (
  total: number,
  chunk: number,
  lanes: number,
  statement: (from: number, to: number) => Effect.Effect<unknown, HooklineFailed>
): Effect.Effect<void, HooklineFailed> =>
  Effect.forEach(
    Array.from({ length: Math.ceil(total / chunk) }, (_, k) => k * chunk),
    (from) => statement(from, Math.min(total, from + chunk) - 1),
    { concurrency: lanes, discard: true }
  )
