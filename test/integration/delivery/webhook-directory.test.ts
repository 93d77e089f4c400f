import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { randomUUID } from "node:crypto"
import { webhookCodec } from "../../../src/domain/codecs.js"
import { webhookStream } from "../../../src/domain/streams.js"
import * as Webhook from "../../../src/domain/webhook.js"
import { makeWebhookDirectory } from "../../../src/delivery/webhook-directory.js"
import { EventStore } from "../../../src/eventstore/event-store.js"
import { TestEventStore } from "../../support/database.js"
import { eventually } from "../../support/eventually.js"

const created = (webhookId: string) =>
  Webhook.WebhookCreated.make({
    webhookId,
    accountId: "acc_dir",
    name: "first name",
    url: "https://example.com/one",
    events: ["message.created"],
    headers: { "X-Token": "t0" },
    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    retrySchedule: null,
    maxConcurrency: null,
    rateLimit: null,
    createdAt: new Date().toISOString()
  })

layer(TestEventStore(), { excludeTestServices: true })("webhook directory", (it) => {
  it.effect("keeps the status of every webhook and settings only for the loaded ones, current either way", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const directory = makeWebhookDirectory(store)
      let appended = 0
      const append = (webhookId: string, event: Webhook.WebhookEvent) =>
        // Effect 4's `tap` runs what the callback returns: it must be an effect.
        Effect.tap(store.append(webhookStream(webhookId), "any", [webhookCodec.encode(event, randomUUID())]), () =>
          Effect.sync(() => {
            appended++
          }))
      /**
       * What the follower does: every webhook event of the log, in order. The gap-safe reader shows a
       * commit once no older transaction is open in the cluster (other test files run too): wait for it.
       */
      let followed = 0
      const follow = Effect.gen(function* () {
        const events = yield* eventually(
          store.readAll({ transactionId: 0n, globalPosition: 0n }, 1000),
          (read) => read.length >= appended
        )
        for (const event of events.slice(followed)) {
          // As the follower reads them: type and stream, no payload.
          if (directory.apply({ ...event, data: {} })) yield* directory.refresh(event.streamId.slice("webhook-".length))
        }
        followed = events.length
      })

      yield* append("wh_quiet", created("wh_quiet"))
      yield* append("wh_busy", created("wh_busy"))
      yield* follow
      expect(directory.status("wh_quiet")).toBe("active")
      expect(directory.status("wh_never")).toBeUndefined()
      expect(directory.settings("wh_quiet")).toBeUndefined()

      // Loaded while the follower is behind the stream: later events are not applied twice.
      yield* append("wh_busy", Webhook.WebhookUrlChanged.make({ url: "https://example.com/two" }))
      yield* directory.load("wh_busy")
      expect(directory.settings("wh_busy")?.url).toBe("https://example.com/two")
      yield* append("wh_busy", Webhook.WebhookHeadersChanged.make({ headers: { "X-Token": "t1" } }))
      yield* follow
      expect(directory.settings("wh_busy")).toMatchObject({ url: "https://example.com/two", headers: { "X-Token": "t1" } })

      // A change reaches the loaded settings through the follower, and pausing shows in both views.
      yield* append("wh_busy", Webhook.WebhookPaused.make({}))
      yield* follow
      expect(directory.settings("wh_busy")?.status).toBe("paused")
      expect(directory.status("wh_busy")).toBe("paused")
      expect(directory.inactive()).toContain("wh_busy")

      // Two holders: settings stay until the last lets go.
      yield* directory.load("wh_busy")
      directory.unload("wh_busy")
      expect(directory.settings("wh_busy")).toBeDefined()
      directory.unload("wh_busy")
      expect(directory.settings("wh_busy")).toBeUndefined()

      // Deleted: no route, no settings, listed as inactive.
      yield* append("wh_quiet", Webhook.WebhookDeleted.make({}))
      yield* follow
      yield* directory.load("wh_quiet")
      expect(directory.status("wh_quiet")).toBe("deleted")
      expect(directory.settings("wh_quiet")).toBeUndefined()
      expect(directory.inactive()).toContain("wh_quiet")

      // Resumed: active again, no longer skipped.
      yield* append("wh_busy", Webhook.WebhookResumed.make({}))
      yield* follow
      expect(directory.status("wh_busy")).toBe("active")
      expect(directory.inactive()).not.toContain("wh_busy")
    }))
})
