import { Either } from "effect"
import { webhookCodec } from "../domain/codecs.js"
import type * as Webhook from "../domain/webhook.js"
import type { RecordedEvent } from "../eventstore/types.js"

/**
 * What routing needs to know of a webhook: whose it is, whether it takes deliveries, which event types.
 * Its URL, headers, secrets and policy are not here: an index of 100,000 webhooks holding them twice
 * (dispatcher and runtime) cost hundreds of megabytes, while only webhooks with traffic need them
 * (see webhook-directory.ts).
 */
export interface Route {
  readonly accountId: string
  readonly status: Exclude<Webhook.WebhookStatus, "deleted">
  readonly events: ReadonlyArray<string>
  /** The version of the webhook's stream this route reflects. */
  readonly version: number
}

/**
 * Webhook routes folded from the log in log order, with an index from (account, event type) to the
 * webhooks that take it. The dispatcher keeps one at its own point of the log, which gives the exact
 * "subscribed when the event was published" semantics; the runtime keeps one at the head.
 */
export interface WebhookIndex {
  /** Folds one webhook event; false when it does not decode (logged by the caller, never fatal). */
  readonly apply: (event: RecordedEvent) => boolean
  /** Folds an event decoded already (the caller needed it whole). */
  readonly applyDecoded: (webhookId: string, streamVersion: number, event: Webhook.WebhookEvent) => void
  readonly get: (webhookId: string) => Route | undefined
  /** Webhooks that get a delivery of this type now: active or paused (a paused one's deliveries wait). */
  readonly subscribers: (accountId: string, eventType: string) => ReadonlyArray<string>
  /**
   * Webhooks that take no attempts now: paused, disabled or deleted (a deleted webhook's pending
   * deliveries stay in the log; readers skip them).
   */
  readonly inactive: () => ReadonlyArray<string>
  /** The version of a deleted webhook's stream, or undefined when it is not deleted. */
  readonly deletedAt: (webhookId: string) => number | undefined
  readonly size: () => number
}

/**
 * Log rows per read when folding webhook events (a window of 4 × this). Small pages: at start-up the
 * dispatcher and the runtime each fold every webhook event, and large pages of decrypted, decoded events
 * outlive young-generation collections and inflate the old space with garbage.
 */
export const replayPage = 250

const takesDeliveries = (route: Route) => route.status === "active" || route.status === "paused"

/** The route after one webhook event; null once deleted. */
export const evolveRoute = (
  route: Route | undefined,
  streamVersion: number,
  event: Webhook.WebhookEvent
): Route | null | undefined => {
  if (event._tag === "WebhookCreated") {
    return { accountId: event.accountId, status: "active", events: event.events, version: streamVersion }
  }
  // Events before WebhookCreated cannot be in a valid stream; ignoring them keeps this total.
  if (route === undefined) return undefined
  switch (event._tag) {
    case "WebhookEventsChanged":
      return { ...route, events: event.events, version: streamVersion }
    case "WebhookPaused":
      return { ...route, status: "paused", version: streamVersion }
    case "WebhookResumed":
      return { ...route, status: "active", version: streamVersion }
    case "WebhookDisabled":
      return { ...route, status: "disabled", version: streamVersion }
    case "WebhookDeleted":
      return null
    default:
      return { ...route, version: streamVersion }
  }
}

export const makeWebhookIndex = (): WebhookIndex => {
  const routes = new Map<string, Route>()
  const deleted = new Map<string, number>()
  // accountId -> eventType -> webhook ids, kept in step with `routes`.
  const byAccount = new Map<string, Map<string, Set<string>>>()
  // One copy of each account id and event type string, however many webhooks (and decodes) name it.
  const strings = new Map<string, string>()
  const shared = (value: string): string => {
    const existing = strings.get(value)
    if (existing !== undefined) return existing
    strings.set(value, value)
    return value
  }

  const unindex = (webhookId: string, route: Route) => {
    const types = byAccount.get(route.accountId)
    if (types === undefined) return
    for (const type of route.events) types.get(type)?.delete(webhookId)
  }
  const index = (webhookId: string, route: Route) => {
    if (!takesDeliveries(route)) return
    let types = byAccount.get(route.accountId)
    if (types === undefined) {
      types = new Map()
      byAccount.set(route.accountId, types)
    }
    for (const type of route.events) {
      let ids = types.get(type)
      if (ids === undefined) {
        ids = new Set()
        types.set(type, ids)
      }
      ids.add(webhookId)
    }
  }

  const applyDecoded = (webhookId: string, streamVersion: number, event: Webhook.WebhookEvent) => {
    const before = routes.get(webhookId)
    const after = evolveRoute(before, streamVersion, event)
    if (after === undefined) return
    if (before !== undefined) unindex(webhookId, before)
    if (after === null) {
      routes.delete(webhookId)
      deleted.set(webhookId, streamVersion)
      return
    }
    // A created or re-subscribed route carries strings fresh from JSON: share one copy of each.
    const route =
      after.events === before?.events && after.accountId === before?.accountId
        ? after
        : { ...after, accountId: shared(after.accountId), events: after.events.map(shared) }
    routes.set(webhookId, route)
    index(webhookId, route)
  }

  const apply = (recorded: RecordedEvent): boolean => {
    const decoded = webhookCodec.decode(recorded)
    if (Either.isLeft(decoded)) return false
    applyDecoded(recorded.streamId.slice("webhook-".length), recorded.streamVersion, decoded.right)
    return true
  }

  const empty: ReadonlyArray<string> = []
  const subscribers = (accountId: string, eventType: string): ReadonlyArray<string> => {
    const ids = byAccount.get(accountId)?.get(eventType)
    return ids === undefined || ids.size === 0 ? empty : [...ids]
  }

  const inactive = () => {
    const ids: Array<string> = [...deleted.keys()]
    for (const [webhookId, route] of routes) if (route.status !== "active") ids.push(webhookId)
    return ids
  }

  return {
    apply,
    applyDecoded,
    get: (id) => routes.get(id),
    subscribers,
    inactive,
    deletedAt: (id) => deleted.get(id),
    size: () => routes.size
  }
}
