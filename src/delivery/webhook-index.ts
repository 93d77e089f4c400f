import { Either } from "effect"
import { webhookCodec } from "../domain/codecs.js"
import * as Webhook from "../domain/webhook.js"
import type { RecordedEvent } from "../eventstore/types.js"

/**
 * Webhooks folded from the log in log order, with an index from (account, event type) to the webhooks
 * that take it. The dispatcher keeps one at its own point of the log, which gives the exact "subscribed
 * when the event was published" semantics; the runtime keeps one at the head for current settings.
 */
export interface WebhookIndex {
  /** Folds one webhook event; false when it does not decode (logged by the caller, never fatal). */
  readonly apply: (event: RecordedEvent) => boolean
  readonly get: (webhookId: string) => Webhook.Webhook | undefined
  /** Webhooks that get a delivery of this type now: active or paused (a paused one's deliveries wait). */
  readonly subscribers: (accountId: string, eventType: string) => ReadonlyArray<string>
  /**
   * Webhooks that take no attempts now: paused, disabled or deleted (a deleted webhook's pending
   * deliveries stay in the log; readers skip them).
   */
  readonly inactive: () => ReadonlyArray<string>
  readonly size: () => number
}

const takesDeliveries = (webhook: Webhook.Webhook) => webhook.status === "active" || webhook.status === "paused"

export const makeWebhookIndex = (): WebhookIndex => {
  const webhooks = new Map<string, Webhook.Webhook>()
  const deleted = new Set<string>()
  // accountId -> eventType -> webhook ids, kept in step with `webhooks`.
  const byAccount = new Map<string, Map<string, Set<string>>>()

  const unindex = (webhook: Webhook.Webhook) => {
    const types = byAccount.get(webhook.accountId)
    if (types === undefined) return
    for (const type of webhook.events) types.get(type)?.delete(webhook.webhookId)
  }
  const index = (webhook: Webhook.Webhook) => {
    if (!takesDeliveries(webhook)) return
    let types = byAccount.get(webhook.accountId)
    if (types === undefined) {
      types = new Map()
      byAccount.set(webhook.accountId, types)
    }
    for (const type of webhook.events) {
      let ids = types.get(type)
      if (ids === undefined) {
        ids = new Set()
        types.set(type, ids)
      }
      ids.add(webhook.webhookId)
    }
  }

  const apply = (recorded: RecordedEvent): boolean => {
    const decoded = webhookCodec.decode(recorded)
    if (Either.isLeft(decoded)) return false
    const event = decoded.right
    const webhookId = recorded.streamId.slice("webhook-".length)
    const before = webhooks.get(webhookId)
    const after = Webhook.evolve(before ?? Webhook.initialState, event)
    if (after.status === "none") return true
    if (before !== undefined) unindex(before)
    if (after.status === "deleted") {
      webhooks.delete(webhookId)
      deleted.add(webhookId)
      return true
    }
    webhooks.set(webhookId, after)
    index(after)
    return true
  }

  const empty: ReadonlyArray<string> = []
  const subscribers = (accountId: string, eventType: string): ReadonlyArray<string> => {
    const ids = byAccount.get(accountId)?.get(eventType)
    return ids === undefined || ids.size === 0 ? empty : [...ids]
  }

  const inactive = () => {
    const ids: Array<string> = [...deleted]
    for (const webhook of webhooks.values()) if (webhook.status !== "active") ids.push(webhook.webhookId)
    return ids
  }

  return { apply, get: (id) => webhooks.get(id), subscribers, inactive, size: () => webhooks.size }
}
