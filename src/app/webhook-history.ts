import { Context, Effect, Layer } from "effect"
import { Streams, Webhook, WebhookNotFound } from "../domain/index.js"
import { EventStore } from "../eventstore/event-store.js"
import type { EventStoreUnavailable } from "../eventstore/errors.js"
import type { EventMetadata } from "../eventstore/types.js"
import { loadAggregate } from "./aggregate.js"
import { webhookCodec } from "../domain/codecs.js"

/** One audited change: when, by whom, what. Built from `describeChange`, so secrets never appear. */
export interface HistoryEntry {
  readonly version: number
  readonly at: Date
  readonly actor: NonNullable<EventMetadata["actor"]> | { readonly kind: "unknown" }
  readonly correlationId: string | null
  readonly change: Webhook.WebhookChange
}

export interface HistoryPage {
  readonly entries: ReadonlyArray<HistoryEntry>
  readonly more: boolean
}

export interface WebhookHistoryShape {
  /**
   * The webhook's events after `afterVersion`, oldest first. Read from the stream itself (always
   * current, and kept after deletion); another account's webhook is as absent as a missing one.
   */
  readonly page: (
    accountId: string,
    webhookId: string,
    afterVersion: number,
    limit: number
  ) => Effect.Effect<HistoryPage, WebhookNotFound | EventStoreUnavailable>
}

export class WebhookHistory extends Context.Service<WebhookHistory, WebhookHistoryShape>()("hookline/WebhookHistory") {
  static readonly layer = Layer.effect(
    WebhookHistory,
    Effect.gen(function* () {
      const store = yield* EventStore
      return WebhookHistory.of({
        page: (accountId, webhookId, afterVersion, limit) =>
          Effect.gen(function* () {
            const loaded = yield* loadAggregate(Streams.webhookStream(webhookId), webhookCodec, (events) => ({
              state: Webhook.fold(events),
              events: Array.from(events)
            })).pipe(Effect.provideService(EventStore, store))
            const state = loaded.state.state
            if (state.status === "none" || state.accountId !== accountId) {
              return yield* new WebhookNotFound({ webhookId })
            }
            const entries = loaded.events
              .map((recorded, index): HistoryEntry => ({
                version: recorded.streamVersion,
                at: recorded.recordedAt,
                actor: recorded.metadata.actor ?? { kind: "unknown" },
                correlationId: recorded.metadata.correlationId ?? null,
                change: Webhook.describeChange(loaded.state.events[index]!)
              }))
              .filter((entry) => entry.version > afterVersion)
            return { entries: entries.slice(0, limit), more: entries.length > limit }
          })
      })
    })
  )
}
