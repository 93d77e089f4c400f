import { randomUUID } from "node:crypto"
import { describe, expect, it } from "vitest"
import { webhookCodec } from "../../../src/domain/codecs.js"
import * as Webhook from "../../../src/domain/webhook.js"
import { makeWebhookIndex, routeChangeOf, routeEventTypes, routeOmitFields } from "../../../src/delivery/webhook-index.js"
import type { RecordedEvent } from "../../../src/eventstore/types.js"

let position = 0n
const recorded = (webhookId: string, event: Webhook.WebhookEvent): RecordedEvent => {
  const encoded = webhookCodec.encode(event, randomUUID())
  position++
  return {
    eventId: encoded.eventId,
    streamId: `webhook-${webhookId}`,
    streamVersion: 1,
    type: encoded.type,
    schemaVersion: 1,
    data: encoded.data,
    metadata: {},
    position: { transactionId: position, globalPosition: position },
    recordedAt: new Date()
  }
}

const created = (webhookId: string, accountId: string, events: Array<"message.created" | "user.updated">) =>
  Webhook.WebhookCreated.make({
    webhookId,
    accountId,
    name: "n",
    url: "https://example.com/h",
    events,
    headers: {},
    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    retrySchedule: null,
    maxConcurrency: null,
    rateLimit: null,
    createdAt: new Date().toISOString()
  })

describe("webhook index", () => {
  it("answers who is subscribed, as the webhook events say, per account", () => {
    const index = makeWebhookIndex()
    index.apply(recorded("a", created("a", "acc1", ["message.created"])))
    index.apply(recorded("b", created("b", "acc1", ["message.created", "user.updated"])))
    index.apply(recorded("c", created("c", "acc2", ["message.created"])))
    expect([...index.subscribers("acc1", "message.created")].sort()).toEqual(["a", "b"])
    expect(index.subscribers("acc1", "user.updated")).toEqual(["b"])
    index.apply(recorded("b", Webhook.WebhookEventsChanged.make({ events: ["user.updated"] })))
    expect(index.subscribers("acc1", "message.created")).toEqual(["a"])
    // Paused still takes deliveries (they wait); disabled and deleted take none.
    index.apply(recorded("a", Webhook.WebhookPaused.make({})))
    expect(index.subscribers("acc1", "message.created")).toEqual(["a"])
    index.apply(recorded("a", Webhook.WebhookDisabled.make({ reason: "r" })))
    expect(index.subscribers("acc1", "message.created")).toEqual([])
    index.apply(recorded("c", Webhook.WebhookDeleted.make({})))
    expect(index.subscribers("acc2", "message.created")).toEqual([])
    expect(index.get("c")).toBeUndefined()
  })

  it("lists paused, disabled and deleted webhooks as inactive, so their waiting deliveries are skipped", () => {
    const index = makeWebhookIndex()
    for (const id of ["p", "d", "x", "ok"]) index.apply(recorded(id, created(id, "acc", ["message.created"])))
    index.apply(recorded("p", Webhook.WebhookPaused.make({})))
    index.apply(recorded("d", Webhook.WebhookDisabled.make({ reason: "gone" })))
    index.apply(recorded("x", Webhook.WebhookDeleted.make({})))
    expect([...index.inactive()].sort()).toEqual(["d", "p", "x"])
    index.apply(recorded("p", Webhook.WebhookResumed.make({})))
    expect([...index.inactive()].sort()).toEqual(["d", "x"])
  })

  it("keeps one copy of each list of event types, and a change of one webhook's list leaves the others'", () => {
    const index = makeWebhookIndex()
    index.apply(recorded("a", created("a", "acc", ["message.created", "user.updated"])))
    index.apply(recorded("b", created("b", "acc", ["message.created", "user.updated"])))
    expect(index.get("a")?.events).toBe(index.get("b")?.events)
    index.apply(recorded("b", Webhook.WebhookEventsChanged.make({ events: ["user.updated"] })))
    expect(index.get("a")?.events).toEqual(["message.created", "user.updated"])
    expect(index.get("b")?.events).toEqual(["user.updated"])
    expect(index.subscribers("acc", "message.created")).toEqual(["a"])
  })

  it("routes from accountId and events alone: a read may leave every other field in the database", () => {
    expect(routeOmitFields).toEqual(expect.arrayContaining(["secret", "headers", "url", "name", "webhookId"]))
    expect(routeOmitFields).not.toContain("accountId")
    expect(routeOmitFields).not.toContain("events")
    const trimmed = (event: RecordedEvent): RecordedEvent => {
      const data = { ...(event.data as Record<string, unknown>) }
      for (const field of routeOmitFields) delete data[field]
      return { ...event, data }
    }
    const index = makeWebhookIndex()
    expect(index.apply(trimmed(recorded("a", created("a", "acc", ["message.created"]))))).toBe(true)
    expect(index.apply(trimmed(recorded("a", Webhook.WebhookSecretRotated.make({ secret: "s", previousSecretExpiresAt: "x" }))))).toBe(true)
    expect(index.apply(trimmed(recorded("a", Webhook.WebhookDisabled.make({ reason: "r" }))))).toBe(true)
    expect(index.get("a")).toEqual({ accountId: "acc", status: "disabled", events: ["message.created"] })
    // What routing does read must still decode.
    const broken = recorded("b", created("b", "acc", ["message.created"]))
    expect(index.apply({ ...broken, data: { ...(broken.data as object), events: ["no.such.type"] } })).toBe(false)
    expect(index.apply({ ...broken, type: "NotAWebhookEvent" })).toBe(false)
    expect(index.get("b")).toBeUndefined()
  })

  it("names every webhook event that changes a route in routeEventTypes: the dispatcher reads no others", () => {
    const samples: Array<Webhook.WebhookEvent> = [
      created("wh_r", "acc_r", ["message.created"]),
      Webhook.WebhookRenamed.make({ name: "m" }),
      Webhook.WebhookUrlChanged.make({ url: "https://example.com/other" }),
      Webhook.WebhookEventsChanged.make({ events: ["user.updated"] }),
      Webhook.WebhookHeadersChanged.make({ headers: {} }),
      Webhook.WebhookPolicyChanged.make({ retrySchedule: null, maxConcurrency: 2, rateLimit: null }),
      Webhook.WebhookSecretRotated.make({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", previousSecretExpiresAt: new Date().toISOString() }),
      Webhook.WebhookPaused.make({}),
      Webhook.WebhookResumed.make({}),
      Webhook.WebhookDisabled.make({ reason: "r" }),
      Webhook.WebhookDeleted.make({})
    ]
    const covered = new Set<string>(samples.map((event) => event._tag))
    // Every webhook event type has a sample here (a new one must be added, and classified).
    expect([...webhookCodec.types].filter((type) => !covered.has(type))).toEqual([])
    for (const event of samples) {
      const change = routeChangeOf(recorded("wh_r", event))
      expect({ type: event._tag, changesRoute: change?._tag !== "Unchanged" }).toEqual({
        type: event._tag,
        changesRoute: routeEventTypes.includes(event._tag)
      })
    }
  })
})
