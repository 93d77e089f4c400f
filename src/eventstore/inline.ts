import { Context, type Effect } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import type { RecordedEvent } from "./types.js"

/**
 * A read model kept in the writer's transaction (Marten's and Emmett's "inline" projections): every
 * append that carries one of its event types applies them, with the events still in memory, in the same
 * transaction as the append. Nothing reads them back from the log while it is live; a rebuild derives it
 * from the log alone, with the same `apply`.
 *
 * The hand-over from a rebuilt generation is safe because writers hold a shared lock on the read model
 * for their whole transaction, and the runner takes it exclusively to apply the last events and switch
 * generations (see ProjectionRunner). Every writer of these event types must therefore be an EventStore
 * given the same read models, as every Hookline process is.
 */
export interface InlineReadModel {
  readonly name: string
  readonly version: number
  readonly eventTypes: ReadonlyArray<string>
  /** Applies events to one generation's tables. */
  readonly apply: (events: ReadonlyArray<RecordedEvent>, generation: number) => Effect.Effect<void, SqlError, SqlClient>
}

export class InlineReadModels extends Context.Service<InlineReadModels, ReadonlyArray<InlineReadModel>>()(
  "hookline/InlineReadModels"
) {}

/** The advisory lock of a read model: shared by its inline writers, exclusive for the runner's switch. */
export const readModelLockKey = (name: string): string => `hookline-projection:${name}`
