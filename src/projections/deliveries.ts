import { SqlClient } from "effect/sql/SqlClient"
import { Effect } from "effect"
import {
  type AttemptFailed,
  type AttemptSucceeded,
  type DeliveriesScheduled,
  type DeliveryCancelled,
  type DeliveryExhausted,
  deliveryEventTypes,
  type DeliveryStatus,
  endpointEventTypes,
  type RedeliveryRequested
} from "../domain/delivery.js"
import type { RecordedEvent } from "../eventstore/types.js"
import type { Projection } from "./projection.js"

/**
 * The delivery log (one row per delivery, its latest state) and endpoint health (one row per webhook).
 * Each delivery's attempts are read from its own stream, the source of truth, not copied here.
 * It is also the durable queue the runtime reads due deliveries from (indexed by next attempt time).
 */

interface DeliveryRow {
  delivery_id: string
  webhook_id: string
  account_id: string
  event_id: string
  event_type: string
  status: DeliveryStatus
  attempts: number
  schedule_base: number
  next_trigger: NextTrigger
  created_at: string
  last_attempt_at: string | null
  next_attempt_at: string | null
  last_response_status: number | null
  last_error: string | null
  seq: string
}

/** What the next attempt will be started by; a probe is decided when it is sent, not here. */
type NextTrigger = "schedule" | "redeliver" | "recover"

/**
 * A change to a delivery recorded before this batch. Attempts are counted (each batch is applied exactly
 * once), not taken from the events: attempts recorded before numbering went across redeliveries restart
 * at 1 after each, and a count is right for both.
 */
interface DeliveryPatch {
  delivery_id: string
  status: DeliveryStatus
  attempts_added: number
  /** Attempts added in this batch when it was last asked for again; null: not asked for in this batch. */
  base_added: number | null
  next_trigger: NextTrigger
  last_attempt_at: string | null
  next_attempt_at: string | null
  last_response_status: number | null
  last_error: string | null
}

interface HealthPatch {
  webhook_id: string
  successes: number
  failures: number
  /** Failures since the last success in this batch; `reset` says a success happened. */
  trailing_failures: number
  reset: boolean
  last_success_at: string | null
  last_failure_at: string | null
  first_failure_at: string | null
  circuit_state: string | null
  circuit_since: string | null
  circuit_until: string | null
}

/** Attempts of one webhook in one hour: the success rate over a day is read from 24 of these. */
interface HourPatch {
  webhook_id: string
  hour: string
  successes: number
  failures: number
}

type Payload<T> = Omit<T, "_tag">

// Payloads written by this code base's own schemas; they are read as such without a decode pass,
// which would cost more than the rest of the projection on the delivery hot path.
const data = <T>(event: RecordedEvent): Payload<T> => event.data as Payload<T>

const hourOf = (at: string): string => `${at.slice(0, 13)}:00:00Z`

/**
 * The status after a change. An outcome recorded after a cancellation (its attempt was already out)
 * cannot reopen the delivery: only a success changes it, since the receiver has it then.
 */
const nextStatus = (current: DeliveryStatus | undefined, next: DeliveryStatus): DeliveryStatus =>
  current === "cancelled" && (next === "retrying" || next === "exhausted") ? "cancelled" : next

const fold = (events: ReadonlyArray<RecordedEvent>) => {
  const inserts = new Map<string, DeliveryRow>()
  const patches = new Map<string, DeliveryPatch>()
  const health = new Map<string, HealthPatch>()
  const hours = new Map<string, HourPatch>()

  const healthOf = (webhookId: string): HealthPatch => {
    let h = health.get(webhookId)
    if (h === undefined) {
      h = {
        webhook_id: webhookId,
        successes: 0,
        failures: 0,
        trailing_failures: 0,
        reset: false,
        last_success_at: null,
        last_failure_at: null,
        first_failure_at: null,
        circuit_state: null,
        circuit_since: null,
        circuit_until: null
      }
      health.set(webhookId, h)
    }
    return h
  }

  const hourOfAttempt = (webhookId: string, at: string): HourPatch => {
    const hour = hourOf(at)
    const key = `${webhookId}\u0000${hour}`
    let h = hours.get(key)
    if (h === undefined) {
      h = { webhook_id: webhookId, hour, successes: 0, failures: 0 }
      hours.set(key, h)
    }
    return h
  }

  interface Change {
    readonly status: DeliveryStatus
    readonly attempt: boolean
    readonly redelivered?: NextTrigger
    readonly last_attempt_at: string | null
    readonly next_attempt_at: string | null
    readonly last_response_status: number | null
    readonly last_error: string | null
  }

  const apply = (deliveryId: string, change: Change) => {
    const row = inserts.get(deliveryId)
    if (row !== undefined) {
      row.status = nextStatus(row.status, change.status)
      if (change.attempt) row.attempts++
      if (change.redelivered !== undefined) {
        row.schedule_base = row.attempts
        row.next_trigger = change.redelivered
      } else if (change.attempt) row.next_trigger = "schedule"
      row.last_attempt_at = change.last_attempt_at ?? row.last_attempt_at
      row.next_attempt_at = row.status === "cancelled" ? null : change.next_attempt_at
      row.last_response_status = change.last_response_status ?? row.last_response_status
      row.last_error = change.last_error
      return
    }
    const previous = patches.get(deliveryId)
    const attemptsAdded = (previous?.attempts_added ?? 0) + (change.attempt ? 1 : 0)
    const status = nextStatus(previous?.status, change.status)
    patches.set(deliveryId, {
      delivery_id: deliveryId,
      status,
      attempts_added: attemptsAdded,
      base_added: change.redelivered !== undefined ? attemptsAdded : previous?.base_added ?? null,
      next_trigger: change.redelivered ?? (change.attempt ? "schedule" : previous?.next_trigger ?? "schedule"),
      last_attempt_at: change.last_attempt_at ?? previous?.last_attempt_at ?? null,
      next_attempt_at: status === "cancelled" ? null : change.next_attempt_at,
      last_response_status: change.last_response_status ?? previous?.last_response_status ?? null,
      last_error: change.last_error
    })
  }

  const lastErrorOf = (deliveryId: string) =>
    inserts.get(deliveryId)?.last_error ?? patches.get(deliveryId)?.last_error ?? null

  for (const event of events) {
    switch (event.type) {
      case "DeliveriesScheduled": {
        const d = data<DeliveriesScheduled>(event)
        for (const delivery of d.deliveries) {
          inserts.set(delivery.deliveryId, {
            delivery_id: delivery.deliveryId,
            webhook_id: delivery.webhookId,
            account_id: d.accountId,
            event_id: d.eventId,
            event_type: d.eventType,
            status: "pending",
            attempts: 0,
            schedule_base: 0,
            next_trigger: "schedule",
            created_at: d.scheduledAt,
            last_attempt_at: null,
            next_attempt_at: d.scheduledAt,
            last_response_status: null,
            last_error: null,
            seq: event.position.globalPosition.toString()
          })
        }
        break
      }
      case "AttemptSucceeded": {
        const d = data<AttemptSucceeded>(event)
        apply(d.deliveryId, {
          status: "delivered",
          attempt: true,
          last_attempt_at: d.at,
          next_attempt_at: null,
          last_response_status: d.status ?? null,
          last_error: null
        })
        const h = healthOf(d.webhookId)
        h.successes++
        h.reset = true
        h.trailing_failures = 0
        h.first_failure_at = null
        h.last_success_at = d.at
        hourOfAttempt(d.webhookId, d.at).successes++
        break
      }
      case "AttemptFailed": {
        const d = data<AttemptFailed>(event)
        apply(d.deliveryId, {
          status: d.nextAttemptAt === null ? "exhausted" : "retrying",
          attempt: true,
          last_attempt_at: d.at,
          next_attempt_at: d.nextAttemptAt,
          last_response_status: d.status ?? null,
          last_error: `${d.errorClass}: ${d.error}`.slice(0, 500)
        })
        const h = healthOf(d.webhookId)
        h.failures++
        h.trailing_failures++
        h.first_failure_at ??= d.at
        h.last_failure_at = d.at
        hourOfAttempt(d.webhookId, d.at).failures++
        break
      }
      case "DeliveryExhausted": {
        const d = data<DeliveryExhausted>(event)
        apply(d.deliveryId, {
          status: "exhausted",
          attempt: false,
          last_attempt_at: null,
          next_attempt_at: null,
          last_response_status: null,
          last_error: lastErrorOf(d.deliveryId)
        })
        break
      }
      case "RedeliveryRequested": {
        const d = data<RedeliveryRequested>(event)
        apply(d.deliveryId, {
          status: "pending",
          attempt: false,
          redelivered: d.reason ?? "redeliver",
          last_attempt_at: null,
          next_attempt_at: d.at,
          last_response_status: null,
          last_error: null
        })
        break
      }
      case "DeliveryCancelled": {
        const d = data<DeliveryCancelled>(event)
        apply(d.deliveryId, {
          status: "cancelled",
          attempt: false,
          last_attempt_at: null,
          next_attempt_at: null,
          last_response_status: null,
          last_error: `cancelled: ${d.reason}`.slice(0, 500)
        })
        break
      }
      case "CircuitOpened":
      case "CircuitHalfOpened":
      case "CircuitClosed": {
        const d = event.data as { webhookId: string; at: string; until?: string }
        const h = healthOf(d.webhookId)
        h.circuit_state = event.type === "CircuitOpened" ? "open" : event.type === "CircuitHalfOpened" ? "half_open" : "closed"
        h.circuit_since = d.at
        h.circuit_until = d.until ?? null
        break
      }
    }
  }
  return {
    inserts: [...inserts.values()],
    patches: [...patches.values()],
    health: [...health.values()],
    hours: [...hours.values()]
  }
}

export const deliveriesProjectionName = "deliveries"

export const deliveriesProjection: Projection = {
  name: deliveriesProjectionName,
  // 2: the account-wide delivery log's index. 3: attempts counted across redeliveries, what starts the
  // next one, cancellation, circuit since when, attempts by the hour; written inline, in the transaction
  // of each append that carries these events (the recorder's, the dispatcher's, a redelivery's).
  version: 3,
  inline: true,
  eventTypes: ["DeliveriesScheduled", ...deliveryEventTypes, ...endpointEventTypes],
  // An attempt's request and response are read from its stream when asked for, never here.
  omitFields: ["requestHeaders", "response", "url"],
  tables: ["deliveries", "deliveries_due", "endpoint_health", "endpoint_attempts_hourly"],
  createTables: (t) => [
    `CREATE TABLE ${t("deliveries")} (
       delivery_id text PRIMARY KEY,
       webhook_id text NOT NULL,
       account_id text NOT NULL,
       event_id text NOT NULL,
       event_type text NOT NULL,
       status text NOT NULL,
       attempts integer NOT NULL,
       schedule_base integer NOT NULL,
       next_trigger text NOT NULL,
       created_at timestamptz NOT NULL,
       last_attempt_at timestamptz,
       next_attempt_at timestamptz,
       last_response_status integer,
       last_error text,
       seq bigint NOT NULL)
     WITH (fillfactor = 50)`,
    `CREATE INDEX ${t("deliveries")}_by_webhook ON ${t("deliveries")} (webhook_id, seq DESC, delivery_id DESC)`,
    `CREATE INDEX ${t("deliveries")}_by_account ON ${t("deliveries")} (account_id, seq DESC, delivery_id DESC)`,
    `CREATE INDEX ${t("deliveries")}_by_event ON ${t("deliveries")} (event_id)`,
    // What is still to be delivered, apart: no index of the delivery log names a column an outcome changes
    // (status, next attempt), so recording one updates its row in place (a HOT update), not five indexes
    // again. HOT needs room on the row's page: 500 deliveries inserted then delivered made 242 HOT updates
    // at fill factor 85, 304 at 70 and all 500 at 50, and the table was no bigger at 50 (the others' moved
    // rows bloat it instead). A row here lives from scheduling to the last outcome.
    `CREATE TABLE ${t("deliveries_due")} (
       delivery_id text PRIMARY KEY,
       webhook_id text NOT NULL,
       next_attempt_at timestamptz NOT NULL,
       -- Never attempted nor asked for again: the dispatcher's to hand over first (see the scanner).
       fresh boolean NOT NULL)`,
    `CREATE INDEX ${t("deliveries_due")}_by_time ON ${t("deliveries_due")} (next_attempt_at)`,
    `CREATE INDEX ${t("deliveries_due")}_by_webhook ON ${t("deliveries_due")} (webhook_id)`,
    `CREATE TABLE ${t("endpoint_health")} (
       webhook_id text PRIMARY KEY,
       successes bigint NOT NULL DEFAULT 0,
       failures bigint NOT NULL DEFAULT 0,
       consecutive_failures integer NOT NULL DEFAULT 0,
       last_success_at timestamptz,
       last_failure_at timestamptz,
       first_failure_at timestamptz,
       circuit_state text NOT NULL DEFAULT 'closed',
       circuit_since timestamptz,
       circuit_until timestamptz)`,
    `CREATE TABLE ${t("endpoint_attempts_hourly")} (
       webhook_id text NOT NULL,
       hour timestamptz NOT NULL,
       successes integer NOT NULL,
       failures integer NOT NULL,
       PRIMARY KEY (webhook_id, hour))`
  ],
  apply: (events, t) =>
    Effect.gen(function* () {
      const sql = yield* SqlClient
      const { inserts, patches, health, hours } = fold(events)
      if (inserts.length > 0) {
        yield* sql.unsafe(
          `WITH x AS (
             INSERT INTO ${t("deliveries")}
             SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(delivery_id text, webhook_id text, account_id text,
               event_id text, event_type text, status text, attempts integer, schedule_base integer,
               next_trigger text, created_at timestamptz,
               last_attempt_at timestamptz, next_attempt_at timestamptz, last_response_status integer,
               last_error text, seq bigint)
             ON CONFLICT (delivery_id) DO NOTHING
             RETURNING delivery_id, webhook_id, status, attempts, next_attempt_at)
           INSERT INTO ${t("deliveries_due")}
           SELECT delivery_id, webhook_id, next_attempt_at, status = 'pending' AND attempts = 0 FROM x
            WHERE status IN ('pending', 'retrying')`,
          [JSON.stringify(inserts)]
        )
      }
      if (patches.length > 0) {
        yield* sql.unsafe(
          // Same rules as `nextStatus` and `apply` above, for the rows written before this batch.
          `WITH changed AS (UPDATE ${t("deliveries")} AS d SET
             status = CASE WHEN d.status = 'cancelled' AND u.status IN ('retrying', 'exhausted') THEN d.status
                           ELSE u.status END,
             attempts = d.attempts + u.attempts_added,
             schedule_base = CASE WHEN u.base_added IS NULL THEN d.schedule_base ELSE d.attempts + u.base_added END,
             next_trigger = CASE WHEN u.base_added IS NULL AND u.attempts_added = 0 THEN d.next_trigger
                                 ELSE u.next_trigger END,
             last_attempt_at = coalesce(u.last_attempt_at, d.last_attempt_at),
             next_attempt_at = CASE WHEN d.status = 'cancelled' AND u.status IN ('retrying', 'exhausted') THEN NULL
                                    ELSE u.next_attempt_at END,
             last_response_status = coalesce(u.last_response_status, d.last_response_status),
             last_error = u.last_error
           FROM jsonb_to_recordset($1::jsonb) AS u(delivery_id text, status text, attempts_added integer,
             base_added integer, next_trigger text, last_attempt_at timestamptz, next_attempt_at timestamptz,
             last_response_status integer, last_error text)
           WHERE d.delivery_id = u.delivery_id AND d.delivery_id = ANY($2::text[])
           RETURNING d.delivery_id, d.webhook_id, d.status, d.attempts, d.next_attempt_at),
           ended AS (DELETE FROM ${t("deliveries_due")} AS q USING changed AS c
                      WHERE q.delivery_id = c.delivery_id AND c.status NOT IN ('pending', 'retrying'))
           INSERT INTO ${t("deliveries_due")} AS q
           SELECT delivery_id, webhook_id, next_attempt_at, status = 'pending' AND attempts = 0 FROM changed
            WHERE status IN ('pending', 'retrying')
           ON CONFLICT (delivery_id) DO UPDATE SET next_attempt_at = excluded.next_attempt_at, fresh = excluded.fresh`,
          // The key list makes the planner look the rows up by key: joined to jsonb_to_recordset alone
          // (assumed 100 rows) it scanned the whole table on every batch.
          [JSON.stringify(patches), patches.map((p) => p.delivery_id)]
        )
      }
      if (health.length > 0) {
        yield* sql.unsafe(
          `INSERT INTO ${t("endpoint_health")} AS e (webhook_id, successes, failures, consecutive_failures,
             last_success_at, last_failure_at, first_failure_at, circuit_state, circuit_since, circuit_until)
           SELECT h.webhook_id, h.successes, h.failures, h.trailing_failures, h.last_success_at, h.last_failure_at,
                  h.first_failure_at, coalesce(h.circuit_state, 'closed'), h.circuit_since, h.circuit_until
             FROM jsonb_to_recordset($1::jsonb) AS h(webhook_id text, successes bigint, failures bigint,
               trailing_failures integer, reset boolean, last_success_at timestamptz, last_failure_at timestamptz,
               first_failure_at timestamptz, circuit_state text, circuit_since timestamptz, circuit_until timestamptz)
           ON CONFLICT (webhook_id) DO UPDATE SET
             successes = e.successes + excluded.successes,
             failures = e.failures + excluded.failures,
             consecutive_failures = CASE WHEN excluded.last_success_at IS NOT NULL THEN excluded.consecutive_failures
                                         ELSE e.consecutive_failures + excluded.consecutive_failures END,
             last_success_at = coalesce(excluded.last_success_at, e.last_success_at),
             last_failure_at = coalesce(excluded.last_failure_at, e.last_failure_at),
             first_failure_at = CASE WHEN excluded.last_success_at IS NOT NULL THEN excluded.first_failure_at
                                     ELSE coalesce(e.first_failure_at, excluded.first_failure_at) END,
             circuit_state = e.circuit_state,
             circuit_since = e.circuit_since,
             circuit_until = e.circuit_until`,
          [JSON.stringify(health)]
        )
        // Circuit transitions replace the state; counts above only add.
        const circuits = health.filter((h) => h.circuit_state !== null)
        if (circuits.length > 0) {
          yield* sql.unsafe(
            `UPDATE ${t("endpoint_health")} AS e SET circuit_state = c.circuit_state, circuit_since = c.circuit_since,
                    circuit_until = c.circuit_until
               FROM jsonb_to_recordset($1::jsonb) AS c(webhook_id text, circuit_state text, circuit_since timestamptz,
                 circuit_until timestamptz)
              WHERE e.webhook_id = c.webhook_id`,
            [JSON.stringify(circuits)]
          )
        }
      }
      if (hours.length > 0) {
        yield* sql.unsafe(
          `INSERT INTO ${t("endpoint_attempts_hourly")} AS a (webhook_id, hour, successes, failures)
           SELECT h.webhook_id, h.hour, h.successes, h.failures
             FROM jsonb_to_recordset($1::jsonb) AS h(webhook_id text, hour timestamptz, successes integer, failures integer)
           ON CONFLICT (webhook_id, hour) DO UPDATE SET
             successes = a.successes + excluded.successes,
             failures = a.failures + excluded.failures`,
          [JSON.stringify(hours)]
        )
      }
    })
}
