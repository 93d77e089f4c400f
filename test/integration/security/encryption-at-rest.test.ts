import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { randomUUID } from "node:crypto"
import { Settings } from "../../../src/config.js"
import { webhookCodec } from "../../../src/domain/codecs.js"
import * as Webhook from "../../../src/domain/webhook.js"
import { EventStore, EventStoreLive } from "../../../src/eventstore/event-store.js"
import { FieldCipherLive, generateKey } from "../../../src/eventstore/field-cipher.js"
import { LogNotificationsLive } from "../../../src/eventstore/notifications.js"
import { TestDatabase } from "../../support/database.js"
import { eventually } from "../../support/eventually.js"

const key = generateKey()
const Store = EventStoreLive.pipe(
  Layer.provideMerge(FieldCipherLive),
  Layer.provideMerge(LogNotificationsLive),
  Layer.provideMerge(Settings.layerWith({ encryptionKey: Option.some(Redacted.make(key)) })),
  Layer.provideMerge(TestDatabase())
)

layer(Store, { excludeTestServices: true })("secrets at rest", (it) => {
  it.effect("the log holds ciphertext for signing secrets and header values; readers get plain values", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const sql = yield* SqlClient
      const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
      const created = Webhook.WebhookCreated.make({
        webhookId: "wh_enc",
        accountId: "acc_1",
        name: "n",
        url: "https://example.com/h",
        events: ["message.created"],
        headers: { "X-Api-Key": "sup3r-s3cret-h3ader" },
        secret,
        retrySchedule: null,
        maxConcurrency: null,
        rateLimit: null,
        createdAt: new Date().toISOString()
      })
      yield* store.append("webhook-wh_enc", "no_stream", [webhookCodec.encode(created, randomUUID())])
      const raw = yield* sql<{ data: string }>`SELECT data::text AS data FROM events WHERE stream_id = 'webhook-wh_enc'`
      expect(raw[0]!.data).not.toContain(secret)
      expect(raw[0]!.data).not.toContain("sup3r-s3cret-h3ader")
      expect(raw[0]!.data).toContain("enc:v1:")
      expect(raw[0]!.data).toContain("https://example.com/h")
      const read = yield* store.readStream("webhook-wh_enc")
      expect(read[0]!.data).toMatchObject({ secret, headers: { "X-Api-Key": "sup3r-s3cret-h3ader" } })
      // The gap-safe reader shows a commit only once no older transaction is open anywhere in the cluster,
      // and other test files run transactions on the same cluster: wait for it.
      const all = yield* eventually(
        store.readAllOfTypes({ transactionId: 0n, globalPosition: 0n }, 10, ["WebhookCreated"]),
        (page) => page.events.length > 0
      )
      expect(all.events[0]!.data).toMatchObject({ secret })
    }))
})
