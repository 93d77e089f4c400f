import { Duration, Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { ApiKeyCache } from "./api-key-cache.js"

/** How often the last uses noted in memory are written: a key's `lastUsedAt` lags by at most this. */
export const keyUsageFlushInterval = Duration.minutes(1)

/** Writes the noted last uses; a later use already written (by another process) is kept. */
export const flushKeyUsage = Effect.gen(function* () {
  const cache = yield* ApiKeyCache
  const sql = yield* SqlClient
  const used = cache.takeUsed()
  if (used.size === 0) return
  const rows = [...used].map(([key_id, at]) => ({ key_id, last_used_at: new Date(at).toISOString() }))
  yield* sql.unsafe(
    `INSERT INTO api_key_usage (key_id, last_used_at)
     SELECT key_id, last_used_at FROM jsonb_to_recordset($1::jsonb) AS u(key_id text, last_used_at timestamptz)
     ON CONFLICT (key_id) DO UPDATE SET last_used_at = greatest(api_key_usage.last_used_at, excluded.last_used_at)`,
    [JSON.stringify(rows)]
  )
})

/** Flushes once a minute and once more when the process stops; a failed flush is logged, never fatal. */
export const KeyUsageLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const flush = flushKeyUsage.pipe(
      Effect.catch((error) => Effect.logWarning("could not record API key usage", error))
    )
    // Bounded: a stop must not wait on a database that does not answer.
    yield* Effect.addFinalizer(() => Effect.ignore(Effect.timeout(flush, "1 second")))
    yield* flush.pipe(Effect.repeat(Schedule.spaced(keyUsageFlushInterval)), Effect.forkScoped)
  })
)
