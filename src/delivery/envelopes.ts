import { SqlClient } from "effect/sql/SqlClient"
import { Context, Effect, Layer } from "effect"
import { eventStream } from "../domain/streams.js"

/** What a receiver's body is made of. */
export interface EnvelopeSource {
  readonly eventId: string
  readonly type: string
  readonly occurredAt: string
  readonly data: unknown
}

/** The JSON body every receiver gets: `{id, type, timestamp, data}`. */
export const envelope = (event: EnvelopeSource) =>
  JSON.stringify({ id: event.eventId, type: event.type, timestamp: event.occurredAt, data: event.data })

/**
 * A published event as the dispatcher needs it. Serialised only when the event has deliveries (most
 * events of most accounts have no webhook), once for all of them.
 */
export interface Envelope {
  readonly source: EnvelopeSource
  readonly correlationId: string | undefined
}

/**
 * Bodies of the events this process has just published, handed to its dispatcher in memory. The
 * dispatcher still learns of events from the log, in log order and only once they are readable; what it
 * no longer does is fetch and parse every payload back from the database that the publisher had in
 * hand a few milliseconds earlier (DESIGN: no re-parsing of payloads on the hot path). An event the
 * cache does not hold (published by another process, or before a restart, or pushed out) is read from
 * the log instead.
 */
export interface EnvelopeCacheShape {
  /** Only for an event whose append committed as new: a rejected or repeated publish must never land here. */
  readonly put: (eventId: string, envelope: Envelope) => void
  /** Takes the event's envelope out of the cache. */
  readonly take: (eventId: string) => Envelope | undefined
}

export class EnvelopeCache extends Context.Service<EnvelopeCache, EnvelopeCacheShape>()("hookline/EnvelopeCache") {}

/** About 10 MB of 1 KB bodies: the dispatcher takes them within milliseconds; more means it is far behind. */
const maxEntries = 10_000

export const makeEnvelopeCache = (capacity: number = maxEntries): EnvelopeCacheShape => {
  // A Map iterates in insertion order: the first key is the oldest entry.
  const entries = new Map<string, Envelope>()
  return {
    put: (eventId, value) => {
      entries.set(eventId, value)
      if (entries.size > capacity) entries.delete(entries.keys().next().value!)
    },
    take: (eventId) => {
      const value = entries.get(eventId)
      if (value !== undefined) entries.delete(eventId)
      return value
    }
  }
}

export const EnvelopeCacheLive = Layer.sync(EnvelopeCache, () => makeEnvelopeCache())

/** The envelopes of published events, read from the log in one query (what the cache does not hold). */
export const loadEnvelopes = (eventIds: ReadonlyArray<string>) =>
  Effect.flatMap(SqlClient, (sql) =>
    Effect.map(
      sql.unsafe<{
        data: { eventId: string; type: string; occurredAt: string; data: unknown }
        metadata: { correlationId?: string }
      }>(
        // EventPublished is always the first event of its stream: an exact key, looked up by index.
        `SELECT data, metadata FROM events
          WHERE stream_id = ANY($1::text[]) AND stream_version = 1 AND event_type = 'EventPublished'`,
        [eventIds.map((id) => eventStream(id))]
      ),
      (rows) =>
        new Map<string, Envelope>(rows.map((r) => [r.data.eventId, { source: r.data, correlationId: r.metadata.correlationId }]))
    )
  )
