/**
 * The machine's limits, measured in the same run as every figure that is compared with them: raw undici
 * POSTs to the receiver process, raw multi-row INSERTs and raw keyset SELECTs with the `pg` driver. No
 * Effect, no Hookline code: what any Node program could get out of these two cores.
 *
 * The insert goes to a scratch table with the columns and defaults of `events` but only its primary key:
 * no unique constraints, no secondary index, no trigger. It is the bound for row writes of this size;
 * the eventstore case measures its own raw insert into a table with the events table's indexes.
 */
import { Effect } from "effect"
import type pg from "pg"
import { Agent, request } from "undici"
import { defineCase, loopPromise } from "../harness.js"
import { eventMetadata, eventPublishedData, webhookEnvelope, webhookHeaders } from "../payloads.js"

export interface Ceilings {
  /** Raw undici `request()` POSTs of a ~1 KB envelope, 64 concurrent, keep-alive. */
  readonly httpRequestsPerSecond: number
  /** Raw multi-row INSERT, 100 rows per statement, 8 writers, PK-only table. */
  readonly insertRowsPerSecond: number
  /** Raw keyset SELECT of those rows, pages of 1000, one reader. */
  readonly selectRowsPerSecond: number
}

export const httpConcurrency = 64
export const insertWriters = 8
export const rowsPerStatement = 100
export const pageSize = 1000

const scratchTable = `CREATE TABLE bench_rows (
  global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
  event_id        text NOT NULL,
  stream_id       text NOT NULL,
  stream_version  integer NOT NULL,
  event_type      text NOT NULL,
  schema_version  smallint NOT NULL DEFAULT 1,
  data            jsonb NOT NULL,
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  recorded_at     timestamptz NOT NULL DEFAULT now()
)`

const insertColumns = "event_id, stream_id, stream_version, event_type, schema_version, data, metadata"
const paramsPerRow = 7

/** `INSERT INTO table (...) VALUES ($1..$7), ($8..$14), ...` for `rows` rows. */
export const multiRowInsert = (table: string, rows: number): string => {
  const tuples: Array<string> = []
  for (let r = 0; r < rows; r++) {
    const base = r * paramsPerRow
    tuples.push(`($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}::jsonb, $${base + 7}::jsonb)`)
  }
  return `INSERT INTO ${table} (${insertColumns}) VALUES ${tuples.join(", ")}`
}

/**
 * The parameters of `rows` new events, each the first event of its own stream, numbered from `first`.
 * JSON encoding happens here, per row, because any writer of these rows pays for it.
 */
export const eventRowParams = (prefix: string, first: number, rows: number): Array<string | number> => {
  const params: Array<string | number> = []
  const metadata = JSON.stringify(eventMetadata)
  for (let i = 0; i < rows; i++) {
    const n = first + i
    const eventId = `${prefix}-${n}`
    params.push(eventId, `event-${eventId}`, 1, "EventPublished", 1, JSON.stringify(eventPublishedData(eventId, n)), metadata)
  }
  return params
}

/**
 * Reads `table` in keyset pages of `pageSize`, one page per call, starting over after the last page
 * (a measurement longer than one pass re-reads, as a second reader would). `key: "position"` pages on
 * global_position (the scratch table's primary key); `"transaction"` pages on (transaction_id,
 * global_position), the index the events table keeps (it has no index on the position alone).
 */
export const keysetReader = (
  client: pg.PoolClient,
  table: string,
  statementName: string,
  key: "position" | "transaction" = "position"
) => {
  let after: [string, string] = ["0", "0"]
  const columns = "global_position, transaction_id::text AS tx, event_id, stream_id, stream_version, event_type, schema_version, data, metadata, recorded_at"
  const text =
    key === "position"
      ? `SELECT ${columns} FROM ${table} WHERE global_position > $1 AND $2::text IS NOT NULL ORDER BY global_position LIMIT ${pageSize}`
      : `SELECT ${columns} FROM ${table} WHERE (transaction_id, global_position) > ($2::xid8, $1::bigint)
           ORDER BY ${table}.transaction_id, ${table}.global_position LIMIT ${pageSize}`
  return async (): Promise<number> => {
    const page = await client.query<{ global_position: string; tx: string }>({
      name: statementName,
      text,
      values: [after[0], after[1]]
    })
    const last = page.rows[page.rows.length - 1]
    after = page.rows.length < pageSize || last === undefined ? ["0", "0"] : [last.global_position, last.tx]
    return page.rows.length
  }
}

export default defineCase<Ceilings>({
  name: "ceiling",
  description: "raw undici POSTs, raw pg multi-row INSERTs and keyset SELECTs: the machine's limits",
  order: 0,
  expectedSeconds: { full: 30, quick: 6 },
  run: (ctx) =>
    Effect.gen(function* () {
      // (a) HTTP ---------------------------------------------------------------------------------------
      ctx.progress.step("starting the receiver process")
      const receiver = yield* ctx.receiver()
      const agent = yield* Effect.acquireRelease(
        Effect.sync(() => new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 })),
        (a) => Effect.promise(() => a.close())
      )
      const url = `${receiver.origin}/hooks/ceiling`
      const bodies = Array.from({ length: 64 }, (_, i) => webhookEnvelope(i))
      let sent = 0
      const http = yield* loopPromise(
        ctx.progress,
        {
          label: `HTTP POST, ${httpConcurrency} concurrent`,
          unit: "requests",
          concurrency: httpConcurrency,
          seconds: ctx.seconds(8, 1),
          warmupSeconds: ctx.quick ? 0.3 : 1,
          maxUnits: 2_000_000
        },
        async (worker) => {
          const n = sent++
          const response = await request(url, {
            method: "POST",
            headers: webhookHeaders(n),
            body: bodies[worker % bodies.length]!,
            dispatcher: agent
          })
          await response.body.dump()
          if (response.statusCode !== 200) throw new Error(`receiver answered ${response.statusCode}`)
          return 1
        }
      )
      const received = yield* receiver.stats
      if (received.succeeded !== sent) {
        return yield* Effect.fail(new Error(`client sent ${sent} requests, receiver answered ${received.succeeded}`))
      }

      // (b) INSERT -------------------------------------------------------------------------------------
      ctx.progress.step("creating the database")
      const db = yield* ctx.database("ceiling")
      const pool = yield* db.pool(insertWriters)
      yield* Effect.promise(() => pool.query(scratchTable))
      // One dedicated connection per writer, as a hand-written bulk loader would hold.
      const clients = yield* Effect.acquireRelease(
        Effect.promise(() => Promise.all(Array.from({ length: insertWriters }, () => pool.connect()))),
        (all) => Effect.sync(() => all.forEach((c) => c.release()))
      )
      const insertText = multiRowInsert("bench_rows", rowsPerStatement)
      let next = 0
      const insert = yield* loopPromise(
        ctx.progress,
        {
          label: `INSERT ${rowsPerStatement} rows/statement, ${insertWriters} writers`,
          unit: "rows",
          concurrency: insertWriters,
          seconds: ctx.seconds(8, 1),
          warmupSeconds: ctx.quick ? 0.2 : 0.5,
          maxUnits: 3_000_000
        },
        async (worker) => {
          const first = next
          next += rowsPerStatement
          await clients[worker]!.query({
            name: "ceiling-insert",
            text: insertText,
            values: eventRowParams("ceil", first, rowsPerStatement)
          })
          return rowsPerStatement
        }
      )

      // (c) SELECT -------------------------------------------------------------------------------------
      // Through a held connection: the pool has none left while the writers' clients are checked out.
      yield* Effect.promise(() => clients[0]!.query("VACUUM ANALYZE bench_rows"))
      const nextPage = keysetReader(clients[0]!, "bench_rows", "ceiling-select")
      const select = yield* loopPromise(
        ctx.progress,
        {
          label: `SELECT pages of ${pageSize}, 1 reader`,
          unit: "rows",
          concurrency: 1,
          seconds: ctx.seconds(6, 0.7),
          warmupSeconds: ctx.quick ? 0.2 : 0.5,
          maxUnits: 20_000_000
        },
        nextPage
      )

      const value: Ceilings = {
        httpRequestsPerSecond: http.perSecond,
        insertRowsPerSecond: insert.perSecond,
        selectRowsPerSecond: select.perSecond
      }
      return {
        value,
        metrics: [
          {
            name: `raw undici POST (~1 KB, ${httpConcurrency} concurrent)`,
            value: http.perSecond,
            unit: "requests/s",
            note: `${http.units.toLocaleString("en-US")} requests in ${http.seconds.toFixed(1)} s`
          },
          {
            name: `raw INSERT (${rowsPerStatement} rows/stmt, ${insertWriters} writers, PK-only table)`,
            value: insert.perSecond,
            unit: "rows/s",
            note: `${insert.units.toLocaleString("en-US")} rows`
          },
          {
            name: `raw SELECT (pages of ${pageSize})`,
            value: select.perSecond,
            unit: "rows/s",
            note: `${select.units.toLocaleString("en-US")} rows read of ${next.toLocaleString("en-US")}`
          }
        ]
      }
    })
})
