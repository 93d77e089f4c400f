import { PgClient } from "@effect/sql-pg"
import pg from "pg"
import { Context, Duration, Effect, Layer, Metric, Option, Stream } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { appendBatchSize, appendDuration, timed } from "../metrics.js"
import { Settings } from "../config.js"
import {
  type AppendError,
  DuplicateEventId,
  EventStoreUnavailable,
  ReactorOvertaken,
  WrongExpectedVersion
} from "./errors.js"
import { FieldCipher, noCipher } from "./field-cipher.js"
import { type InlineReadModel, InlineReadModels, readModelLockKey } from "./inline.js"
import { clientConfig, LogNotifications } from "./notifications.js"
import {
  type AppendResult,
  type EventMetadata,
  type ExpectedVersion,
  LogPosition,
  type NewEvent,
  type RecordedEvent,
  type StreamAppend
} from "./types.js"

/** A page of a typed read: the events, and how far the log has been read. */
export interface TypedPage {
  readonly events: ReadonlyArray<RecordedEvent>
  readonly scannedTo: LogPosition
  readonly atHead: boolean
}

export interface EventStoreShape {
  /** Appends to one stream with optimistic concurrency; idempotent on the event ids. */
  readonly append: (
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: ReadonlyArray<NewEvent>
  ) => Effect.Effect<AppendResult, AppendError>
  /** Appends to many streams in one transaction: all or nothing. Each stream at most once. */
  readonly appendBatch: (
    appends: ReadonlyArray<StreamAppend>
  ) => Effect.Effect<ReadonlyArray<AppendResult>, AppendError>
  /**
   * Moves a reactor's checkpoint from `from` to `to` (compare-and-set) and appends what it decided, in
   * one statement: the reactor neither repeats nor skips work across a crash, and pays one round trip.
   * Fails with ReactorOvertaken when the checkpoint was not at `from` (another instance moved it).
   */
  readonly appendAdvancingReactor: (
    reactor: string,
    from: LogPosition,
    to: LogPosition,
    appends: ReadonlyArray<StreamAppend>
  ) => Effect.Effect<ReadonlyArray<AppendResult>, AppendError | ReactorOvertaken>
  readonly readStream: (
    streamId: string,
    fromVersion?: number
  ) => Effect.Effect<ReadonlyArray<RecordedEvent>, EventStoreUnavailable>
  /**
   * Up to `limit` events after `after` in log order, only from transactions that can no longer be
   * joined by an earlier-ordered one (below the snapshot's xmin): a reader never skips an event.
   */
  readonly readAll: (
    after: LogPosition,
    limit: number
  ) => Effect.Effect<ReadonlyArray<RecordedEvent>, EventStoreUnavailable>
  /**
   * Like `readAll`, restricted to some event types: up to `limit` events of those types, through an
   * index by type, and how far the log has been read (`scannedTo`: the last event of a full page, or
   * else the head of the same snapshot, `atHead`), so a reader of rare events still advances its
   * checkpoint past everything else, and pays only for the events it reads.
   */
  readonly readAllOfTypes: (
    after: LogPosition,
    limit: number,
    types: ReadonlyArray<string>,
    /** Top-level payload fields the reader does not need: left in the database, never parsed. */
    omitFields?: ReadonlyArray<string>
  ) => Effect.Effect<TypedPage, EventStoreUnavailable>
  /**
   * Every committed event of these types after `after`, in log order, read on the caller's connection
   * (inside its transaction) and with no horizon: only for a reader that holds the lock every writer of
   * these types takes (a read model's switch to a rebuilt generation), so no earlier one can still
   * commit.
   */
  readonly readCommittedOfTypes: (
    after: LogPosition,
    types: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<RecordedEvent>, EventStoreUnavailable>
  /** The last position `readAll` can reach right now (the start when the log is empty). */
  readonly head: Effect.Effect<LogPosition, EventStoreUnavailable>
  /** Every event after `after`, in log order, forever: wakes on NOTIFY, polls as a fallback. */
  readonly subscribe: (
    after: LogPosition,
    options?: { readonly batchSize?: number }
  ) => Stream.Stream<RecordedEvent, EventStoreUnavailable>
}

const typesOf = (appends: ReadonlyArray<StreamAppend>) => {
  const types = new Set<string>()
  for (const a of appends) for (const e of a.events) types.add(e.type)
  return types
}

export class EventStore extends Context.Service<EventStore, EventStoreShape>()("hookline/EventStore") {}

interface EventRow {
  readonly event_id: string
  readonly stream_id: string
  readonly stream_version: number
  readonly event_type: string
  readonly schema_version: number
  readonly data: unknown
  readonly metadata: EventMetadata
  readonly transaction_id: string
  readonly global_position: string
  readonly recorded_at: Date
}

interface AppendedRow {
  readonly event_id: string
  readonly global_position: string
  readonly stream_version: number
  readonly transaction_id: string
  readonly stream_id?: string
}

const toRecordedWith = (open: (type: string, data: unknown) => unknown) => (row: EventRow): RecordedEvent => ({
  eventId: row.event_id,
  streamId: row.stream_id,
  streamVersion: row.stream_version,
  type: row.event_type,
  schemaVersion: row.schema_version,
  data: open(row.event_type, row.data),
  metadata: row.metadata,
  position: { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) },
  recordedAt: row.recorded_at
})

// The text aliases shadow the columns in ORDER BY: order by the qualified columns, or xid8 sorts as text.
const columns =
  "event_id, stream_id, stream_version, event_type, schema_version, data, metadata, transaction_id::text AS transaction_id, global_position::text AS global_position, recorded_at"

const readAllSql = `SELECT ${columns} FROM events
 WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
   AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY events.transaction_id, events.global_position
 LIMIT $3`

// One statement, so the page and the head come from the same snapshot. Two ranges of the
// (event_type, transaction_id, global_position) index per wanted type, merged in log order: the rest of
// the cursor's transaction, then the later transactions. Each range starts exactly where the cursor is
// (a row comparison bound would start at the cursor's transaction: a transaction that appended 100,000
// events of one type cost every page a walk over the ones already read). A reader visits only the rows it
// wants, and payloads are trimmed of the fields it never parses.
export const readAllOfTypesSql = (typeCount: number) => {
  const range = (type: string, bound: string) =>
    `(SELECT events.event_id, events.stream_id, events.stream_version, events.event_type, events.schema_version,
         events.data - $4::text[] AS data, events.metadata, events.transaction_id, events.global_position, events.recorded_at
    FROM events
   WHERE events.event_type = ${type} AND ${bound}
     AND events.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
   ORDER BY events.transaction_id, events.global_position
   LIMIT $3)`
  const branches = Array.from({ length: typeCount }, (_, i) => [
    range(`$${i + 5}`, "events.transaction_id = $1::text::xid8 AND events.global_position > $2::bigint"),
    range(`$${i + 5}`, "events.transaction_id > $1::text::xid8")
  ]).flat()
  return `WITH head AS (
  SELECT events.transaction_id, events.global_position FROM events
   WHERE events.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
   ORDER BY events.transaction_id DESC, events.global_position DESC LIMIT 1)
(SELECT w.event_id, w.stream_id, w.stream_version, w.event_type, w.schema_version, w.data, w.metadata,
        w.transaction_id::text AS transaction_id, w.global_position::text AS global_position, w.recorded_at, 'event' AS kind
   FROM (${branches.join("\n  UNION ALL\n  ")}) AS w
  ORDER BY w.transaction_id, w.global_position
  LIMIT $3)
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, head.transaction_id::text, head.global_position::text, NULL, 'head' FROM head`
}

const headSql = `SELECT transaction_id::text AS transaction_id, global_position::text AS global_position FROM events
 WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY events.transaction_id DESC, events.global_position DESC LIMIT 1`

/** Connections of the typed reads' own pool: the dispatcher, the projections and the runtime's follower. */
const typedReadConnections = 6

const expectedCode = (expected: ExpectedVersion): number =>
  expected === "any" ? -1 : expected === "no_stream" || expected === "new_or_any" ? 0 : expected

/** PostgreSQL's error fields (code, detail, constraint): @effect/sql-pg 4 puts them on the reason's cause. */
const pgErrorOf = (error: SqlError): { code?: string; detail?: string; constraint?: string } => {
  const cause = error.reason.cause
  return typeof cause === "object" && cause !== null ? (cause as { code?: string }) : {}
}

/**
 * Appends anywhere that lose a race for a stream's next version are appended again, this often at most:
 * each loss means another append to that stream committed, so n writers at once all land within n tries.
 */
const maxAnyConflicts = 20

/** The stream of a unique violation on (stream_id, stream_version): "Key (stream_id, stream_version)=(s, 3) already exists." */
export const conflictingStream = (detail: string | undefined): string | undefined =>
  detail === undefined ? undefined : /^Key \(stream_id, stream_version\)=\((.*), \d+\) already exists\.$/.exec(detail)?.[1]

const groupResults = (
  appends: ReadonlyArray<StreamAppend>,
  rows: ReadonlyArray<AppendedRow>,
  duplicate: boolean
): ReadonlyArray<AppendResult> => {
  const byId = new Map<string, AppendedRow>()
  for (const row of rows) byId.set(row.event_id, row)
  return appends.map((append) => {
    const events = append.events.map((event) => {
      const row = byId.get(event.eventId)!
      return {
        eventId: event.eventId,
        streamVersion: row.stream_version,
        position: { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) }
      }
    })
    return {
      streamId: append.streamId,
      events,
      nextExpectedVersion: events.reduce((max, e) => Math.max(max, e.streamVersion), 0),
      duplicate
    }
  })
}

/** An active generation of an inline read model, as the append reads it. */
interface Target {
  readonly name: string
  readonly generation: number
  readonly version: number
}

/**
 * The appended events as a reader would get them, from what the writer holds: the payloads in memory
 * (never sealed by the cipher), the positions from the append's rows, and the transaction's time, which
 * is what `recorded_at` defaults to.
 */
const recordedOf = (
  appends: ReadonlyArray<StreamAppend>,
  rows: ReadonlyArray<AppendedRow>,
  at: Date
): ReadonlyArray<RecordedEvent> => {
  const byId = new Map<string, AppendedRow>()
  for (const row of rows) byId.set(row.event_id, row)
  const events: Array<RecordedEvent> = []
  for (const append of appends) {
    for (const event of append.events) {
      const row = byId.get(event.eventId)!
      events.push({
        eventId: event.eventId,
        streamId: append.streamId,
        streamVersion: row.stream_version,
        type: event.type,
        schemaVersion: event.schemaVersion ?? 1,
        data: event.data,
        metadata: event.metadata ?? {},
        position: { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) },
        recordedAt: at
      })
    }
  }
  // Log order, as a reader would apply them.
  return events.sort((a, b) => LogPosition.compare(a.position, b.position))
}

export const make = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const notifications = yield* LogNotifications
  const settings = yield* Settings
  const cipher = Option.getOrElse(yield* Effect.serviceOption(FieldCipher), () => noCipher)
  // Sorted by name: the order their locks are taken in, the same in every writer.
  const inlineModels = [...Option.getOrElse(yield* Effect.serviceOption(InlineReadModels), () => [])].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0
  )
  const toRecorded = toRecordedWith(cipher.open)
  // Typed reads go through a small pool of their own, by pg directly, as named statements: prepared once
  // per connection, a statement of up to two dozen branches is not planned again on every read (2–4 ms
  // of PostgreSQL's CPU each time, several times a second per reader), and pg alone costs Node less
  // than a statement through @effect/sql-pg's pool.
  const readerConfig = yield* clientConfig(sql.config)
  const readers = yield* Effect.acquireRelease(
    Effect.sync(() => {
      const pool = new pg.Pool({
        ...readerConfig,
        application_name: "hookline-reader",
        max: typedReadConnections,
        connectionTimeoutMillis: 10_000
      })
      // A connection that fails while idle is dropped by the pool; the next read opens another.
      pool.on("error", () => undefined)
      return pool
    }),
    (pool) => Effect.promise(() => pool.end().catch(() => undefined))
  )
  const pollInterval = Duration.millis(settings.pollIntervalMs)

  const unavailable = (operation: string) => (cause: unknown) => new EventStoreUnavailable({ operation, cause })

  /**
   * After a failed append: if every id is stored already, and in the streams the caller named, this is
   * a retry of an append that went through; answer with the original positions.
   */
  const recoverRetry = (appends: ReadonlyArray<StreamAppend>, original: AppendError) =>
    Effect.gen(function* () {
      const ids = appends.flatMap((a) => a.events.map((e) => e.eventId))
      const rows = yield* sql
        .unsafe<AppendedRow>(
          "SELECT event_id, stream_id, global_position::text AS global_position, stream_version, transaction_id::text AS transaction_id FROM events WHERE event_id = ANY($1::text[])",
          [ids]
        )
        .pipe(Effect.mapError(unavailable("append")))
      if (rows.length === 0) return yield* Effect.fail(original)
      const streamOf = new Map<string, string>()
      for (const a of appends) for (const e of a.events) streamOf.set(e.eventId, a.streamId)
      const allSame = rows.length === ids.length && rows.every((r) => streamOf.get(r.event_id) === r.stream_id)
      if (!allSame) {
        return yield* original._tag === "WrongExpectedVersion"
          ? Effect.fail(original)
          : Effect.fail(new DuplicateEventId({ eventIds: rows.map((r) => r.event_id) }))
      }
      return groupResults(appends, rows, true)
    })

  /** A stream's version now (0 when it has no events), for a conflict's report. */
  const streamVersion = (streamId: string) =>
    sql
      .unsafe<{ version: number }>(
        "SELECT coalesce(max(stream_version), 0)::int AS version FROM events WHERE stream_id = $1",
        [streamId]
      )
      .pipe(
        Effect.map((rows) => rows[0]?.version ?? 0),
        Effect.mapError(unavailable("append"))
      )

  /**
   * The append and the inline read models it touches, in one transaction. The read models' locks are
   * taken (shared) first and held to the commit, so a switch to a rebuilt generation, which takes them
   * exclusively, sees this append either wholly before it or wholly after. Only an active generation of
   * the read model's own version is written: one still building reads the log itself.
   */
  const appendWithReadModels = (
    models: ReadonlyArray<InlineReadModel>,
    appends: ReadonlyArray<StreamAppend>,
    statement: string,
    params: ReadonlyArray<string>
  ) =>
    sql.withTransaction(
      Effect.gen(function* () {
        const names = models.map((m) => m.name)
        yield* sql.unsafe(`SELECT count(pg_advisory_xact_lock_shared(hashtext(k))) FROM unnest($1::text[]) AS k`, [
          names.map(readModelLockKey)
        ])
        // The generations are read in a statement after the lock's: a statement's snapshot is taken when
        // it starts, so one that had waited for the lock would still see the generation just retired. The
        // append carries that read, to spend no round trip of its own.
        const appended = yield* sql.unsafe<AppendedRow & { readonly targets: ReadonlyArray<Target>; readonly at: Date }>(
          `WITH a AS MATERIALIZED (${statement})
           SELECT a.*, now() AS at,
                  (SELECT coalesce(json_agg(json_build_object('name', c.name, 'generation', c.generation, 'version', c.version)), '[]')
                     FROM projection_checkpoints c WHERE c.name = ANY($${params.length + 1}::text[]) AND c.status = 'active') AS targets
             FROM a`,
          [...params, names]
        )
        const rows: ReadonlyArray<AppendedRow> = appended
        const targets = appended[0]?.targets ?? []
        if (appended.length === 0) return rows
        const recorded = recordedOf(appends, rows, appended[0]!.at)
        for (const model of models) {
          const target = targets.find((t) => t.name === model.name && t.version === model.version)
          if (target === undefined) continue
          const events = recorded.filter((e) => model.eventTypes.includes(e.type))
          if (events.length > 0) yield* model.apply(events, target.generation)
        }
        return rows
      })
    ).pipe(Effect.provideService(SqlClient, sql))

  /** Runs `statement` ($1 = the batch as jsonb) for the non-empty appends and maps its rows and errors. */
  const runAppend = <E>(
    appends: ReadonlyArray<StreamAppend>,
    statement: string,
    params: ReadonlyArray<string>,
    extraErrors: (pg: { code?: string | undefined }) => Option.Option<E>,
    attempt = 1
  ): Effect.Effect<ReadonlyArray<AppendResult>, AppendError | E> => {
    const nonEmpty = appends.filter((a) => a.events.length > 0)
    const batch = JSON.stringify(
      nonEmpty.map((a) => ({
        stream: a.streamId,
        expected: expectedCode(a.expectedVersion),
        events: a.events.map((e) => ({
          id: e.eventId,
          type: e.type,
          v: e.schemaVersion ?? 1,
          data: cipher.seal(e.type, e.data),
          meta: e.metadata ?? {}
        }))
      }))
    )
    const touched = inlineModels.filter((model) => nonEmpty.some((a) => a.events.some((e) => model.eventTypes.includes(e.type))))
    const execute = touched.length === 0
      ? sql.unsafe<AppendedRow>(statement, [batch, ...params])
      : appendWithReadModels(touched, nonEmpty, statement, [batch, ...params])
    return timed(appendDuration, execute).pipe(
      Effect.tap((rows) =>
        rows.length === 0
          ? Effect.void
          : Effect.andThen(
              Metric.update(appendBatchSize, rows.length),
              notifications.announce(BigInt(rows[0]!.transaction_id), typesOf(nonEmpty))
            )
      ),
      Effect.map((rows) => groupResults(nonEmpty, rows, false)),
      Effect.catch((error): Effect.Effect<ReadonlyArray<AppendResult>, AppendError | E> => {
        const pg = pgErrorOf(error)
        const extra = extraErrors(pg)
        if (Option.isSome(extra)) return Effect.fail(extra.value)
        if (pg.code === "HL001") {
          const detail = JSON.parse(pg.detail ?? "{}") as { stream?: string; expected?: number; actual?: number }
          const streamId = detail.stream ?? ""
          const expected = nonEmpty.find((a) => a.streamId === streamId)?.expectedVersion ?? "any"
          return recoverRetry(
            nonEmpty,
            new WrongExpectedVersion({ streamId, expected, actual: detail.actual ?? 0 })
          )
        }
        if (pg.code === "23505" && pg.constraint === "events_stream_version_key") {
          // Another append took the version this one computed for a stream (or the stream exists, for a
          // new one). Appending anywhere is appended again; otherwise it is a conflict, or this append's
          // own retry.
          const streamId = conflictingStream(pg.detail) ?? ""
          const expected = nonEmpty.find((a) => a.streamId === streamId)?.expectedVersion ?? "no_stream"
          if (expected === "new_or_any" && attempt < maxAnyConflicts) {
            // Not new after all: appended again with its version looked up.
            const again = appends.map((a) => (a.streamId === streamId ? { ...a, expectedVersion: "any" as const } : a))
            return runAppend(again, statement, params, extraErrors, attempt + 1)
          }
          if (expected === "any" && attempt < maxAnyConflicts) {
            return runAppend(appends, statement, params, extraErrors, attempt + 1)
          }
          return Effect.flatMap(streamVersion(streamId), (actual) =>
            recoverRetry(nonEmpty, new WrongExpectedVersion({ streamId, expected, actual }))
          )
        }
        if (pg.code === "23505" && pg.constraint === "events_event_id_key") {
          return recoverRetry(nonEmpty, new DuplicateEventId({ eventIds: [] }))
        }
        // Two writers updating the same read-model rows in another order: PostgreSQL aborted this one,
        // which rolled back whole; it is appended again.
        if ((pg.code === "40P01" || pg.code === "40001") && attempt < maxAnyConflicts) {
          return runAppend(appends, statement, params, extraErrors, attempt + 1)
        }
        return Effect.fail(new EventStoreUnavailable({ operation: "append", cause: error }))
      })
    )
  }

  const appendBatch = (appends: ReadonlyArray<StreamAppend>): Effect.Effect<ReadonlyArray<AppendResult>, AppendError> => {
    if (appends.every((a) => a.events.length === 0)) {
      return Effect.succeed(
        appends.map((a) => ({ streamId: a.streamId, events: [], nextExpectedVersion: 0, duplicate: false }))
      )
    }
    return runAppend(appends, "SELECT * FROM append_events($1::jsonb)", [], () => Option.none<never>())
  }

  const appendAdvancingReactor = (
    reactor: string,
    from: LogPosition,
    to: LogPosition,
    appends: ReadonlyArray<StreamAppend>
  ) =>
    runAppend(
      appends,
      "SELECT * FROM advance_reactor($2, $3::xid8, $4::bigint, $5::xid8, $6::bigint, $1::jsonb)",
      [reactor, from.transactionId.toString(), from.globalPosition.toString(), to.transactionId.toString(), to.globalPosition.toString()],
      (pg) => (pg.code === "HL002" ? Option.some(new ReactorOvertaken({ reactor })) : Option.none())
    )

  const append = (streamId: string, expectedVersion: ExpectedVersion, events: ReadonlyArray<NewEvent>) =>
    Effect.map(appendBatch([{ streamId, expectedVersion, events }]), (results) => results[0]!)

  const readStream = (streamId: string, fromVersion = 1) =>
    sql
      .unsafe<EventRow>(
        `SELECT ${columns} FROM events WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version`,
        [streamId, fromVersion]
      )
      .pipe(
        Effect.map((rows) => rows.map(toRecorded)),
        Effect.mapError(unavailable("readStream"))
      )

  const readAll = (after: LogPosition, limit: number) =>
    sql
      .unsafe<EventRow>(readAllSql, [after.transactionId.toString(), after.globalPosition.toString(), limit])
      .pipe(
        Effect.map((rows) => rows.map(toRecorded)),
        Effect.mapError(unavailable("readAll"))
      )

  // The statement text depends only on how many types a reader wants: built once per count, not per read.
  const typedPages = new Map<number, string>()
  const typedPageSql = (typeCount: number) => {
    let text = typedPages.get(typeCount)
    if (text === undefined) {
      text = readAllOfTypesSql(typeCount)
      typedPages.set(typeCount, text)
    }
    return text
  }

  const head = sql.unsafe<{ transaction_id: string; global_position: string }>(headSql).pipe(
    Effect.map((rows): LogPosition => {
      const row = rows[0]
      return row === undefined
        ? { transactionId: 0n, globalPosition: 0n }
        : { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) }
    }),
    Effect.mapError(unavailable("head"))
  )

  const readAllOfTypes = (
    after: LogPosition,
    limit: number,
    types: ReadonlyArray<string>,
    omitFields: ReadonlyArray<string> = []
  ): Effect.Effect<TypedPage, EventStoreUnavailable> => {
    if (types.length === 0) {
      return Effect.map(head, (at) => ({ events: [], scannedTo: LogPosition.later(after, at), atHead: true }))
    }
    return Effect.tryPromise(() =>
      readers.query<EventRow & { readonly kind: "event" | "head" }>({
        name: `hookline-typed-read-${types.length}`,
        text: typedPageSql(types.length),
        values: [after.transactionId.toString(), after.globalPosition.toString(), limit, omitFields, ...types]
      })
    ).pipe(
      Effect.map(({ rows }) => {
        const events: Array<RecordedEvent> = []
        let head: LogPosition = after
        for (const row of rows) {
          if (row.kind === "event") events.push(toRecorded(row))
          else head = { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) }
        }
        // A full page: read up to its last event. Otherwise every wanted event below the snapshot's
        // horizon has been read, so the reader has seen the log up to the head of the same snapshot.
        if (events.length >= limit) {
          const last = events[events.length - 1]!.position
          return { events, scannedTo: last, atHead: LogPosition.compare(last, head) >= 0 }
        }
        return { events, scannedTo: LogPosition.later(after, head), atHead: true }
      }),
      Effect.mapError(unavailable("readAllOfTypes"))
    )
  }

  const readCommittedOfTypes = (after: LogPosition, types: ReadonlyArray<string>) =>
    sql
      .unsafe<EventRow>(
        `SELECT ${columns} FROM events
          WHERE event_type = ANY($3::text[])
            AND (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
          ORDER BY events.transaction_id, events.global_position`,
        [after.transactionId.toString(), after.globalPosition.toString(), types]
      )
      .pipe(
        Effect.map((rows) => rows.map(toRecorded)),
        Effect.mapError(unavailable("readCommittedOfTypes"))
      )

  const subscribe = (after: LogPosition, options?: { readonly batchSize?: number }) => {
    const batchSize = options?.batchSize ?? 1000
    return Stream.paginate(after, (cursor) =>
      Effect.gen(function* () {
        for (;;) {
          const events = yield* readAll(cursor, batchSize)
          if (events.length > 0) {
            return [events, Option.some(events[events.length - 1]!.position)] as const
          }
          yield* notifications.awaitBeyond(cursor.transactionId, "all", pollInterval)
        }
      })
    )
  }

  return EventStore.of({
    append,
    appendBatch,
    appendAdvancingReactor,
    readStream,
    readAll,
    readAllOfTypes,
    readCommittedOfTypes,
    head,
    subscribe
  })
})

export const EventStoreLive = Layer.effect(EventStore, make)
