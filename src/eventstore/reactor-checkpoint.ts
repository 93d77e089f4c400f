import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { LogPosition } from "./types.js"

/**
 * Where a reactor stands, created at the start of the log the first time: the position that
 * `EventStore.appendAdvancingReactor` moves, together with what the reactor appends.
 */
export const loadReactorCheckpoint = (reactor: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    yield* sql`INSERT INTO reactor_checkpoints (name) VALUES (${reactor}) ON CONFLICT (name) DO NOTHING`
    const rows = yield* sql<{ transaction_id: string; global_position: string }>`
      SELECT transaction_id::text AS transaction_id, global_position::text AS global_position
        FROM reactor_checkpoints WHERE name = ${reactor}`
    const row = rows[0]!
    return { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) } satisfies LogPosition
  })
