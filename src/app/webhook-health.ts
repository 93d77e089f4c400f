import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

/**
 * A webhook's health as its owner needs it to act: whether its endpoint is being sent to (the circuit),
 * how it has been answering, and what waits. Read from the delivery projection, which follows the
 * circuit's transitions in the log, so every process shows the same.
 */
export interface WebhookHealth {
  readonly circuit: {
    readonly state: "closed" | "open" | "half_open"
    /** When it entered that state; null when it never left closed. */
    readonly since: string | null
    /** Open: when the next probe may go. Half-open: null, the probe is out or goes with the next delivery. */
    readonly nextProbeAt: string | null
  }
  /** Failed attempts since the last success. */
  readonly consecutiveFailures: number
  /** The first failure of the current failing streak; null when the last attempt succeeded. */
  readonly failingSince: string | null
  /** Deliveries still to be made: pending, retrying or waiting. */
  readonly backlog: number
  readonly lastSuccessAt: string | null
  readonly lastFailureAt: string | null
  /** Attempts over the last 24 hours, counted by the hour; `successRate` is null when there were none. */
  readonly last24h: { readonly succeeded: number; readonly failed: number; readonly successRate: number | null }
}

export interface HealthRow {
  readonly circuit_state: string | null
  readonly circuit_since: Date | null
  readonly circuit_until: Date | null
  readonly consecutive_failures: number | null
  readonly first_failure_at: Date | null
  readonly last_success_at: Date | null
  readonly last_failure_at: Date | null
  readonly backlog: string
  readonly succeeded: string
  readonly failed: string
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString())

const circuitState = (state: string | null): WebhookHealth["circuit"]["state"] =>
  state === "open" || state === "half_open" ? state : "closed"

/** The view of one row; a webhook that never had an attempt has no endpoint row (all nulls). */
export const toHealth = (row: HealthRow): WebhookHealth => {
  const state = circuitState(row.circuit_state)
  const succeeded = Number(row.succeeded)
  const failed = Number(row.failed)
  return {
    circuit: {
      state,
      since: iso(row.circuit_since),
      nextProbeAt: state === "open" ? iso(row.circuit_until) : null
    },
    consecutiveFailures: row.consecutive_failures ?? 0,
    failingSince: iso(row.first_failure_at),
    backlog: Number(row.backlog),
    lastSuccessAt: iso(row.last_success_at),
    lastFailureAt: iso(row.last_failure_at),
    last24h: {
      succeeded,
      failed,
      successRate: succeeded + failed === 0 ? null : Math.round((succeeded / (succeeded + failed)) * 10_000) / 10_000
    }
  }
}

/** The health of a webhook the caller already knows to exist (ownership is checked before). */
export const webhookHealth = (webhookId: string) =>
  Effect.flatMap(SqlClient, (sql) =>
    Effect.map(
      sql<HealthRow>`
        SELECT e.circuit_state, e.circuit_since, e.circuit_until, e.consecutive_failures, e.first_failure_at,
               e.last_success_at, e.last_failure_at,
               (SELECT count(*) FROM deliveries_due WHERE webhook_id = ${webhookId})::text AS backlog,
               coalesce(a.succeeded, 0)::text AS succeeded, coalesce(a.failed, 0)::text AS failed
          FROM (SELECT 1) AS one
          LEFT JOIN endpoint_health e ON e.webhook_id = ${webhookId}
          LEFT JOIN (SELECT sum(successes) AS succeeded, sum(failures) AS failed FROM endpoint_attempts_hourly
                      WHERE webhook_id = ${webhookId} AND hour > now() - interval '24 hours') a ON true`,
      (rows) => toHealth(rows[0]!)
    )
  )
