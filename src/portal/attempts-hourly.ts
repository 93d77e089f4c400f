import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

/** Attempts of one webhook in one hour, as the portal's 24-hour chart draws them. */
export interface HourlyAttempts {
  readonly hour: string
  readonly succeeded: number
  readonly failed: number
}

/**
 * The last 24 hours of a webhook the caller already owns, from the delivery projection's hourly counts
 * (the same rows the health's `last24h` sums), oldest first; hours without attempts are absent.
 */
export const attemptsHourly = (webhookId: string) =>
  Effect.flatMap(SqlClient, (sql) =>
    Effect.map(
      sql<{ readonly hour: Date; readonly successes: number; readonly failures: number }>`
        SELECT hour, successes, failures FROM endpoint_attempts_hourly
         WHERE webhook_id = ${webhookId} AND hour > now() - interval '24 hours'
         ORDER BY hour`,
      (rows): ReadonlyArray<HourlyAttempts> =>
        rows.map((row) => ({
          hour: new Date(row.hour).toISOString(),
          succeeded: Number(row.successes),
          failed: Number(row.failures)
        }))
    )
  )
