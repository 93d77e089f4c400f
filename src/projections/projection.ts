import type { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import type { Effect } from "effect"
import type { RecordedEvent } from "../eventstore/types.js"

/**
 * The physical name of one of a projection's tables in one generation. Readers use the stable name
 * (a view onto the active generation); the runner writes to the generation's own tables, so a rebuild
 * fills new tables while the old ones keep serving.
 */
export type TableName = (table: string) => string

export const generationTable = (table: string, generation: number): string => `${table}_g${generation}`

/**
 * A read model derived from the log. `apply` runs inside the runner's transaction, together with the
 * checkpoint advance, so a batch is applied entirely or not at all. It must be deterministic: a
 * rebuild replays the same events and must produce the same rows. Reactors (anything that sends HTTP)
 * are not projections.
 */
export interface Projection {
  readonly name: string
  /**
   * Bump to rebuild from the start into new tables at the next start-up. Bump it too when a projection
   * becomes `inline`: its new generation is then built from the log and handed to the writers at the switch.
   */
  readonly version: number
  /**
   * Applied by the writers, in the transaction of every append that carries its event types, instead of
   * by the runner reading them back from the log (see eventstore/inline.ts). The runner still builds a new
   * generation from the log, and applies the last events under the read model's lock at the switch.
   */
  readonly inline?: boolean
  /** The event types it reads; the runner skips every other event in SQL. */
  readonly eventTypes: ReadonlyArray<string>
  /** Payload fields it never reads (large ones): not sent from the database at all. */
  readonly omitFields?: ReadonlyArray<string>
  /** Stable names of its tables; each becomes a view onto the active generation. */
  readonly tables: ReadonlyArray<string>
  /** DDL creating one generation's tables (and their indexes), by physical name. */
  readonly createTables: (table: TableName) => ReadonlyArray<string>
  readonly apply: (
    events: ReadonlyArray<RecordedEvent>,
    table: TableName
  ) => Effect.Effect<void, SqlError, SqlClient>
}
