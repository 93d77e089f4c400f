/**
 * A point in the log. Readers order and checkpoint by this pair, never by the position alone:
 * sequence values commit out of order, transaction ids below the snapshot's xmin do not.
 */
export interface LogPosition {
  readonly transactionId: bigint
  readonly globalPosition: bigint
}

export const LogPosition = {
  start: { transactionId: 0n, globalPosition: 0n } as LogPosition,
  /** Negative, zero or positive as `a` is before, at or after `b` in log order. */
  compare: (a: LogPosition, b: LogPosition): number =>
    a.transactionId < b.transactionId
      ? -1
      : a.transactionId > b.transactionId
        ? 1
        : a.globalPosition < b.globalPosition
          ? -1
          : a.globalPosition > b.globalPosition
            ? 1
            : 0,
  /** The later of two positions (the first when they are equal). */
  later: (a: LogPosition, b: LogPosition): LogPosition => (LogPosition.compare(b, a) > 0 ? b : a),
  /** A cursor as the API shows it: opaque to clients, exact for us. */
  format: (p: LogPosition): string => `${p.transactionId}:${p.globalPosition}`,
  parse: (text: string): LogPosition | undefined => {
    const match = /^(\d{1,20}):(\d{1,20})$/.exec(text)
    return match === null
      ? undefined
      : { transactionId: BigInt(match[1]!), globalPosition: BigInt(match[2]!) }
  }
}

/**
 * How often a reader of the log (a projection, the dispatcher) stores a checkpoint that only passed events
 * it had nothing to do with. Storing each one cost a transaction per commit of anyone's; a restart reads
 * such a range again, through the index by type, and again finds nothing to do.
 */
const idleCheckpointMs = 1_000

/**
 * A reader's stored checkpoint, which its position in memory runs ahead of over events it had nothing to
 * do with. Owned by the reader's one fiber.
 */
export interface StoredCheckpoint {
  /** The checkpoint as stored: what a compare-and-set on it must compare against. */
  readonly position: () => LogPosition
  /** `to` is the stored checkpoint now (written by this reader, or found written by another). */
  readonly storedAs: (to: LogPosition) => void
  /** Whether a position that passed nothing is worth storing now: past the stored one, a second later. */
  readonly idleDue: (to: LogPosition) => boolean
}

export const makeStoredCheckpoint = (at: LogPosition): StoredCheckpoint => {
  let stored = at
  let storedAt = Date.now()
  return {
    position: () => stored,
    storedAs: (to) => {
      stored = to
      storedAt = Date.now()
    },
    idleDue: (to) => LogPosition.compare(to, stored) > 0 && Date.now() - storedAt >= idleCheckpointMs
  }
}

/** Who caused an event and in answer to what: carried by every event. */
export interface EventMetadata {
  readonly actor?: {
    readonly kind: "account" | "operator" | "system"
    readonly accountId?: string
    readonly keyId?: string
  }
  readonly correlationId?: string
  readonly causationId?: string
  readonly [key: string]: unknown
}

export interface NewEvent {
  /** Unique across the log; appending the same id again returns the original position. */
  readonly eventId: string
  readonly type: string
  readonly schemaVersion?: number
  /** JSON-encodable payload. */
  readonly data: unknown
  readonly metadata?: EventMetadata
}

export interface RecordedEvent {
  readonly eventId: string
  readonly streamId: string
  readonly streamVersion: number
  readonly type: string
  readonly schemaVersion: number
  readonly data: unknown
  readonly metadata: EventMetadata
  readonly position: LogPosition
  readonly recordedAt: Date
}

/** `"any"`: no check; `"no_stream"`: the stream must be empty; a number: its exact current version. */
/**
 * `"any"`: no check; `"no_stream"`: the stream must be empty; a number: its exact current version;
 * `"new_or_any"`: most likely a new stream, appended without looking its version up, and appended as
 * `"any"` if it exists after all (a delivery's first attempt: its stream is new unless a request or a
 * cancellation came first).
 */
export type ExpectedVersion = "any" | "no_stream" | "new_or_any" | number

export interface StreamAppend {
  readonly streamId: string
  readonly expectedVersion: ExpectedVersion
  readonly events: ReadonlyArray<NewEvent>
}

export interface AppendedEvent {
  readonly eventId: string
  readonly streamVersion: number
  readonly position: LogPosition
}

export interface AppendResult {
  readonly streamId: string
  readonly events: ReadonlyArray<AppendedEvent>
  /** The stream's version after this append: the expected version for the next one. */
  readonly nextExpectedVersion: number
  /** True when every event was already stored by an earlier append with the same ids. */
  readonly duplicate: boolean
}
