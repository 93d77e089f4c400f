import { Context, Effect, Layer, Result } from "effect"
import { endpointCodec, webhookCodec } from "../domain/codecs.js"
import { type CircuitChange, describeCircuitChange } from "../domain/delivery.js"
import { Streams, Webhook, WebhookNotFound } from "../domain/index.js"
import { EventStore } from "../eventstore/event-store.js"
import type { EventStoreUnavailable } from "../eventstore/errors.js"
import { type EventMetadata, LogPosition } from "../eventstore/types.js"
import { loadAggregate } from "./aggregate.js"

/**
 * One audited change: when, by whom, what. Built from `describeChange` and `describeCircuitChange`, so
 * secrets never appear.
 */
export interface HistoryEntry {
  /** Where it is in the log: the order of the history, and its cursor. */
  readonly position: LogPosition
  /** The webhook stream's version; null for a circuit transition (recorded in the endpoint's stream). */
  readonly version: number | null
  readonly at: Date
  readonly actor: NonNullable<EventMetadata["actor"]> | { readonly kind: "unknown" }
  readonly correlationId: string | null
  readonly change: Webhook.WebhookChange | CircuitChange
}

export interface HistoryPage {
  readonly entries: ReadonlyArray<HistoryEntry>
  readonly more: boolean
}

/** Where a page starts: after a log position, or (cursors given before circuits were in it) a version. */
export type HistoryCursor = { readonly position: LogPosition } | { readonly version: number }

export interface WebhookHistoryShape {
  /**
   * The webhook's changes after `after`, oldest first: its own events and its endpoint's circuit
   * transitions, in log order. Read from the streams themselves (always current, and kept after
   * deletion); another account's webhook is as absent as a missing one.
   */
  readonly page: (
    accountId: string,
    webhookId: string,
    after: HistoryCursor | undefined,
    limit: number
  ) => Effect.Effect<HistoryPage, WebhookNotFound | EventStoreUnavailable>
}

export class WebhookHistory extends Context.Service<WebhookHistory, WebhookHistoryShape>()("hookline/WebhookHistory") {
  static readonly layer = Layer.effect(
    WebhookHistory,
    Effect.gen(function* () {
      const store = yield* EventStore
      return WebhookHistory.of({
        page: (accountId, webhookId, after, limit) =>
          Effect.gen(function* () {
            const loaded = yield* loadAggregate(Streams.webhookStream(webhookId), webhookCodec, (events) => ({
              state: Webhook.fold(events),
              events: Array.from(events)
            })).pipe(Effect.provideService(EventStore, store))
            const state = loaded.state.state
            if (state.status === "none" || state.accountId !== accountId) {
              return yield* new WebhookNotFound({ webhookId })
            }
            const entries: Array<HistoryEntry> = loaded.events.map((recorded, index) => ({
              position: recorded.position,
              version: recorded.streamVersion,
              at: recorded.recordedAt,
              actor: recorded.metadata.actor ?? { kind: "unknown" },
              correlationId: recorded.metadata.correlationId ?? null,
              change: Webhook.describeChange(loaded.state.events[index]!)
            }))
            for (const recorded of yield* store.readStream(Streams.endpointStream(webhookId))) {
              const decoded = endpointCodec.decode(recorded)
              if (Result.isFailure(decoded)) continue
              entries.push({
                position: recorded.position,
                version: null,
                at: recorded.recordedAt,
                actor: recorded.metadata.actor ?? { kind: "system" },
                correlationId: recorded.metadata.correlationId ?? null,
                change: describeCircuitChange(decoded.success)
              })
            }
            entries.sort((a, b) => LogPosition.compare(a.position, b.position))
            const from = after === undefined
              ? 0
              : "position" in after
              ? entries.findIndex((e) => LogPosition.compare(e.position, after.position) > 0)
              : entries.findIndex((e) => e.version !== null && e.version > after.version)
            const rest = from < 0 ? [] : entries.slice(from)
            return { entries: rest.slice(0, limit), more: rest.length > limit }
          })
      })
    })
  )
}
