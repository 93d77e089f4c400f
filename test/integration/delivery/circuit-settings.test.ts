import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as Webhook from "../../../src/domain/webhook.js"
import { EventStore } from "../../../src/eventstore/event-store.js"
import { createWebhook, freshEngine, publish, webhookEvent } from "../../support/delivery.js"
import { eventually } from "../../support/eventually.js"
import { receiver } from "./receiver.js"

// A cooldown far beyond the test's timeout: only a change that reaches the actor while the circuit is
// open lets the delivery through in time.
layer(
  freshEngine({ circuitFailureThreshold: 2, circuitCooldownMs: 60_000, circuitMaxCooldownMs: 120_000, deliveryTimeoutMs: 1000 }),
  { excludeTestServices: true }
)("webhook changes while the circuit is open", (it) => {
  it.effect("a URL change closes the circuit: the next attempt goes to the new URL with the new headers", () =>
    Effect.gen(function* () {
      const failing = yield* receiver((_, res) => {
        res.writeHead(500)
        res.end()
      })
      const healthy = yield* receiver((_, res) => {
        res.writeHead(200)
        res.end()
      })
      const webhook = yield* createWebhook({ url: failing.url, maxConcurrency: 1, retrySchedule: Array(20).fill(0) })
      yield* publish(1)
      const store = yield* EventStore
      const endpointTypes = Effect.map(store.readStream(`endpoint-${webhook}`), (events) => events.map((e) => e.type))
      yield* eventually(endpointTypes, (types) => types.includes("CircuitOpened"))
      yield* webhookEvent(webhook, Webhook.WebhookHeadersChanged.make({ headers: { "x-version": "2" } }))
      yield* webhookEvent(webhook, Webhook.WebhookUrlChanged.make({ url: healthy.url }))
      yield* eventually(Effect.sync(() => healthy.requests.length), (n) => n >= 1)
      expect(healthy.requests.length).toBeGreaterThanOrEqual(1)
      expect(healthy.requests[0]!.headers["x-version"]).toBe("2")
      expect(failing.requests.length).toBe(2)
      const events = yield* eventually(store.readStream(`endpoint-${webhook}`), (es) => es.some((e) => e.type === "CircuitClosed"))
      const closed = events.find((e) => e.type === "CircuitClosed")
      expect(closed?.data).toMatchObject({ webhookId: webhook, reason: "url changed" })
    }), { timeout: 30_000 })
})
