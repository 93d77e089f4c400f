import { Effect, Layer } from "effect"
import type { HooklineSettings } from "../../src/config.js"
import { randomUUID } from "node:crypto"
import { publishedEventCodec, webhookCodec } from "../../src/domain/codecs.js"
import { eventStream, webhookStream } from "../../src/domain/streams.js"
import * as Webhook from "../../src/domain/webhook.js"
import { EventStore } from "../../src/eventstore/event-store.js"
import { createTestDatabase } from "./database.js"
import { engineOn } from "./engine.js"

export { engineOn }

export const freshEngine = (settings: Partial<HooklineSettings> = {}) =>
  Layer.unwrap(Effect.map(Effect.promise(createTestDatabase), (url) => engineOn(url, settings)))

export const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

export interface WebhookSpec {
  readonly url: string
  readonly accountId?: string
  readonly events?: ReadonlyArray<"message.created" | "conversation.updated" | "session.updated" | "user.updated">
  readonly headers?: Record<string, string>
  readonly secret?: string
  readonly retrySchedule?: ReadonlyArray<number> | null
  readonly maxConcurrency?: number | null
  readonly rateLimit?: number | null
}

/** Registers a webhook by appending its creation event (the API's own path is tested elsewhere). */
export const createWebhook = (spec: WebhookSpec) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const webhookId = `wh_${randomUUID().slice(0, 8)}`
    const created = Webhook.WebhookCreated.make({
      webhookId,
      accountId: spec.accountId ?? "acc_test",
      name: "test",
      url: spec.url,
      events: [...(spec.events ?? ["message.created"])],
      headers: spec.headers ?? {},
      secret: spec.secret ?? testSecret,
      retrySchedule: spec.retrySchedule === undefined ? null : spec.retrySchedule === null ? null : [...spec.retrySchedule],
      maxConcurrency: spec.maxConcurrency ?? null,
      rateLimit: spec.rateLimit ?? null,
      createdAt: new Date().toISOString()
    })
    yield* store.append(webhookStream(webhookId), "no_stream", [webhookCodec.encode(created, randomUUID())])
    return webhookId
  })

export const webhookEvent = (webhookId: string, event: Webhook.WebhookEvent) =>
  Effect.flatMap(EventStore, (store) =>
    store.append(webhookStream(webhookId), "any", [webhookCodec.encode(event, randomUUID())])
  )

/** Publishes events in one append, as the batch route does. */
export const publish = (count: number, options: { readonly accountId?: string; readonly type?: string; readonly prefix?: string } = {}) =>
  Effect.gen(function* () {
    const store = yield* EventStore
    const now = new Date().toISOString()
    const ids: Array<string> = []
    const appends = Array.from({ length: count }, (_, i) => {
      const eventId = `${options.prefix ?? "evt"}_${randomUUID().slice(0, 8)}_${i}`
      ids.push(eventId)
      return {
        streamId: eventStream(eventId),
        expectedVersion: "no_stream" as const,
        events: [
          publishedEventCodec.encode(
            {
              _tag: "EventPublished",
              eventId,
              accountId: options.accountId ?? "acc_test",
              type: (options.type ?? "message.created") as "message.created",
              data: { n: i, message: { id: `m${i}`, text: "hello" } },
              occurredAt: now,
              publishedAt: now
            },
            randomUUID()
          )
        ]
      }
    })
    for (let i = 0; i < appends.length; i += 500) yield* store.appendBatch(appends.slice(i, i + 500))
    return ids
  })
