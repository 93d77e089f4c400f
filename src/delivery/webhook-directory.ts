import { Duration, Effect, Result, Schedule } from "effect"
import { webhookCodec } from "../domain/codecs.js"
import { idInStream, webhookStream } from "../domain/streams.js"
import * as Webhook from "../domain/webhook.js"
import type { EventStoreShape } from "../eventstore/event-store.js"
import type { RecordedEvent } from "../eventstore/types.js"
import { statusAfter } from "./webhook-index.js"

/**
 * The runtime's view of the webhooks at the head of the log: the status of all of them, and the full
 * settings (URL, headers, secrets, policy) of those an endpoint actor is working for. Settings are read
 * from the webhook's stream when its actor starts, and read again when the follower passes a later
 * event of it, so a change reaches a running actor without a restart. A quiet webhook costs a number
 * (the version of its stream) and, while paused, disabled or deleted, a status: the follower needs only
 * each event's type and stream, so its reads leave every payload in the database (`followOmitFields`).
 */
export interface WebhookDirectory {
  /** Folds one webhook event of the log (its type and stream); true when a loaded webhook must `refresh`. */
  readonly apply: (event: RecordedEvent) => boolean
  /** Reads a loaded webhook's settings again from its stream (retrying while the database is away). */
  readonly refresh: (webhookId: string) => Effect.Effect<void>
  /** The webhook's status at the head of the log; undefined when the log holds no such webhook. */
  readonly status: (webhookId: string) => Webhook.WebhookStatus | undefined
  /**
   * Webhooks that take no attempts now: paused, disabled or deleted (a deleted webhook's pending
   * deliveries stay in the log; readers skip them).
   */
  readonly inactive: () => ReadonlyArray<string>
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

type Inactive = Exclude<Webhook.WebhookStatus, "active">

export const makeWebhookDirectory = (store: Pick<EventStoreShape, "readStream">): WebhookDirectory => {
  // Every webhook the follower has seen created, with the version of its stream it has followed to.
  const followed = new Map<string, number>()
  const inactiveStatus = new Map<string, Inactive>()
  const loaded = new Map<string, Loaded>()

  const apply = (recorded: RecordedEvent): boolean => {
    const webhookId = idInStream(recorded.streamId)
    // Events up to the loaded version are in the state already (the stream read ran ahead of the log).
    const entry = loaded.get(webhookId)
    const stale = entry !== undefined && recorded.streamVersion > entry.version
    // Events before WebhookCreated cannot be in a valid stream; ignoring them keeps this total.
    if (recorded.type !== "WebhookCreated" && !followed.has(webhookId)) return stale
    followed.set(webhookId, recorded.streamVersion)
    const next = statusAfter(recorded.type)
    if (next === "active") inactiveStatus.delete(webhookId)
    else if (next !== undefined) inactiveStatus.set(webhookId, next)
    return stale
  }

  const status = (webhookId: string): Webhook.WebhookStatus | undefined =>
    inactiveStatus.get(webhookId) ?? (followed.has(webhookId) ? "active" : undefined)

  /** The webhook's state from its stream, and the version it reflects. */
  const readSettings = (webhookId: string) =>
    Effect.map(store.readStream(webhookStream(webhookId)), (events) => {
      let state: Webhook.WebhookState = Webhook.initialState
      let version = 0
      for (const event of events) {
        const decoded = webhookCodec.decode(event)
        if (Result.isSuccess(decoded)) state = Webhook.evolve(state, decoded.success)
        version = event.streamVersion
      }
      return { state, version }
    })

  const readSettingsRetrying = (webhookId: string) =>
    readSettings(webhookId).pipe(
      Effect.tapError((error) => Effect.logWarning(`could not load webhook ${webhookId}; retrying`, error)),
      // The shorter of the two delays: exponential backoff, capped at 5 s.
      Effect.retry(Schedule.min([Schedule.exponential(Duration.millis(100)), Schedule.spaced(Duration.seconds(5))])),
      Effect.orDie
    )

  const refresh = (webhookId: string): Effect.Effect<void> =>
    Effect.suspend(() =>
      loaded.has(webhookId)
        ? Effect.map(readSettingsRetrying(webhookId), ({ state, version }) => {
            const entry = loaded.get(webhookId)
            if (entry !== undefined && version > entry.version) {
              entry.state = state
              entry.version = version
            }
          })
        : Effect.void
    )

  const load = (webhookId: string): Effect.Effect<void> =>
    Effect.suspend(() => {
      const entry = loaded.get(webhookId)
      if (entry !== undefined) {
        entry.holders++
        return Effect.void
      }
      return readSettingsRetrying(webhookId).pipe(
        Effect.flatMap(({ state, version }) => {
          const raced = loaded.get(webhookId)
          if (raced !== undefined) {
            // Another actor of the same webhook loaded it meanwhile; its copy is followed already.
            raced.holders++
            return Effect.void
          }
          // The follower passed events beyond what was read, before the entry existed to be refreshed:
          // read again. (Behind is fine: a later event makes the follower refresh the entry.)
          if ((followed.get(webhookId) ?? 0) > version) return load(webhookId)
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

  return { apply, refresh, status, inactive: () => [...inactiveStatus.keys()], settings, load, unload }
}
