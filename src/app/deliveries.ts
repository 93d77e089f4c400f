import { randomUUID } from "node:crypto"
import { Context, Effect, Layer, Option, Result } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { deliveryCodec, publishedEventCodec } from "../domain/codecs.js"
import {
  type AttemptTrigger,
  deliveryIdFor,
  type DeliveryStatus,
  type RedeliveryReason,
  type RedeliveryRequested
} from "../domain/delivery.js"
import { WebhookAlreadyDeleted } from "../domain/errors.js"
import { appendToEachDelivery } from "../delivery/cancellation.js"
import * as PublishedEvent from "../domain/published-event.js"
import { deliveryStream, eventStream } from "../domain/streams.js"
import { EventStore } from "../eventstore/event-store.js"
import type { AppendError, EventStoreUnavailable } from "../eventstore/errors.js"
import { ProjectionRunner } from "../projections/runner.js"
import { type Caller, eventMetadata } from "./caller.js"

/**
 * Why a delivery that is due is not being attempted: its webhook is paused or disabled, or its endpoint's
 * circuit is open (a probe decides when it closes).
 */
export type WaitingReason = "webhook_paused" | "webhook_disabled" | "circuit_open"

/** As the delivery log shows it: `waiting` is a pending or retrying delivery held back (see WaitingReason). */
export type ShownStatus = DeliveryStatus | "waiting"

/** One delivery as the delivery log shows it. */
export interface DeliverySummary {
  readonly id: string
  readonly webhookId: string
  readonly eventId: string
  readonly eventType: string
  readonly status: ShownStatus
  readonly waitingReason: WaitingReason | null
  /** Counted over the delivery's whole life, redeliveries included. */
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
  readonly trigger: AttemptTrigger
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
  readonly redeliveries: ReadonlyArray<{ readonly at: string; readonly reason: RedeliveryReason }>
  /** When and why it was cancelled; null unless it was. */
  readonly cancelled: { readonly at: string; readonly reason: string } | null
}

export interface DeliveryFilters {
  readonly status?: ShownStatus | undefined
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
  /**
   * Asks for the delivery once more (same `webhook-id`); none when it is not the account's. Refused when
   * its webhook was deleted: there is nobody to deliver to.
   */
  readonly redeliver: (
    caller: Caller,
    accountId: string,
    deliveryId: string
  ) => Effect.Effect<Option.Option<DeliverySummary>, Failure | WebhookAlreadyDeleted>
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
  ) => Effect.Effect<Option.Option<{ readonly eventId: string; readonly deliveryId: string }>, Failure | WebhookAlreadyDeleted>
}

export class Deliveries extends Context.Service<Deliveries, DeliveriesShape>()("hookline/Deliveries") {}

interface Row {
  readonly delivery_id: string
  readonly webhook_id: string
  readonly event_id: string
  readonly event_type: string
  /** As shown: `waiting` already derived (see `shown` below). */
  readonly status: ShownStatus
  readonly waiting_reason: WaitingReason | null
  readonly webhook_status: string | null
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
  waitingReason: row.waiting_reason,
  attempts: row.attempts,
  createdAt: row.created_at.toISOString(),
  lastAttemptAt: iso(row.last_attempt_at),
  nextAttemptAt: iso(row.next_attempt_at),
  lastResponseStatus: row.last_response_status,
  lastError: row.last_error
})

/**
 * The delivery log joined to what holds a delivery back, so a due delivery that is not being attempted
 * says why instead of showing a next attempt time already past. Every read goes through it, the status
 * filter included.
 */
const waitingReason = `CASE WHEN d.status NOT IN ('pending', 'retrying') THEN NULL
  WHEN w.status = 'paused' THEN 'webhook_paused'
  WHEN w.status = 'disabled' THEN 'webhook_disabled'
  WHEN e.circuit_state IN ('open', 'half_open') THEN 'circuit_open' END`

const shown = `(SELECT d.delivery_id, d.webhook_id, d.account_id, d.event_id, d.event_type, d.attempts, d.created_at,
    d.last_attempt_at, d.last_response_status, d.last_error, d.seq, w.status AS webhook_status,
    r.reason AS waiting_reason,
    CASE WHEN r.reason IS NULL THEN d.status ELSE 'waiting' END AS status,
    -- Held back by the webhook: no time can be promised. At an open circuit: not before the probe.
    CASE WHEN r.reason IN ('webhook_paused', 'webhook_disabled') THEN NULL
         WHEN r.reason = 'circuit_open' THEN
           CASE WHEN e.circuit_state = 'open' THEN greatest(d.next_attempt_at, e.circuit_until) END
         ELSE d.next_attempt_at END AS next_attempt_at
  FROM deliveries d
  LEFT JOIN webhooks w ON w.webhook_id = d.webhook_id
  LEFT JOIN endpoint_health e ON e.webhook_id = d.webhook_id
  CROSS JOIN LATERAL (SELECT ${waitingReason} AS reason) r) AS shown`

const columns = `delivery_id, webhook_id, event_id, event_type, status, waiting_reason, webhook_status, attempts,
  created_at, last_attempt_at, next_attempt_at, last_response_status, last_error, seq::text AS seq`

export const make = Effect.gen(function* () {
  const sql = yield* SqlClient
  const store = yield* EventStore
  const runner = yield* ProjectionRunner

  const one = (accountId: string, deliveryId: string) =>
    Effect.map(
      sql.unsafe<Row>(`SELECT ${columns} FROM ${shown} WHERE delivery_id = $1 AND account_id = $2`, [deliveryId, accountId]),
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
        `SELECT ${columns} FROM ${shown} WHERE ${conditions.join(" AND ")}
          ORDER BY shown.seq DESC, shown.delivery_id DESC LIMIT $${params.length}`,
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
      const redeliveries: Array<{ at: string; reason: RedeliveryReason }> = []
      let cancelled: DeliveryDetail["cancelled"] = null
      // For attempts recorded before triggers were: the first after a request is the request's.
      let asked: RedeliveryReason | undefined
      for (const recorded of events) {
        const decoded = deliveryCodec.decode(recorded)
        if (Result.isFailure(decoded)) continue
        const event = decoded.success
        if (event._tag === "AttemptSucceeded" || event._tag === "AttemptFailed") {
          attemptLog.push({
            // Numbered by place in the stream: attempts recorded before numbering went across
            // redeliveries restarted at 1 after each.
            attempt: attemptLog.length + 1,
            trigger: event.trigger ?? asked ?? "schedule",
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
          asked = undefined
        } else if (event._tag === "RedeliveryRequested") {
          asked = event.reason ?? "redeliver"
          redeliveries.push({ at: event.at, reason: asked })
        } else if (event._tag === "DeliveryCancelled") {
          cancelled = { at: event.at, reason: event.reason }
        }
      }
      return Option.some({ ...toSummary(row.value), attemptLog, redeliveries, cancelled })
    })

  const forEvent: DeliveriesShape["forEvent"] = (accountId, eventId) =>
    Effect.map(
      sql.unsafe<Row>(`SELECT ${columns} FROM ${shown} WHERE event_id = $1 AND account_id = $2 ORDER BY webhook_id`, [
        eventId,
        accountId
      ]),
      (rows) => rows.map(toSummary)
    )

  const request = (caller: Caller, rows: ReadonlyArray<Row>, reason: RedeliveryReason) =>
    Effect.gen(function* () {
      const at = new Date().toISOString()
      const last = yield* appendToEachDelivery(
        store,
        rows.map((row) => ({ deliveryId: row.delivery_id, webhookId: row.webhook_id })),
        ({ deliveryId, webhookId }) => ({
          type: "RedeliveryRequested",
          data: { deliveryId, webhookId, at, reason } satisfies Omit<RedeliveryRequested, "_tag">,
          metadata: eventMetadata(caller)
        })
      )
      // Read-your-writes: the delivery log shows the request before we answer.
      if (last !== undefined) yield* runner.awaitPosition("deliveries", last, "5 seconds")
    })

  const redeliver: DeliveriesShape["redeliver"] = (caller, accountId, deliveryId) =>
    Effect.gen(function* () {
      const row = yield* one(accountId, deliveryId)
      if (Option.isNone(row)) return Option.none()
      if (row.value.webhook_status === "deleted" || row.value.status === "cancelled") {
        return yield* new WebhookAlreadyDeleted({ webhookId: row.value.webhook_id })
      }
      yield* request(caller, [row.value], "redeliver")
      return Option.map(yield* one(accountId, deliveryId), toSummary)
    })

  const recover: DeliveriesShape["recover"] = (caller, accountId, webhookId, window) =>
    Effect.gen(function* () {
      const rows = yield* sql.unsafe<Row>(
        `SELECT ${columns} FROM ${shown}
          WHERE account_id = $1 AND webhook_id = $2 AND status = 'exhausted'
            AND created_at >= $3::timestamptz AND ($4::timestamptz IS NULL OR created_at < $4::timestamptz)
          ORDER BY shown.seq`,
        [accountId, webhookId, window.since, window.until ?? null]
      )
      if (!window.dryRun) yield* request(caller, rows, "recover")
      return { count: rows.length }
    })

  const sendTest: DeliveriesShape["sendTest"] = (caller, accountId, webhookId) =>
    Effect.gen(function* () {
      const owned = yield* sql.unsafe<{ status: string }>(
        `SELECT status FROM webhooks WHERE webhook_id = $1 AND account_id = $2`,
        [webhookId, accountId]
      )
      if (owned.length === 0) return Option.none()
      if (owned[0]!.status === "deleted") return yield* new WebhookAlreadyDeleted({ webhookId })
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
