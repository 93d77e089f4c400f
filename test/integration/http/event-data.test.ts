import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  type Client,
  createAccount,
  isErrorShape,
  items,
  messageCreated,
  startTestServer,
  type Started,
  webhookInput
} from "../../support/http-server.js"
import { eventuallyAsync as eventually } from "../../support/eventually.js"

let server: Started
let client: Client
let receiver: Server
let receiverUrl = ""
const arrivals: Array<{ readonly path: string; readonly body: string }> = []

beforeAll(async () => {
  server = await startTestServer({ allowPrivateTargets: true, scanIntervalMs: 100 })
  client = server.client
  receiver = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      arrivals.push({ path: req.url ?? "", body: Buffer.concat(chunks).toString("utf8") })
      res.writeHead(200)
      res.end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
})
afterAll(async () => {
  await server.stop()
  await new Promise<void>((resolve) => receiver.close(() => resolve()))
})


/** A message.created payload grown by fields the catalogue does not list, at the top and nested. */
const extended = (text = "hello") => {
  const base = messageCreated({ text })
  return {
    ...base,
    source: "import",
    message: { ...base.message, reactions: [{ emoji: "+1", by: ["u2"] }], sender: { ...base.message.sender, locale: "tr" } },
    customer: { ...base.customer, tier: { level: "gold", since: null } }
  }
}

describe("event data", () => {
  it("stores and reads back a payload's unknown fields, top-level and nested, as published", async () => {
    const { key } = await createAccount(client)
    const data = extended()
    const published = await client.request("POST", "/v1/events", {
      token: key,
      json: { id: "data-kept-1", type: "message.created", data }
    })
    expect(published.status).toBe(202)
    const read = await client.request("GET", "/v1/events/data-kept-1", { token: key })
    expect(read.status).toBe(200)
    expect(read.body.data).toEqual(data)

    const batch = await client.request("POST", "/v1/events/batch", {
      token: key,
      json: { events: [{ id: "data-kept-2", type: "message.created", data: extended("batched") }] }
    })
    expect(batch.status).toBe(200)
    expect(items(batch.body.results)[0]).toMatchObject({ status: "accepted" })
    expect((await client.request("GET", "/v1/events/data-kept-2", { token: key })).body.data).toEqual(extended("batched"))
  })

  it("still checks the fields the type requires, inside payloads with unknown fields", async () => {
    const { key } = await createAccount(client)
    const { channel: _channel, ...withoutChannel } = extended()
    const missing = await client.request("POST", "/v1/events", {
      token: key,
      json: { type: "message.created", data: { ...withoutChannel, customer: { tier: "gold", name: "Ann" } } }
    })
    expect(missing.status).toBe(400)
    expect(isErrorShape(missing.body)).toBe(true)
    expect(missing.body.error.code).toBe("validation_failed")
    expect(items(missing.body.error.details?.issues)).toEqual(expect.arrayContaining([
      { path: "data.channel", message: "is missing" },
      { path: "data.customer.id", message: "is missing" }
    ]))
  })

  it("delivers a payload with unknown fields JSON-equal to what was sent", async () => {
    const { key } = await createAccount(client, "pro")
    const hook = await client.request("POST", "/v1/webhooks", {
      token: key,
      json: webhookInput({ url: `${receiverUrl}/extra-fields` })
    })
    expect(hook.status).toBe(201)
    const data = extended("delivered")
    const published = await client.request("POST", "/v1/events", {
      token: key,
      json: { id: "data-delivered", type: "message.created", data }
    })
    expect(published.status).toBe(202)
    const arrived = await eventually(
      () => arrivals.filter((a) => a.path === "/extra-fields"),
      (found) => found.length > 0
    )
    expect(arrived).toHaveLength(1)
    const body: unknown = JSON.parse(arrived[0]!.body)
    expect(body).toMatchObject({ id: "data-delivered", type: "message.created" })
    expect((body as { data: unknown }).data).toEqual(data)
  })
})

describe("a reused event id", () => {
  it("answers 409 event_id_conflict for another type or data, and the original answer for the same event", async () => {
    const { key } = await createAccount(client)
    const data = extended()
    const first = await client.request("POST", "/v1/events", {
      token: key,
      json: { id: "reused-1", type: "message.created", data }
    })
    expect(first.status).toBe(202)

    // The same event again, its keys in another order: the original answer.
    const reordered = Object.fromEntries(Object.entries(data).reverse())
    const again = await client.request("POST", "/v1/events", {
      token: key,
      json: { id: "reused-1", type: "message.created", data: reordered }
    })
    expect(again.status).toBe(202)
    expect(again.body).toEqual({ ...first.body, duplicate: true })

    const conflicts = [
      { id: "reused-1", type: "message.created", data: extended("other text") },
      { id: "reused-1", type: "message.created", data: { ...data, source: "api" } },
      { id: "reused-1", type: "message.created", data: messageCreated() },
      {
        id: "reused-1",
        type: "user.updated",
        data: {
          user: { id: "u1", name: "Ann", updatedAt: "2025-01-01T00:00:00Z" },
          changes: [{ field: "name", from: "A", to: "Ann" }]
        }
      }
    ]
    for (const json of conflicts) {
      const response = await client.request("POST", "/v1/events", { token: key, json })
      expect(response.status, JSON.stringify(json.data)).toBe(409)
      expect(isErrorShape(response.body)).toBe(true)
      expect(response.body.error.code).toBe("event_id_conflict")
      expect(String(response.body.error.message)).toMatch(/different type or data/)
    }
    expect((await client.request("GET", "/v1/events/reused-1", { token: key })).body.data).toEqual(data)
  })

  it("rejects a batch item reusing an id for another event, and answers a repeated one as a duplicate", async () => {
    const { key } = await createAccount(client)
    const data = extended("batch")
    await client.request("POST", "/v1/events", { token: key, json: { id: "reused-batch", type: "message.created", data } })
    const batch = await client.request("POST", "/v1/events/batch", {
      token: key,
      json: {
        events: [
          { id: "reused-batch", type: "message.created", data },
          { id: "reused-batch", type: "message.created", data: extended("changed") },
          { id: "reused-fresh", type: "message.created", data },
          { id: "reused-fresh", type: "message.created", data: extended("changed") }
        ]
      }
    })
    expect(batch.status).toBe(200)
    expect(batch.body).toMatchObject({ accepted: 2, rejected: 2 })
    const [same, changed, fresh, changedInBatch] = items(batch.body.results)
    expect(same).toMatchObject({ status: "accepted", event: { id: "reused-batch", duplicate: true } })
    expect(changed).toMatchObject({ status: "rejected", id: "reused-batch", error: { code: "event_id_conflict" } })
    expect(fresh).toMatchObject({ status: "accepted", event: { id: "reused-fresh", duplicate: false } })
    expect(changedInBatch).toMatchObject({ status: "rejected", id: "reused-fresh", error: { code: "event_id_conflict" } })
    expect((await client.request("GET", "/v1/events/reused-fresh", { token: key })).body.data).toEqual(data)
  })
})
