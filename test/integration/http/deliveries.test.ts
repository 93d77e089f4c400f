import { Effect } from "effect"
import { createServer, type Server } from "node:http"
import { EventStore } from "../../../src/eventstore/event-store.js"
import { randomBytes } from "node:crypto"
import type { AddressInfo } from "node:net"
import { Webhook as StandardWebhook } from "standardwebhooks"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  type Client,
  createAccount,
  isErrorShape,
  items,
  type Json,
  messageCreated,
  startTestServer,
  type Started,
  webhookInput
} from "../../support/http-server.js"
import { eventuallyAsync as eventually } from "../../support/eventually.js"

interface Arrival {
  readonly path: string
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

let server: Started
let client: Client
let receiver: Server
let receiverUrl = ""
const arrivals: Array<Arrival> = []

beforeAll(async () => {
  // The failing endpoint here must keep being tried: no circuit breaking in this file.
  server = await startTestServer({ allowPrivateTargets: true, scanIntervalMs: 100, circuitFailureThreshold: 1000 })
  client = server.client
  receiver = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      arrivals.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") })
      res.writeHead(req.url?.startsWith("/fail") ? 500 : 200)
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


const publish = (key: string, id: string) =>
  client.request("POST", "/v1/events", { token: key, json: { id, type: "message.created", data: messageCreated() } })

describe("deliveries API", () => {
  it("delivers the body that was stored: a repeated id with other data changes nothing", async () => {
    const { key } = await createAccount(client, "pro")
    await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ url: `${receiverUrl}/ok/body` }) })
    const first = messageCreated()
    const other = messageCreated({ text: "not this one" })
    const stored = await client.request("POST", "/v1/events", {
      token: key,
      json: { id: "body-once", type: "message.created", data: first }
    })
    expect(stored.status).toBe(202)
    const again = await client.request("POST", "/v1/events/batch", {
      token: key,
      json: { events: [{ id: "body-once", type: "message.created", data: other }] }
    })
    expect(again.status).toBe(200)
    const arrived = await eventually(
      async () => arrivals.filter((a) => a.headers["webhook-id"] === "body-once"),
      (found) => found.length > 0
    )
    await new Promise((r) => setTimeout(r, 300))
    expect(arrivals.filter((a) => a.headers["webhook-id"] === "body-once")).toHaveLength(1)
    const body = JSON.parse(arrived[0]!.body) as { id: string; data: unknown }
    expect(body).toMatchObject({ id: "body-once", type: "message.created", data: first })
  })

  it("shows the delivery log, each delivery with its attempts, and the event with its deliveries", async () => {
    const { key } = await createAccount(client, "pro")
    const created = await client.request("POST", "/v1/webhooks", {
      token: key,
      json: webhookInput({ url: `${receiverUrl}/ok`, headers: { "X-Token": "t0ps3cret" } })
    })
    const webhookId = String(created.body.id)
    const secret = String(created.body.secret)
    for (let i = 0; i < 5; i++) expect((await publish(key, `log-${i}`)).status).toBe(202)

    const log = await eventually(
      () => client.request("GET", `/v1/webhooks/${webhookId}/deliveries`, { token: key }),
      (r) => items(r.body.data).length === 5 && items(r.body.data).every((d) => String(d.status) === "delivered")
    )
    expect(log.status).toBe(200)
    expect(items(log.body.data).map((d) => d.eventId)).toEqual(["log-4", "log-3", "log-2", "log-1", "log-0"])

    const page1 = await client.request("GET", `/v1/webhooks/${webhookId}/deliveries?limit=2`, { token: key })
    expect(items(page1.body.data)).toHaveLength(2)
    const page2 = await client.request(
      "GET",
      `/v1/webhooks/${webhookId}/deliveries?limit=2&cursor=${String(page1.body.nextCursor)}`,
      { token: key }
    )
    expect(items(page2.body.data).map((d) => d.eventId)).toEqual(["log-2", "log-1"])
    const filtered = await client.request("GET", `/v1/webhooks/${webhookId}/deliveries?status=exhausted`, { token: key })
    expect(items(filtered.body.data)).toHaveLength(0)
    const bad = await client.request("GET", `/v1/webhooks/${webhookId}/deliveries?status=nope`, { token: key })
    expect(bad.status).toBe(400)
    expect(isErrorShape(bad.body)).toBe(true)

    const deliveryId = String(items(log.body.data)[0]!.id)
    const detail = await client.request("GET", `/v1/deliveries/${deliveryId}`, { token: key })
    expect(detail.status).toBe(200)
    const attempts = items(detail.body.attemptLog)
    expect(attempts).toHaveLength(1)
    expect(attempts[0]).toMatchObject({ attempt: 1, outcome: "succeeded", response: { status: 200 } })
    expect(JSON.stringify(detail.body)).not.toContain("t0ps3cret")
    expect(JSON.stringify(detail.body)).not.toContain(secret)

    const event = await client.request("GET", "/v1/events/log-4", { token: key })
    expect(items(event.body.deliveries).map((d) => d.webhookId)).toEqual([webhookId])

    // Signed with the webhook's secret, verified by an independent implementation.
    const arrival = arrivals.find((a) => a.headers["webhook-id"] === "log-4")!
    const verified = new StandardWebhook(secret.slice("whsec_".length)).verify(arrival.body, {
      "webhook-id": String(arrival.headers["webhook-id"]),
      "webhook-timestamp": String(arrival.headers["webhook-timestamp"]),
      "webhook-signature": String(arrival.headers["webhook-signature"])
    }) as Json
    expect(verified.id).toBe("log-4")
    expect(arrival.headers["x-token"]).toBe("t0ps3cret")
  })

  it("redelivers one delivery with the same webhook-id, and recovers failed ones in a window (dry run first)", async () => {
    const { key } = await createAccount(client, "pro")
    const ok = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ url: `${receiverUrl}/ok-2` }) })
    const failing = await client.request("POST", "/v1/webhooks", {
      token: key,
      json: webhookInput({ url: `${receiverUrl}/fail`, retrySchedule: [0] })
    })
    const since = new Date(Date.now() - 1000).toISOString()
    await publish(key, "redo-1")
    await publish(key, "redo-2")
    const okLog = await eventually(
      () => client.request("GET", `/v1/webhooks/${String(ok.body.id)}/deliveries`, { token: key }),
      (r) => items(r.body.data).length === 2 && items(r.body.data).every((d) => String(d.status) === "delivered")
    )
    const deliveryId = String(items(okLog.body.data)[0]!.id)
    const before = arrivals.filter((a) => a.path === "/ok-2" && a.headers["webhook-id"] === "redo-2").length
    const redelivered = await client.request("POST", `/v1/deliveries/${deliveryId}/redeliver`, { token: key })
    expect(redelivered.status).toBe(202)
    await eventually(
      async () => arrivals.filter((a) => a.path === "/ok-2" && a.headers["webhook-id"] === "redo-2").length,
      (n) => n === before + 1
    )
    const detail = await eventually(
      () => client.request("GET", `/v1/deliveries/${deliveryId}`, { token: key }),
      (r) => items(r.body.attemptLog).length === 2 && String(r.body.status) === "delivered"
    )
    expect(items(detail.body.redeliveries)).toEqual([{ at: expect.any(String), reason: "redeliver" }])
    // Numbered across the redelivery, each saying what started it.
    expect(items(detail.body.attemptLog).map((a) => [a.attempt, a.trigger])).toEqual([[1, "schedule"], [2, "redeliver"]])
    expect(detail.body.attempts).toBe(2)

    const failingId = String(failing.body.id)
    await eventually(
      () => client.request("GET", `/v1/webhooks/${failingId}/deliveries?status=exhausted`, { token: key }),
      (r) => items(r.body.data).length === 2
    )
    const dry = await client.request("POST", `/v1/webhooks/${failingId}/recover`, {
      token: key,
      json: { since, dryRun: true }
    })
    expect(dry.body).toEqual({ count: 2, dryRun: true })
    const failedBefore = arrivals.filter((a) => a.path === "/fail").length
    const recovered = await client.request("POST", `/v1/webhooks/${failingId}/recover`, { token: key, json: { since } })
    expect(recovered.body).toEqual({ count: 2, dryRun: false })
    // Each is attempted again (1 + 1 retry each) and ends exhausted again.
    await eventually(async () => arrivals.filter((a) => a.path === "/fail").length, (n) => n >= failedBefore + 4)
    expect(arrivals.filter((a) => a.path === "/fail").length).toBeGreaterThanOrEqual(failedBefore + 4)
    const recoveredLog = await eventually(
      () => client.request("GET", `/v1/webhooks/${failingId}/deliveries?status=exhausted`, { token: key }),
      (r) => items(r.body.data).length === 2 && items(r.body.data).every((d) => Number(d.attempts) === 4)
    )
    const one = await client.request("GET", `/v1/deliveries/${String(items(recoveredLog.body.data)[0]!.id)}`, { token: key })
    // The retry schedule starts over after a recover ([0]: one retry), the numbering does not.
    expect(items(one.body.attemptLog).map((a) => [a.attempt, a.trigger])).toEqual([
      [1, "schedule"],
      [2, "schedule"],
      [3, "recover"],
      [4, "schedule"]
    ])
    expect(items(one.body.redeliveries).map((r) => r.reason)).toEqual(["recover"])
    const invalid = await client.request("POST", `/v1/webhooks/${failingId}/recover`, { token: key, json: { since: "yesterday" } })
    expect(invalid.status).toBe(400)
  })

  it("signs with the caller's own secret from create, and with the one given to rotate-secret", async () => {
    const { key } = await createAccount(client, "pro")
    const own = `whsec_${randomBytes(32).toString("base64")}`
    const created = await client.request("POST", "/v1/webhooks", {
      token: key,
      json: webhookInput({ url: `${receiverUrl}/own-secret`, secret: own })
    })
    expect(created.body.secret).toBe(own)
    const signedWith = async (eventId: string) => {
      expect((await publish(key, eventId)).status).toBe(202)
      const arrival = await eventually(
        async () => arrivals.find((a) => a.headers["webhook-id"] === eventId),
        (a) => a !== undefined
      )
      expect(arrival).toBeDefined()
      const headers = {
        "webhook-id": String(arrival!.headers["webhook-id"]),
        "webhook-timestamp": String(arrival!.headers["webhook-timestamp"]),
        "webhook-signature": String(arrival!.headers["webhook-signature"])
      }
      return (secret: string): boolean => {
        try {
          new StandardWebhook(secret).verify(arrival!.body, headers)
          return true
        } catch {
          return false
        }
      }
    }
    const first = await signedWith("own-secret-1")
    expect(first(own)).toBe(true)

    const own2 = `whsec_${randomBytes(64).toString("base64")}`
    const rotated = await client.request("POST", `/v1/webhooks/${String(created.body.id)}/rotate-secret`, {
      token: key,
      json: { secret: own2, overlapSeconds: 0 }
    })
    expect(rotated.body.secret).toBe(own2)
    // The change reaches the webhook's actor asynchronously; the next delivery is signed with own2 alone.
    await new Promise((r) => setTimeout(r, 500))
    const second = await signedWith("own-secret-2")
    expect(second(own2)).toBe(true)
    expect(second(own)).toBe(false)
  })

  it("checks the recover window: until after since, and a missing body names since", async () => {
    const { key } = await createAccount(client, "pro")
    const created = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ url: `${receiverUrl}/fail-window` }) })
    const path = `/v1/webhooks/${String(created.body.id)}/recover`
    const refusals: ReadonlyArray<readonly [{ readonly json?: unknown }, string, RegExp]> = [
      [{ json: { since: "2025-01-02T00:00:00Z", until: "2025-01-01T00:00:00Z" } }, "until", /after since/],
      [{ json: { since: "2025-01-01T00:00:00Z", until: "2025-01-01T00:00:00Z", dryRun: true } }, "until", /after since/],
      [{}, "since", /missing/],
      [{ json: null }, "since", /missing/],
      [{ json: {} }, "since", /missing/],
      [{ json: { until: "2025-01-01T00:00:00Z" } }, "since", /missing/]
    ]
    for (const [options, field, message] of refusals) {
      const response = await client.request("POST", path, { token: key, ...options })
      expect(response.status, JSON.stringify(options)).toBe(400)
      expect(isErrorShape(response.body)).toBe(true)
      expect(response.body.error.code).toBe("validation_failed")
      expect(items(response.body.error.details.issues), JSON.stringify(options)).toEqual([
        { path: field, message: expect.stringMatching(message) }
      ])
      expect(String(response.body.error.message)).not.toMatch(/RecoverInput|null/)
    }
    const ok = await client.request("POST", path, {
      token: key,
      json: { since: "2025-01-01T00:00:00Z", until: "2025-01-01T00:00:00.001Z", dryRun: true }
    })
    expect(ok.body).toEqual({ count: 0, dryRun: true })
  })

  it("sends a real signed test event to one webhook", async () => {
    const { key } = await createAccount(client, "pro")
    const created = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ url: `${receiverUrl}/test-me` }) })
    const sent = await client.request("POST", `/v1/webhooks/${String(created.body.id)}/test`, { token: key })
    expect(sent.status).toBe(202)
    const arrival = await eventually(
      async () => arrivals.find((a) => a.path === "/test-me"),
      (a) => a !== undefined
    )
    expect(arrival?.headers["webhook-id"]).toBe(sent.body.eventId)
    expect(JSON.parse(arrival!.body)).toMatchObject({ type: "webhook.test" })
    const detail = await eventually(
      () => client.request("GET", `/v1/deliveries/${String(sent.body.deliveryId)}`, { token: key }),
      (r) => String(r.body.status) === "delivered"
    )
    expect(detail.body.status).toBe("delivered")
  })

  it("another account gets 404 for every delivery route", async () => {
    const owner = await createAccount(client, "pro")
    const stranger = await createAccount(client, "pro")
    const created = await client.request("POST", "/v1/webhooks", { token: owner.key, json: webhookInput({ url: `${receiverUrl}/mine` }) })
    const webhookId = String(created.body.id)
    await publish(owner.key, "mine-1")
    const log = await eventually(
      () => client.request("GET", `/v1/webhooks/${webhookId}/deliveries`, { token: owner.key }),
      (r) => items(r.body.data).length === 1
    )
    const deliveryId = String(items(log.body.data)[0]!.id)
    const attempts = [
      client.request("GET", `/v1/webhooks/${webhookId}/deliveries`, { token: stranger.key }),
      client.request("POST", `/v1/webhooks/${webhookId}/recover`, { token: stranger.key, json: { since: "2020-01-01T00:00:00Z" } }),
      client.request("POST", `/v1/webhooks/${webhookId}/test`, { token: stranger.key }),
      client.request("GET", `/v1/deliveries/${deliveryId}`, { token: stranger.key }),
      client.request("POST", `/v1/deliveries/${deliveryId}/redeliver`, { token: stranger.key }),
      client.request("GET", "/v1/events/mine-1", { token: stranger.key })
    ]
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(404)
      expect(isErrorShape(response.body)).toBe(true)
    }
  })

  it("carries the publishing request's correlation id onto the delivery attempts", async () => {
    const { key } = await createAccount(client, "pro")
    const created = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ url: `${receiverUrl}/corr` }) })
    const published = await client.request("POST", "/v1/events", {
      token: key,
      json: { id: "corr-1", type: "message.created", data: messageCreated() },
      headers: { "x-correlation-id": "req-abc-123" }
    })
    expect(published.headers.get("x-correlation-id")).toBe("req-abc-123")
    const log = await eventually(
      () => client.request("GET", `/v1/webhooks/${String(created.body.id)}/deliveries`, { token: key }),
      (r) => items(r.body.data).length === 1 && String(items(r.body.data)[0]!.status) === "delivered"
    )
    const deliveryId = String(items(log.body.data)[0]!.id)
    const stream = await server.runtime.runPromise(
      Effect.flatMap(EventStore, (store) => store.readStream(`delivery-${deliveryId}`))
    )
    expect(stream.map((e) => e.metadata.correlationId)).toEqual(["req-abc-123"])
  })

  it("serves Prometheus metrics", async () => {
    const response = await fetch(`${client.baseUrl}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toContain("text/plain")
    const text = await response.text()
    expect(text).toMatch(/hookline_delivery_attempts_total\{outcome="success"\} \d+/)
    expect(text).toContain("# TYPE hookline_attempt_duration_seconds histogram")
    expect(text).toMatch(/hookline_projection_lag_events\{projection="deliveries"\} \d+/)
    expect(text).toMatch(/hookline_http_requests_total\{route="\/v1\/webhooks\/:id\/deliveries",method="GET",status="200"\} \d+/)
    expect(text).toContain("hookline_eventstore_append_seconds_bucket")
    expect(text).not.toContain("whsec_")
  })
})
