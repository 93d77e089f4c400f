import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  type Client,
  createAccount,
  isErrorShape,
  items,
  messageCreated,
  startTestServer,
  type Started
} from "../../support/http-server.js"

let server: Started
let client: Client

beforeAll(async () => {
  server = await startTestServer({ maxPayloadBytes: 4096 })
  client = server.client
})
afterAll(() => server.stop())

describe("events API", () => {
  it("publishes an event once it is durable, and reads it back", async () => {
    const { key } = await createAccount(client)
    const published = await client.request("POST", "/v1/events", {
      token: key,
      json: { id: "evt-read-1", type: "message.created", data: messageCreated(), occurredAt: "2025-02-01T10:00:00+02:00" }
    })
    expect(published.status).toBe(202)
    expect(published.body).toMatchObject({
      id: "evt-read-1",
      type: "message.created",
      occurredAt: "2025-02-01T08:00:00.000Z",
      duplicate: false
    })
    const read = await client.request("GET", "/v1/events/evt-read-1", { token: key })
    expect(read.status).toBe(200)
    expect(read.body).toMatchObject({ id: "evt-read-1", type: "message.created", deliveries: [] })
    expect(read.body.data).toEqual(messageCreated())

    const generated = await client.request("POST", "/v1/events", {
      token: key,
      json: { type: "message.created", data: messageCreated() }
    })
    expect(generated.status).toBe(202)
    expect(String(generated.body.id)).toMatch(/^evt_/)
  })

  it("stores the same id once and answers the second publish with the first result", async () => {
    const { key } = await createAccount(client)
    const first = await client.request("POST", "/v1/events", {
      token: key,
      json: { id: "evt-dup", type: "message.created", data: messageCreated({ text: "first" }) }
    })
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () =>
        client.request("POST", "/v1/events", {
          token: key,
          json: { id: "evt-dup", type: "message.created", data: messageCreated({ text: "first" }) }
        })
      )
    )
    for (const again of concurrent) {
      expect(again.status).toBe(202)
      expect(again.body).toEqual({ ...first.body, duplicate: true })
    }
    // Another event under the same id is a conflict, not a silent duplicate (issue 12).
    const reused = await client.request("POST", "/v1/events", {
      token: key,
      json: { id: "evt-dup", type: "message.created", data: messageCreated({ text: "second" }) }
    })
    expect(reused.status).toBe(409)
    expect(reused.body.error.code).toBe("event_id_conflict")
    const read = await client.request("GET", "/v1/events/evt-dup", { token: key })
    expect(read.body.data.message.text).toBe("first")

    const other = await createAccount(client, "free", "Other")
    const taken = await client.request("POST", "/v1/events", {
      token: other.key,
      json: { id: "evt-dup", type: "message.created", data: messageCreated() }
    })
    expect(taken.status).toBe(409)
    expect(taken.body.error.code).toBe("event_id_conflict")
    expect((await client.request("GET", "/v1/events/evt-dup", { token: other.key })).status).toBe(404)
  })

  it("group-commits concurrent publishes and answers each", async () => {
    const { key } = await createAccount(client)
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        client.request("POST", "/v1/events", {
          token: key,
          json: { id: `evt-gc-${i}`, type: "message.created", data: messageCreated({ text: `n${i}` }) }
        })
      )
    )
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 40 }, () => 202))
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(40)
  })

  it("validates payloads, refuses webhook.test and unknown types, and refuses oversized data with 413", async () => {
    const { key } = await createAccount(client)
    const invalid = await client.request("POST", "/v1/events", {
      token: key,
      json: { type: "message.created", data: { ...messageCreated(), channel: { id: "c", type: "fax", name: "x" } } }
    })
    expect(invalid.status).toBe(400)
    expect(items(invalid.body.error.details.issues).map((i) => i.path)).toContain("data.channel.type")
    for (const type of ["order.created", "webhook.test"]) {
      const refused = await client.request("POST", "/v1/events", { token: key, json: { type, data: {} } })
      expect(refused.status, type).toBe(400)
      expect(items(refused.body.error.details.issues).map((i) => i.path), type).toContain("type")
    }
    const missing = await client.request("POST", "/v1/events", { token: key, json: { type: "message.created" } })
    expect(missing.status).toBe(400)
    const badId = await client.request("POST", "/v1/events", {
      token: key,
      json: { id: "no spaces allowed", type: "message.created", data: messageCreated() }
    })
    expect(badId.status).toBe(400)
    const badTime = await client.request("POST", "/v1/events", {
      token: key,
      json: { type: "message.created", data: messageCreated(), occurredAt: "yesterday" }
    })
    expect(items(badTime.body.error.details.issues).map((i) => i.path)).toContain("occurredAt")
    const big = await client.request("POST", "/v1/events", {
      token: key,
      json: { type: "message.created", data: messageCreated({ text: "x".repeat(5000) }) }
    })
    expect(big.status).toBe(413)
    expect(big.body.error.code).toBe("payload_too_large")
    expect(big.body.error.details).toMatchObject({ limit: 4096 })
  })

  it("publishes a batch in one request with a result per item", async () => {
    const { key } = await createAccount(client)
    await client.request("POST", "/v1/events", {
      token: key,
      json: { id: "evt-batch-old", type: "message.created", data: messageCreated() }
    })
    const batch = await client.request("POST", "/v1/events/batch", {
      token: key,
      json: {
        events: [
          { id: "evt-batch-1", type: "message.created", data: messageCreated() },
          { id: "evt-batch-2", type: "nope", data: {} },
          "not an object",
          { id: "evt-batch-old", type: "message.created", data: messageCreated() },
          { id: "evt-batch-3", type: "message.created", data: messageCreated({ text: "x".repeat(5000) }) },
          { id: "evt-batch-1", type: "message.created", data: messageCreated() },
          { type: "message.created", data: messageCreated() }
        ]
      }
    })
    expect(batch.status).toBe(200)
    expect(batch.body).toMatchObject({ accepted: 4, rejected: 3 })
    const results = items(batch.body.results)
    expect(results.map((r) => r.status)).toEqual([
      "accepted",
      "rejected",
      "rejected",
      "accepted",
      "rejected",
      "accepted",
      "accepted"
    ])
    expect(results[1]).toMatchObject({ id: "evt-batch-2", error: { code: "validation_failed" } })
    expect(results[3]!.event.duplicate).toBe(true)
    expect(results[4]!.error.code).toBe("payload_too_large")
    expect(results[5]!.event.duplicate).toBe(true)
    expect((await client.request("GET", "/v1/events/evt-batch-1", { token: key })).status).toBe(200)

    const tooMany = await client.request("POST", "/v1/events/batch", {
      token: key,
      json: { events: Array.from({ length: 501 }, () => ({ type: "message.created", data: {} })) }
    })
    expect(tooMany.status).toBe(400)
    expect(isErrorShape(tooMany.body)).toBe(true)
    expect((await client.request("POST", "/v1/events/batch", { token: key, json: { events: [] } })).status).toBe(400)
  })

  it("lists the event catalogue with JSON Schemas", async () => {
    const { key } = await createAccount(client)
    const response = await client.request("GET", "/v1/event-types", { token: key })
    expect(response.status).toBe(200)
    const types = items(response.body.data)
    expect(types.map((t) => t.type)).toEqual([
      "message.created",
      "conversation.updated",
      "session.updated",
      "user.updated",
      "webhook.test",
      "endpoint.disabled",
      "endpoint.circuit_opened",
      "endpoint.circuit_closed",
      "delivery.exhausted",
      "endpoint.recovered"
    ])
    expect(types[0]!.schema.$schema).toBe("http://json-schema.org/draft-07/schema#")
    expect(types[4]!.subscribable).toBe(false)
  })

  it("shows the account with its plan, limits and usage", async () => {
    const { key, accountId } = await createAccount(client, "pro", "Shown")
    const response = await client.request("GET", "/v1/account", { token: key })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({
      id: accountId,
      name: "Shown",
      plan: "pro",
      limits: { webhooks: 50, maxPayloadBytes: 4096, maxRequestBytes: 1024 * 1024, maxBatchSize: 500 },
      usage: { webhooks: 0 }
    })
  })

  it("keeps events private to their account", async () => {
    const owner = await createAccount(client)
    const other = await createAccount(client, "free", "Other")
    await client.request("POST", "/v1/events", {
      token: owner.key,
      json: { id: "evt-private", type: "message.created", data: messageCreated() }
    })
    const response = await client.request("GET", "/v1/events/evt-private", { token: other.key })
    expect(response.status).toBe(404)
    expect(response.body.error.code).toBe("event_not_found")
    expect((await client.request("GET", "/v1/events/no-such-event", { token: owner.key })).status).toBe(404)
  })
})
