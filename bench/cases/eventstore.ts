/**
 * The event store against raw PostgreSQL on the same database in the same run: appends at 1, 10 and 100
 * events per transaction with 8 writers, and the gap-safe `readAll` in pages of 1000.
 *
 * The raw writes go to `bench_raw_events`, made `LIKE events` with its defaults, identity and indexes
 * (unique (stream_id, stream_version), unique event_id, the (transaction_id, global_position) order and
 * the index by type) but without its triggers: the rows and the indexes any store of these events must
 * maintain, without the event store's own work (the concurrency check, the plpgsql function, the
 * announcements, Effect and the result mapping). The raw read is a plain keyset SELECT of the very
 * rows `readAll` reads, from `events`.
 */
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Redacted } from "effect"
import { Settings } from "../../src/config.js"
import { EventStore, EventStoreLive } from "../../src/eventstore/event-store.js"
import { LogNotificationsLive } from "../../src/eventstore/notifications.js"
import { LogPosition, type NewEvent, type StreamAppend } from "../../src/eventstore/types.js"
import { abba, defineCase, type Throughput, loopEffect, loopPromise } from "../harness.js"
import { eventMetadata, eventPublishedData } from "../payloads.js"
import { eventRowParams, keysetReader, multiRowInsert, pageSize } from "./ceiling.js"

const writers = 8
const levels = [1, 10, 100] as const
/** The level the issue sets a target on: a batch of published events becomes one transaction. */
const targetLevel = 100

const newEvent = (eventId: string, n: number): NewEvent => ({
  eventId,
  type: "EventPublished",
  schemaVersion: 1,
  data: eventPublishedData(eventId, n),
  metadata: eventMetadata
})

export default defineCase({
  name: "eventstore",
  description: "EventStore appends at 1/10/100 events per transaction and gap-safe readAll, against raw INSERT/SELECT",
  order: 10,
  expectedSeconds: { full: 60, quick: 8 },
  run: (ctx) =>
    Effect.gen(function* () {
      ctx.progress.step("creating the database")
      const db = yield* ctx.database("eventstore")
      const pool = yield* db.pool(writers)
      const clients = yield* Effect.acquireRelease(
        Effect.promise(() => Promise.all(Array.from({ length: writers }, () => pool.connect()))),
        (all) => Effect.sync(() => all.forEach((c) => c.release()))
      )
      yield* Effect.promise(() =>
        clients[0]!.query(
          "CREATE TABLE bench_raw_events (LIKE events INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)"
        )
      )

      // The same pool size as the raw side: each writer has a connection, neither waits for one.
      const services = yield* Layer.build(
        EventStoreLive.pipe(
          Layer.provideMerge(LogNotificationsLive),
          Layer.provideMerge(Settings.layerWith({ dbPoolSize: writers })),
          Layer.provideMerge(
            PgClient.layer({ url: Redacted.make(db.url), maxConnections: writers, applicationName: "hookline-bench" })
          )
        )
      )
      const store = Context.get(services, EventStore)

      // Unique across the whole case: ids and streams never collide between levels, halves or sides.
      let nextRaw = 0
      let nextStored = 0
      // Two rounds of a-b-b-a in full mode: the shared machine's bursts of load average out over both sides.
      const rounds = ctx.quick ? 1 : 2
      const partSeconds = (level: number) => ctx.seconds(level === targetLevel ? 1.5 : 1, 0.3)
      const warmupSeconds = ctx.quick ? 0.1 : 0.3

      const rawInsert = (level: number) => (part: number, parts: number) => {
        const text = multiRowInsert("bench_raw_events", level)
        return loopPromise(
          ctx.progress,
          {
            label: `raw INSERT ${level} rows/stmt (${part}/${parts})`,
            unit: "rows",
            concurrency: writers,
            seconds: partSeconds(level),
            warmupSeconds,
            maxUnits: 2_000_000
          },
          async (worker) => {
            const first = nextRaw
            nextRaw += level
            await clients[worker]!.query({ name: `raw-${level}`, text, values: eventRowParams("raw", first, level) })
            return level
          }
        )
      }

      const storeAppend = (level: number) => (part: number, parts: number) =>
        loopEffect(
          ctx.progress,
          {
            label: `EventStore ${level === 1 ? "append" : "appendBatch"} ${level} events/txn (${part}/${parts})`,
            unit: "events",
            concurrency: writers,
            seconds: partSeconds(level),
            warmupSeconds,
            maxUnits: 2_000_000
          },
          () => {
            const first = nextStored
            nextStored += level
            if (level === 1) {
              const eventId = `es-${first}`
              return Effect.as(store.append(`event-${eventId}`, "no_stream", [newEvent(eventId, first)]), 1)
            }
            const appends: Array<StreamAppend> = []
            for (let i = 0; i < level; i++) {
              const eventId = `es-${first + i}`
              appends.push({ streamId: `event-${eventId}`, expectedVersion: "no_stream", events: [newEvent(eventId, first + i)] })
            }
            return Effect.as(store.appendBatch(appends), level)
          }
        )

      const appends: Array<{ level: number; raw: Throughput; stored: Throughput }> = []
      for (const level of levels) {
        const { a: raw, b: stored } = yield* abba(rawInsert(level), storeAppend(level), rounds)
        appends.push({ level, raw, stored })
      }

      // Reads ------------------------------------------------------------------------------------------
      // Hint bits and statistics settled for both readers alike, rather than by whichever reads first.
      ctx.progress.step("VACUUM ANALYZE")
      yield* Effect.promise(() => clients[0]!.query("VACUUM ANALYZE events"))
      const readSeconds = ctx.seconds(1.5, 0.3)

      // Each part reads from the start of the log, so both readers read the same rows.
      const rawSelect = (part: number, parts: number) =>
        loopPromise(
          ctx.progress,
          { label: `raw SELECT pages of ${pageSize} (${part}/${parts})`, unit: "rows", concurrency: 1, seconds: readSeconds, warmupSeconds, maxUnits: 20_000_000 },
          keysetReader(clients[0]!, "events", "raw-select-events", "transaction")
        )
      const storeRead = (part: number, parts: number) => {
        let cursor = LogPosition.start
        return loopEffect(
          ctx.progress,
          { label: `EventStore readAll pages of ${pageSize} (${part}/${parts})`, unit: "events", concurrency: 1, seconds: readSeconds, warmupSeconds, maxUnits: 20_000_000 },
          () =>
            Effect.map(store.readAll(cursor, pageSize), (events) => {
              const last = events[events.length - 1]
              cursor = events.length < pageSize || last === undefined ? LogPosition.start : last.position
              return events.length
            })
        )
      }
      const reads = yield* abba(rawSelect, storeRead, rounds)

      const counted = yield* Effect.promise(() =>
        clients[0]!.query<{ events: string; raw: string }>(
          "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM bench_raw_events) AS raw"
        )
      )
      const inLog = Number(counted.rows[0]?.events ?? 0)
      if (inLog !== nextStored) {
        return yield* Effect.fail(new Error(`appended ${nextStored} events but the log holds ${inLog}`))
      }

      return {
        value: undefined,
        metrics: [
          ...appends.map(({ level, raw, stored }) => ({
            name: `${level === 1 ? "append" : "appendBatch"}, ${level} event${level === 1 ? "" : "s"}/txn, ${writers} writers`,
            value: stored.perSecond,
            unit: "events/s",
            ceiling: { name: level === 1 ? "raw 1-row INSERT txns" : `raw ${level}-row INSERT`, value: raw.perSecond },
            ...(level === targetLevel ? { target: { kind: "ratioAtLeast" as const, ratio: 0.7 } } : {}),
            note: `${stored.ops.toLocaleString("en-US")} transactions in ${stored.seconds.toFixed(1)} s`
          })),
          {
            name: `readAll (gap-safe), pages of ${pageSize}`,
            value: reads.b.perSecond,
            unit: "events/s",
            ceiling: { name: "raw keyset SELECT", value: reads.a.perSecond },
            target: { kind: "ratioAtLeast" as const, ratio: 0.5 },
            note: `${inLog.toLocaleString("en-US")} events in the log`
          }
        ]
      }
    })
})
