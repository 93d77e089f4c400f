import { randomUUID } from "node:crypto"
import { Context, Effect, Layer, Option, Result } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { deliveryCodec, publishedEventCodec } from "../domain/codecs.js"
import { deliveryIdFor } from "../domain/delivery.js"
import * as PublishedEvent from "../domain/published-event.js"
import { deliveryStream, eventStream } from "../domain/streams.js"
import { EventStore } from "../eventstore/event-store.js"
import type { AppendError, EventStoreUnavailable } from "../eventstore/errors.js"
import { LogPosition } from "../eventstore/types.js"
import { ProjectionRunner } from "../projections/runner.js"
import { type Caller, eventMetadata } from "./caller.js"

/** One delivery as the delivery log shows it. */
export interface DeliverySummary {
  readonly id: string
  readonly webhookId: string
  readonly eventId: string
  readonly eventType: string
  readonly status: string
  readonly attempts: number
  readonly createdAt: string
  readonly lastAttemptAt: string | null
  readonly nextAttemptAt: string | null
  readonly lastResponseStatus: number | null
  readonly lastError: string | null
}

/** One attempt, from the delivery's own stream in the log. */
export interface AttemptView {
  readonly attempt: number
  readonly at: string
  readonly outcome: "succeeded" | "failed"
  readonly durationMs: number
  readonly url: string
  readonly requestHeaders: Readonly<Record<string, string>>
  readonly response: { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string } | null
  readonly errorClass: string | null
  readonly error: string | null
  readonly nextAttemptAt: string | null
}

export interface DeliveryDetail extends DeliverySummary {
  readonly attemptLog: ReadonlyArray<AttemptView>
  readonly redeliveries: ReadonlyArray<{ readonly at: string }>
}

export interface DeliveryFilters {
  readonly status?: string | undefined
  readonly type?: string | undefined
  readonly since?: string | undefined
  readonly until?: string | undefined
}

export interface DeliveryPage {
  readonly data: ReadonlyArray<DeliverySummary>
  /** (seq, delivery id) of the last row, when more may follow. */
  readonly next: { readonly seq: string; readonly id: string } | null
}

type Failure = SqlError | EventStoreUnavailable

/** Appends here use expected version "any" or a fresh stream and fresh ids: a conflict is a bug. */
const conflictIsADefect = <A, R>(effect: Effect.Effect<A, AppendError, R>) =>
  Effect.catchTags(effect, { WrongExpectedVersion: Effect.die, DuplicateEventId: Effect.die })

export interface DeliveriesShape {
  /** The account's deliveries, newest first; those of one webhook when `webhookId` is given. */
  readonly list: (
    accountId: string,
    webhookId: string | undefined,
    filters: DeliveryFilters,
    page: { readonly limit: number; readonly after: { readonly seq: string; readonly id: string } | undefined }
  ) => Effect.Effect<DeliveryPage, Failure>
  readonly get: (accountId: string, deliveryId: string) => Effect.Effect<Option.Option<DeliveryDetail>, Failure>
  readonly forEvent: (accountId: string, eventId: string) => Effect.Effect<ReadonlyArray<DeliverySummary>, Failure>
  /** Asks for the delivery once more (same `webhook-id`); none when it is not the account's. */
  readonly redeliver: (caller: Caller, accountId: string, deliveryId: string) => Effect.Effect<Option.Option<DeliverySummary>, Failure>
  /** Every delivery of the webhook that ended exhausted in the window; with `dryRun`, only counts them. */
  readonly recover: (
    caller: Caller,
    accountId: string,
    webhookId: string,
    window: { readonly since: string; readonly until: string | undefined; readonly dryRun: boolean }
  ) => Effect.Effect<{ readonly count: number }, Failure>
  /** A real signed delivery of a `webhook.test` event to this webhook alone; none when not the account's. */
  readonly sendTest: (
    caller: Caller,
    accountId: string,
    webhookId: string
  ) => Effect.Effect<Option.Option<{ readonly eventId: string; readonly deliveryId: string }>, Failure>
}

export class Deliveries extends Context.Service<Deliveries, DeliveriesShape>()("hookline/Deliveries") {}

interface Row {
  readonly delivery_id: string
  readonly webhook_id: string
  readonly event_id: string
  readonly event_type: string
  readonly status: string
  readonly attempts: number
  readonly created_at: Date
  readonly last_attempt_at: Date | null
  readonly next_attempt_at: Date | null
  readonly last_response_status: number | null
  readonly last_error: string | null
  readonly seq: string
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString())

const toSummary = (row: Row): DeliverySummary => ({
  id: row.delivery_id,
  webhookId: row.webhook_id,
  eventId: row.event_id,
  eventType: row.event_type,
  status: row.status,
  attempts: row.attempts,
  createdAt: row.created_at.toISOString(),
  lastAttemptAt: iso(row.last_attempt_at),
  nextAttemptAt: iso(row.next_attempt_at),
  lastResponseStatus: row.last_response_status,
  lastError: row.last_error
})

const columns = `delivery_id, webhook_id, event_id, event_type, status, attempts, created_at, last_attempt_at,
  next_attempt_at, last_response_status, last_error, seq::text AS seq`

export const make = Effect.gen(function* () {
  const sql = yield* SqlClient
  const store = yield* EventStore
  const runner = yield* ProjectionRunner

  const one = (accountId: string, deliveryId: string) =>
    Effect.map(
      sql.unsafe<Row>(`SELECT ${columns} FROM deliveries WHERE delivery_id = $1 AND account_id = $2`, [deliveryId, accountId]),
      (rows) => Option.fromUndefinedOr(rows[0])
    )

  const list: DeliveriesShape["list"] = (accountId, webhookId, filters, page) =>
    Effect.gen(function* () {
      const conditions = ["account_id = $1"]
      const params: Array<unknown> = [accountId]
      const add = (condition: string, value: unknown) => {
        params.push(value)
        conditions.push(condition.replace("?", `$${params.length}`))
      }
      if (webhookId !== undefined) add("webhook_id = ?", webhookId)
      if (filters.status !== undefined) add("status = ?", filters.status)
      if (filters.type !== undefined) add("event_type = ?", filters.type)
      if (filters.since !== undefined) add("created_at >= ?::timestamptz", filters.since)
      if (filters.until !== undefined) add("created_at < ?::timestamptz", filters.until)
      if (page.after !== undefined) {
        params.push(page.after.seq, page.after.id)
        conditions.push(`(seq, delivery_id) < ($${params.length - 1}::bigint, $${params.length})`)
      }
      params.push(page.limit + 1)
      const rows = yield* sql.unsafe<Row>(
        `SELECT ${columns} FROM deliveries WHERE ${conditions.join(" AND ")}
          ORDER BY deliveries.seq DESC, deliveries.delivery_id DESC LIMIT $${params.length}`,
        params
      )
      const data = rows.slice(0, page.limit)
      const last = data[data.length - 1]
      return {
        data: data.map(toSummary),
        next: rows.length > page.limit && last !== undefined ? { seq: last.seq, id: last.delivery_id } : null
      }
    })

  const get: DeliveriesShape["get"] = (accountId, deliveryId) =>
    Effect.gen(function* () {
      const row = yield* one(accountId, deliveryId)
      if (Option.isNone(row)) return Option.none()
      const events = yield* store.readStream(deliveryStream(deliveryId))
      const attemptLog: Array<AttemptView> = []
      const redeliveries: Array<{ at: string }> = []
      for (const recorded of events) {
        const decoded = deliveryCodec.decode(recorded)
        if (Result.isFailure(decoded)) continue
        const event = decoded.success
        if (event._tag === "AttemptSucceeded" || event._tag === "AttemptFailed") {
          attemptLog.push({
            attempt: event.attempt,
            at: event.at,
            outcome: event._tag === "AttemptSucceeded" ? "succeeded" : "failed",
            durationMs: event.durationMs,
            url: event.url,
            requestHeaders: event.requestHeaders,
            response: event.response,
            errorClass: event._tag === "AttemptFailed" ? event.errorClass : null,
            error: event._tag === "AttemptFailed" ? event.error : null,
            nextAttemptAt: event._tag === "AttemptFailed" ? event.nextAttemptAt : null
          })
        } else if (event._tag === "RedeliveryRequested") {
          redeliveries.push({ at: event.at })
        }
      }
      return Option.some({ ...toSummary(row.value), attemptLog, redeliveries })
    })

  const forEvent: DeliveriesShape["forEvent"] = (accountId, eventId) =>
    Effect.map(
      sql.unsafe<Row>(`SELECT ${columns} FROM deliveries WHERE event_id = $1 AND account_id = $2 ORDER BY webhook_id`, [
        eventId,
        accountId
      ]),
      (rows) => rows.map(toSummary)
    )

  const request = (caller: Caller, rows: ReadonlyArray<Row>) =>
    Effect.gen(function* () {
      const at = new Date().toISOString()
      let last: LogPosition | undefined
      for (let i = 0; i < rows.length; i += 500) {
        const results = yield* conflictIsADefect(store.appendBatch(
          rows.slice(i, i + 500).map((row) => ({
            streamId: deliveryStream(row.delivery_id),
            expectedVersion: "any" as const,
            events: [
              {
                eventId: randomUUID(),
                type: "RedeliveryRequested",
                data: { deliveryId: row.delivery_id, webhookId: row.webhook_id, at },
                metadata: eventMetadata(caller)
              }
            ]
          }))
        ))
        for (const result of results) {
          for (const event of result.events) {
            if (last === undefined || LogPosition.compare(event.position, last) > 0) last = event.position
          }
        }
      }
      // Read-your-writes: the delivery log shows the request before we answer.
      if (last !== undefined) yield* runner.awaitPosition("deliveries", last, "5 seconds")
    })

  const redeliver: DeliveriesShape["redeliver"] = (caller, accountId, deliveryId) =>
    Effect.gen(function* () {
      const row = yield* one(accountId, deliveryId)
      if (Option.isNone(row)) return Option.none()
      yield* request(caller, [row.value])
      return Option.map(yield* one(accountId, deliveryId), toSummary)
    })

  const recover: DeliveriesShape["recover"] = (caller, accountId, webhookId, window) =>
    Effect.gen(function* () {
      const rows = yield* sql.unsafe<Row>(
        `SELECT ${columns} FROM deliveries
          WHERE account_id = $1 AND webhook_id = $2 AND status = 'exhausted'
            AND created_at >= $3::timestamptz AND ($4::timestamptz IS NULL OR created_at < $4::timestamptz)
          ORDER BY deliveries.seq`,
        [accountId, webhookId, window.since, window.until ?? null]
      )
      if (!window.dryRun) yield* request(caller, rows)
      return { count: rows.length }
    })

  const sendTest: DeliveriesShape["sendTest"] = (caller, accountId, webhookId) =>
    Effect.gen(function* () {
      const owned = yield* sql.unsafe<{ status: string }>(
        `SELECT status FROM webhooks WHERE webhook_id = $1 AND account_id = $2`,
        [webhookId, accountId]
      )
      if (owned.length === 0 || owned[0]!.status === "deleted") return Option.none()
      const eventId = `evt_test_${randomUUID().replace(/-/g, "")}`
      const decision = PublishedEvent.decide(
        PublishedEvent.PublishedEventCommand.PublishTestEvent({ eventId, accountId, webhookId, now: new Date() }),
        PublishedEvent.initialState
      )
      if (Result.isFailure(decision)) return yield* Effect.die(decision.failure)
      yield* conflictIsADefect(
        store.append(
          eventStream(eventId),
          "no_stream",
          decision.success.map((event) => publishedEventCodec.encode(event, randomUUID(), eventMetadata(caller)))
        )
      )
      return Option.some({ eventId, deliveryId: deliveryIdFor(eventId, webhookId) })
    })

  return Deliveries.of({ list, get, forEvent, redeliver, recover, sendTest })
})

export const DeliveriesLive = Layer.effect(Deliveries, make)
