import { Duration, Effect, Either, Schedule } from "effect"
import { webhookCodec } from "../domain/codecs.js"
import { webhookStream } from "../domain/streams.js"
import * as Webhook from "../domain/webhook.js"
import type { EventStoreShape } from "../eventstore/event-store.js"
import type { RecordedEvent } from "../eventstore/types.js"
import { makeWebhookIndex, type WebhookIndex } from "./webhook-index.js"

/**
 * The runtime's view of the webhooks at the head of the log: the routes of all of them, and the full
 * settings (URL, headers, secrets, policy) of those an endpoint actor is working for. Settings are read
 * from the webhook's stream when its actor starts and then kept current by the same events that move
 * the routes, so a change reaches a running actor without a restart; a quiet webhook costs a route.
 */
export interface WebhookDirectory {
  readonly routes: WebhookIndex
  /** Folds one webhook event of the log; false when it does not decode. */
  readonly apply: (event: RecordedEvent) => boolean
  /** The settings of a loaded webhook, current; undefined when not loaded, or deleted. */
  readonly settings: (webhookId: string) => Webhook.Webhook | undefined
  /** Loads a webhook's settings (retrying while the database is away) and keeps them until `unload`. */
  readonly load: (webhookId: string) => Effect.Effect<void>
  readonly unload: (webhookId: string) => void
}

interface Loaded {
  state: Webhook.WebhookState
  version: number
  holders: number
}

export const makeWebhookDirectory = (store: Pick<EventStoreShape, "readStream">): WebhookDirectory => {
  const routes = makeWebhookIndex()
  const loaded = new Map<string, Loaded>()

  const apply = (recorded: RecordedEvent): boolean => {
    const decoded = webhookCodec.decode(recorded)
    if (Either.isLeft(decoded)) return false
    const webhookId = recorded.streamId.slice("webhook-".length)
    routes.applyDecoded(webhookId, recorded.streamVersion, decoded.right)
    const entry = loaded.get(webhookId)
    // Events up to the loaded version are in the state already (the stream read ran ahead of the log).
    if (entry !== undefined && recorded.streamVersion > entry.version) {
      entry.state = Webhook.evolve(entry.state, decoded.right)
      entry.version = recorded.streamVersion
    }
    return true
  }

  /** The webhook's state from its stream, and the version it reflects. */
  const readSettings = (webhookId: string) =>
    Effect.map(store.readStream(webhookStream(webhookId)), (events) => {
      let state: Webhook.WebhookState = Webhook.initialState
      let version = 0
      for (const event of events) {
        const decoded = webhookCodec.decode(event)
        if (Either.isRight(decoded)) state = Webhook.evolve(state, decoded.right)
        version = event.streamVersion
      }
      return { state, version }
    })

  const load = (webhookId: string): Effect.Effect<void> =>
    Effect.suspend(() => {
      const entry = loaded.get(webhookId)
      if (entry !== undefined) {
        entry.holders++
        return Effect.void
      }
      return readSettings(webhookId).pipe(
        Effect.tapError((error) => Effect.logWarning(`could not load webhook ${webhookId}; retrying`, error)),
        Effect.retry(Schedule.exponential(Duration.millis(100)).pipe(Schedule.union(Schedule.spaced(Duration.seconds(5))))),
        Effect.orDie,
        Effect.flatMap(({ state, version }) => {
          const raced = loaded.get(webhookId)
          if (raced !== undefined) {
            // Another actor of the same webhook loaded it meanwhile; its copy is followed already.
            raced.holders++
            return Effect.void
          }
          // The follower applied events past what was read, before the entry existed to take them:
          // read again. (Behind is fine: later events will be applied to the entry.)
          const followed = routes.get(webhookId)?.version ?? routes.deletedAt(webhookId) ?? 0
          if (followed > version) return load(webhookId)
          loaded.set(webhookId, { state, version, holders: 1 })
          return Effect.void
        })
      )
    })

  const unload = (webhookId: string) => {
    const entry = loaded.get(webhookId)
    if (entry === undefined) return
    entry.holders--
    if (entry.holders <= 0) loaded.delete(webhookId)
  }

  const settings = (webhookId: string) => {
    const state = loaded.get(webhookId)?.state
    return state === undefined || state.status === "none" || state.status === "deleted" ? undefined : state
  }

  return { routes, apply, settings, load, unload }
}
