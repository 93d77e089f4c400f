import { SqlClient } from "effect/sql/SqlClient"
import { Effect } from "effect"
import type { RecordedEvent } from "../eventstore/types.js"
import type { Projection } from "./projection.js"

/**
 * The account's published events, for `GET /v1/events`: one row per event, newest first by log position.
 * The payload stays in the event's stream (read by `GET /v1/events/{id}`); a copy here would double
 * the storage of every event for a list that shows none.
 */
export const publishedEventsProjectionName = "published_events"

interface EventRow {
  readonly event_id: string
  readonly account_id: string
  readonly event_type: string
  readonly occurred_at: string
  readonly published_at: string
  readonly seq: string
}

interface PublishedFields {
  readonly eventId: string
  readonly accountId: string
  readonly type: string
  readonly occurredAt: string
  readonly publishedAt: string
}

export const publishedEventsProjection: Projection = {
  name: publishedEventsProjectionName,
  // 2: written inline, by the publish's own append.
  version: 2,
  inline: true,
  eventTypes: ["EventPublished"],
  omitFields: ["data"],
  tables: ["published_events"],
  createTables: (t) => [
    `CREATE TABLE ${t("published_events")} (
       account_id   text NOT NULL,
       event_id     text NOT NULL,
       event_type   text NOT NULL,
       occurred_at  timestamptz NOT NULL,
       published_at timestamptz NOT NULL,
       seq          bigint NOT NULL,
       PRIMARY KEY (account_id, event_id))`,
    `CREATE INDEX ${t("published_events")}_by_account ON ${t("published_events")} (account_id, seq DESC, event_id DESC)`,
    `CREATE INDEX ${t("published_events")}_by_type ON ${t("published_events")} (account_id, event_type, seq DESC, event_id DESC)`
  ],
  apply: (events, t) =>
    Effect.gen(function* () {
      const rows = events.map((event: RecordedEvent): EventRow => {
        // Written by this code base's own schema (EventPublished); read without a decode pass.
        const d = event.data as PublishedFields
        return {
          event_id: d.eventId,
          account_id: d.accountId,
          event_type: d.type,
          occurred_at: d.occurredAt,
          published_at: d.publishedAt,
          seq: event.position.globalPosition.toString()
        }
      })
      if (rows.length === 0) return
      const sql = yield* SqlClient
      yield* sql.unsafe(
        `INSERT INTO ${t("published_events")}
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(account_id text, event_id text, event_type text,
           occurred_at timestamptz, published_at timestamptz, seq bigint)
         ON CONFLICT (account_id, event_id) DO NOTHING`,
        [JSON.stringify(rows)]
      )
    })
}

// Queries (through the stable name) ---------------------------------------------------------------------

export interface PublishedEventSummary {
  readonly id: string
  readonly type: string
  readonly occurredAt: string
  readonly publishedAt: string
}

export interface PublishedEventFilters {
  readonly type?: string | undefined
  readonly since?: string | undefined
  readonly until?: string | undefined
}

export interface PublishedEventPage {
  readonly data: ReadonlyArray<PublishedEventSummary>
  /** (seq, event id) of the last row, when more may follow. */
  readonly next: { readonly seq: string; readonly id: string } | null
}

/** The account's published events, newest first; `since`/`until` bound the publication time. */
export const listPublishedEvents = (
  accountId: string,
  filters: PublishedEventFilters,
  page: { readonly limit: number; readonly after: { readonly seq: string; readonly id: string } | undefined }
) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const conditions = ["account_id = $1"]
    const params: Array<unknown> = [accountId]
    const add = (condition: string, value: unknown) => {
      params.push(value)
      conditions.push(condition.replace("?", `$${params.length}`))
    }
    if (filters.type !== undefined) add("event_type = ?", filters.type)
    if (filters.since !== undefined) add("published_at >= ?::timestamptz", filters.since)
    if (filters.until !== undefined) add("published_at < ?::timestamptz", filters.until)
    if (page.after !== undefined) {
      params.push(page.after.seq, page.after.id)
      conditions.push(`(seq, event_id) < ($${params.length - 1}::bigint, $${params.length})`)
    }
    params.push(page.limit + 1)
    const rows = yield* sql.unsafe<{
      event_id: string
      event_type: string
      occurred_at: Date
      published_at: Date
      seq: string
    }>(
      `SELECT event_id, event_type, occurred_at, published_at, seq::text AS seq FROM published_events
        WHERE ${conditions.join(" AND ")} ORDER BY seq DESC, event_id DESC LIMIT $${params.length}`,
      params
    )
    const data = rows.slice(0, page.limit)
    const last = data[data.length - 1]
    return {
      data: data.map((row) => ({
        id: row.event_id,
        type: row.event_type,
        occurredAt: row.occurred_at.toISOString(),
        publishedAt: row.published_at.toISOString()
      })),
      next: rows.length > page.limit && last !== undefined ? { seq: last.seq, id: last.event_id } : null
    } satisfies PublishedEventPage
  })
