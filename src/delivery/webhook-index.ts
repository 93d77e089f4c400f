import { Result, Schema } from "effect"
import { webhookCodec } from "../domain/codecs.js"
import { SubscribableEventType } from "../domain/event-types.js"
import { idInStream } from "../domain/streams.js"
import * as Webhook from "../domain/webhook.js"
import type { RecordedEvent } from "../eventstore/types.js"

/**
 * What routing needs to know of a webhook: whose it is, whether it takes deliveries, which event types.
 * Its URL, headers, secrets and policy are not here: only webhooks with traffic need them (see
 * webhook-directory.ts), and an index of 100,000 webhooks holding them cost hundreds of megabytes.
 */
export interface Route {
  readonly accountId: string
  readonly status: Exclude<Webhook.WebhookStatus, "deleted">
  readonly events: ReadonlyArray<string>
}

/**
 * Webhook routes folded from the log in log order, with an index from (account, event type) to the
 * webhooks that take it. The dispatcher keeps one at its own point of the log, which gives the exact
 * "subscribed when the event was published" semantics.
 */
export interface WebhookIndex {
  /** Folds one webhook event; false when it does not decode (logged by the caller, never fatal). */
  readonly apply: (event: RecordedEvent) => boolean
  readonly get: (webhookId: string) => Route | undefined
  /** Webhooks that get a delivery of this type now: active or paused (a paused one's deliveries wait). */
  readonly subscribers: (accountId: string, eventType: string) => ReadonlyArray<string>
  /**
   * Webhooks that take no attempts now: paused, disabled or deleted (a deleted webhook's pending
   * deliveries stay in the log; readers skip them).
   */
  readonly inactive: () => ReadonlyArray<string>
  readonly size: () => number
}

/**
 * Events per read when folding webhook events. Small pages: at start-up the dispatcher and the runtime
 * each fold every webhook event, and large pages of decoded events outlive young-generation collections
 * and inflate the old space with garbage.
 */
export const replayPage = 250

const takesDeliveries = (route: Route) => route.status === "active" || route.status === "paused"

/** What a webhook event changes of its route: the only fields of it routing reads. */
export type RouteChange =
  | { readonly _tag: "Created"; readonly accountId: string; readonly events: ReadonlyArray<string> }
  | { readonly _tag: "EventsChanged"; readonly events: ReadonlyArray<string> }
  | { readonly _tag: "Status"; readonly status: Route["status"] }
  | { readonly _tag: "Deleted" }
  | { readonly _tag: "Unchanged" }

const decodeCreated = Schema.decodeUnknownResult(
  Schema.Struct({ accountId: Schema.String, events: Schema.Array(SubscribableEventType) })
)
const decodeEventsChanged = Schema.decodeUnknownResult(Schema.Struct({ events: Schema.Array(SubscribableEventType) }))

/** The status after a webhook event of this type; undefined when the type leaves it as it is. */
export const statusAfter = (type: string): Webhook.WebhookStatus | undefined => {
  switch (type) {
    case "WebhookCreated":
    case "WebhookResumed":
      return "active"
    case "WebhookPaused":
      return "paused"
    case "WebhookDisabled":
      return "disabled"
    case "WebhookDeleted":
      return "deleted"
    default:
      return undefined
  }
}

/**
 * The route change a logged webhook event makes, decoding only `accountId` and `events`: a read for
 * routing leaves every other field in the database (`routeOmitFields`), secrets and headers included,
 * which the store would otherwise decrypt for each of 100,000 webhooks at start-up. Undefined when the
 * event is not a webhook event or its routing fields do not decode.
 */
export const routeChangeOf = (recorded: RecordedEvent): RouteChange | undefined => {
  switch (recorded.type) {
    case "WebhookCreated":
      return Result.getOrUndefined(Result.map(decodeCreated(recorded.data), (d) => ({ _tag: "Created" as const, ...d })))
    case "WebhookEventsChanged":
      return Result.getOrUndefined(Result.map(decodeEventsChanged(recorded.data), (d) => ({ _tag: "EventsChanged" as const, ...d })))
    default: {
      const status = statusAfter(recorded.type)
      if (status === "deleted") return { _tag: "Deleted" }
      if (status !== undefined) return { _tag: "Status", status }
      return webhookCodec.types.has(recorded.type) ? { _tag: "Unchanged" } : undefined
    }
  }
}

/**
 * The webhook events that can change a route: creation, a change of subscribed types, and the status
 * changes. The rest (renames, URL, headers, policy, secrets) leave it as it is, so a reader of routes
 * need not read them: each type a typed read names costs its statement two more branches to plan.
 */
export const routeEventTypes: ReadonlyArray<string> = [...webhookCodec.types].filter(
  (type) => type === "WebhookCreated" || type === "WebhookEventsChanged" || statusAfter(type) !== undefined
)

/** Every payload field of every webhook event. */
export const webhookEventFields: ReadonlyArray<string> = [
  ...new Set(Webhook.WebhookEvent.members.flatMap((member) => Object.keys(member.fields)).filter((field) => field !== "_tag"))
]

/** Payload fields of webhook events that routing never reads. */
export const routeOmitFields: ReadonlyArray<string> = webhookEventFields.filter(
  (field) => field !== "accountId" && field !== "events"
)

/** The route after one webhook event; null once deleted. */
export const evolveRoute = (route: Route | undefined, change: RouteChange): Route | null | undefined => {
  if (change._tag === "Created") return { accountId: change.accountId, status: "active", events: change.events }
  // Events before WebhookCreated cannot be in a valid stream; ignoring them keeps this total.
  if (route === undefined) return undefined
  switch (change._tag) {
    case "EventsChanged":
      return { ...route, events: change.events }
    case "Status":
      return { ...route, status: change.status }
    case "Deleted":
      return null
    case "Unchanged":
      return route
  }
}

export const makeWebhookIndex = (): WebhookIndex => {
  const routes = new Map<string, Route>()
  // Paused, disabled and deleted webhooks, kept apart so listing them costs what they number, not a walk
  // over every route (the scanner asks twice a second).
  const inactiveIds = new Set<string>()
  // accountId -> eventType -> webhook ids, kept in step with `routes`.
  const byAccount = new Map<string, Map<string, Set<string>>>()
  // One copy of each account id, and of each list of event types, however many webhooks (and decodes)
  // name it: most webhooks of an account subscribe to one of a few lists.
  const strings = new Map<string, string>()
  const shared = (value: string): string => {
    const existing = strings.get(value)
    if (existing !== undefined) return existing
    strings.set(value, value)
    return value
  }
  const lists = new Map<string, ReadonlyArray<string>>()
  const sharedList = (events: ReadonlyArray<string>): ReadonlyArray<string> => {
    const key = events.join("\n")
    const existing = lists.get(key)
    if (existing !== undefined) return existing
    const list = Object.freeze(events.map(shared))
    lists.set(key, list)
    return list
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

  const applyChange = (webhookId: string, change: RouteChange) => {
    const before = routes.get(webhookId)
    const after = evolveRoute(before, change)
    if (after === undefined || after === before) return
    if (before !== undefined) unindex(webhookId, before)
    if (after === null) {
      routes.delete(webhookId)
      inactiveIds.add(webhookId)
      return
    }
    // A created or re-subscribed route carries strings fresh from JSON: share one copy of each.
    const route =
      after.events === before?.events && after.accountId === before?.accountId
        ? after
        : { accountId: shared(after.accountId), status: after.status, events: sharedList(after.events) }
    routes.set(webhookId, route)
    if (route.status === "active") inactiveIds.delete(webhookId)
    else inactiveIds.add(webhookId)
    index(webhookId, route)
  }

  const apply = (recorded: RecordedEvent): boolean => {
    const change = routeChangeOf(recorded)
    if (change === undefined) return false
    applyChange(idInStream(recorded.streamId), change)
    return true
  }

  const empty: ReadonlyArray<string> = []
  const subscribers = (accountId: string, eventType: string): ReadonlyArray<string> => {
    const ids = byAccount.get(accountId)?.get(eventType)
    return ids === undefined || ids.size === 0 ? empty : [...ids]
  }

  const inactive = () => [...inactiveIds]

  return {
    apply,
    get: (id) => routes.get(id),
    subscribers,
    inactive,
    size: () => routes.size
  }
}
