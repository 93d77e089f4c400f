import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
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
import { eventuallyAsync } from "../../support/eventually.js"

// The circuit opens after two failures and stays open 4 s (long enough to look at it, short enough to
// see the probe close it).
let server: Started
let client: Client
let receiver: Server
let receiverUrl = ""
let flakyFails = true
const arrivals: Array<string> = []

beforeAll(async () => {
  server = await startTestServer({
    allowPrivateTargets: true,
    scanIntervalMs: 100,
    circuitFailureThreshold: 2,
    circuitCooldownMs: 4000,
    circuitMaxCooldownMs: 8000
  })
  client = server.client
  receiver = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      const path = req.url ?? ""
      arrivals.push(path)
      res.writeHead(path.startsWith("/fail") || (path.startsWith("/flaky") && flakyFails) ? 500 : 200)
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

const eventually = <A>(probe: () => Promise<A> | A, check: (a: A) => boolean, timeout = 20_000) =>
  eventuallyAsync(probe, check, timeout)

const publish = (key: string, id: string) =>
  client.request("POST", "/v1/events", { token: key, json: { id, type: "message.created", data: messageCreated() } })

const createWebhook = async (key: string, overrides: Record<string, unknown>) => {
  const created = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput(overrides) })
  expect(created.status).toBe(201)
  return String(created.body.id)
}

const record = (value: Json | undefined): Record<string, Json> => value as Record<string, Json>

describe("a webhook's health and the deliveries it holds back", () => {
  it("shows an open circuit on the webhook, its deliveries waiting with the probe's time, and the transitions in its history", async () => {
    const { key } = await createAccount(client, "pro")
    const id = await createWebhook(key, { url: `${receiverUrl}/flaky`, maxConcurrency: 1, retrySchedule: Array(10).fill(1) })
    for (const n of [1, 2, 3]) expect((await publish(key, `flaky-${n}`)).status).toBe(202)

    const history = () => client.request("GET", `/v1/webhooks/${id}/history`, { token: key })
    const opened = await eventually(history, (r) => items(r.body.data).some((e) => String(e.type) === "CircuitOpened"))
    const openedEntry = record(items(opened.body.data).find((e) => String(e.type) === "CircuitOpened"))
    expect(openedEntry.version).toBe(null)
    expect(openedEntry.actor).toEqual({ kind: "system" })
    expect(String(openedEntry.summary)).toMatch(/circuit opened after 2 failed attempts \(http_500\)/)

    // The health view is a read model: it follows the log a moment behind the streams.
    const health = await eventually(
      () => client.request("GET", `/v1/webhooks/${id}/health`, { token: key }),
      (r) => String(record(r.body.circuit).state) === "open"
    )
    expect(health.status).toBe(200)
    const circuit = record(health.body.circuit)
    expect(circuit.state).toBe("open")
    expect(Date.parse(String(circuit.since))).toBeLessThanOrEqual(Date.now())
    expect(Date.parse(String(circuit.nextProbeAt))).toBeGreaterThan(Date.now())
    expect(health.body).toMatchObject({ webhookId: id, status: "active", consecutiveFailures: 2, backlog: 3 })
    expect(health.body.lastSuccessAt).toBe(null)
    expect(health.body.lastFailureAt).not.toBe(null)
    expect(health.body.last24h).toEqual({ succeeded: 0, failed: 2, successRate: 0 })

    // No time in the past: each delivery says it waits on the circuit, and not before the probe.
    const waiting = await client.request("GET", `/v1/webhooks/${id}/deliveries`, { token: key })
    for (const delivery of items(waiting.body.data)) {
      expect(delivery).toMatchObject({ status: "waiting", waitingReason: "circuit_open" })
      expect(Date.parse(String(delivery.nextAttemptAt))).toBeGreaterThanOrEqual(Date.parse(String(circuit.nextProbeAt)))
    }
    const filtered = await client.request("GET", `/v1/deliveries?webhookId=${id}&status=waiting`, { token: key })
    expect(items(filtered.body.data)).toHaveLength(3)
    const retrying = await client.request("GET", `/v1/deliveries?webhookId=${id}&status=retrying`, { token: key })
    expect(items(retrying.body.data)).toHaveLength(0)

    // The endpoint recovers: one probe goes, closes the circuit, and the rest follow.
    flakyFails = false
    const delivered = await eventually(
      () => client.request("GET", `/v1/webhooks/${id}/deliveries?status=delivered`, { token: key }),
      (r) => items(r.body.data).length === 3
    )
    expect(items(delivered.body.data)).toHaveLength(3)
    const triggers = await Promise.all(
      items(delivered.body.data).map(async (d) =>
        items((await client.request("GET", `/v1/deliveries/${String(d.id)}`, { token: key })).body.attemptLog)
      )
    )
    const probes = triggers.flat().filter((a) => String(a.trigger) === "probe")
    expect(probes.length).toBeGreaterThanOrEqual(1)
    expect(probes.some((a) => String(a.outcome) === "succeeded")).toBe(true)

    const closed = await eventually(history, (r) => items(r.body.data).some((e) => String(e.type) === "CircuitClosed"))
    const circuitTypes = items(closed.body.data).map((e) => String(e.type)).filter((t) => t.startsWith("Circuit"))
    expect(circuitTypes.slice(0, 2)).toEqual(["CircuitOpened", "CircuitHalfOpened"])
    expect(circuitTypes[circuitTypes.length - 1]).toBe("CircuitClosed")
    expect(items(closed.body.data)[0]!.type).toBe("WebhookCreated")

    const after = await eventually(
      () => client.request("GET", `/v1/webhooks/${id}/health`, { token: key }),
      (r) => Number(r.body.backlog) === 0 && String(record(r.body.circuit).state) === "closed"
    )
    expect(record(after.body.circuit).state).toBe("closed")
    expect(record(after.body.circuit).nextProbeAt).toBe(null)
    expect(after.body).toMatchObject({ consecutiveFailures: 0, backlog: 0, failingSince: null })
    expect(after.body.lastSuccessAt).not.toBe(null)
    const day = record(after.body.last24h)
    expect(day.succeeded).toBe(3)
    expect(Number(day.failed)).toBeGreaterThanOrEqual(2)
    expect(day.successRate).toBeCloseTo(3 / (3 + Number(day.failed)), 3)
  }, 60_000)

  it("history pages through webhook changes and circuit transitions with one cursor", async () => {
    const { key } = await createAccount(client, "pro")
    const id = await createWebhook(key, { url: `${receiverUrl}/fail/paging`, retrySchedule: Array(10).fill(60) })
    await publish(key, "paging-1")
    await publish(key, "paging-2")
    await eventually(
      () => client.request("GET", `/v1/webhooks/${id}/history`, { token: key }),
      (r) => items(r.body.data).some((e) => String(e.type) === "CircuitOpened")
    )
    await client.request("PATCH", `/v1/webhooks/${id}`, { token: key, json: { name: "Renamed" } })
    const all = items((await client.request("GET", `/v1/webhooks/${id}/history`, { token: key })).body.data)
    const seen: Array<Json> = []
    let cursor: string | null = null
    do {
      const page: { body: Json } = await client.request(
        "GET",
        `/v1/webhooks/${id}/history?limit=1${cursor === null ? "" : `&cursor=${cursor}`}`,
        { token: key }
      )
      seen.push(...items(page.body.data))
      cursor = page.body.nextCursor === null ? null : String(page.body.nextCursor)
    } while (cursor !== null)
    expect(seen).toEqual(all)
    expect(all.map((e) => e.type)).toEqual(["WebhookCreated", "CircuitOpened", "WebhookRenamed"])
  }, 30_000)

  it("a paused webhook's due deliveries wait, with the reason and no time; resumed, they are retrying again", async () => {
    const { key } = await createAccount(client, "pro")
    const id = await createWebhook(key, { url: `${receiverUrl}/fail/paused`, retrySchedule: [3600] })
    await publish(key, "paused-1")
    await eventually(
      () => client.request("GET", `/v1/webhooks/${id}/deliveries`, { token: key }),
      (r) => items(r.body.data).length === 1 && String(items(r.body.data)[0]!.status) === "retrying"
    )
    expect((await client.request("POST", `/v1/webhooks/${id}/pause`, { token: key })).status).toBe(200)
    const paused = await client.request("GET", `/v1/webhooks/${id}/deliveries`, { token: key })
    expect(items(paused.body.data)[0]).toMatchObject({ status: "waiting", waitingReason: "webhook_paused", nextAttemptAt: null })
    expect((await client.request("POST", `/v1/webhooks/${id}/resume`, { token: key })).status).toBe(200)
    const resumed = await client.request("GET", `/v1/webhooks/${id}/deliveries`, { token: key })
    expect(items(resumed.body.data)[0]).toMatchObject({ status: "retrying", waitingReason: null })
    expect(Date.parse(String(items(resumed.body.data)[0]!.nextAttemptAt))).toBeGreaterThan(Date.now())
  }, 30_000)
})

describe("a deleted webhook", () => {
  it("ends its open deliveries as cancelled, refuses everything that acts on it with 410, and keeps its audit readable", async () => {
    const { key } = await createAccount(client, "pro")
    const id = await createWebhook(key, { url: `${receiverUrl}/fail/deleted`, retrySchedule: [3600] })
    const healthyId = await createWebhook(key, { url: `${receiverUrl}/ok/deleted` })
    await publish(key, "deleted-1")
    const retrying = await eventually(
      () => client.request("GET", `/v1/webhooks/${id}/deliveries`, { token: key }),
      (r) => items(r.body.data).length === 1 && String(items(r.body.data)[0]!.status) === "retrying"
    )
    const deliveryId = String(items(retrying.body.data)[0]!.id)
    const delivered = await eventually(
      () => client.request("GET", `/v1/webhooks/${healthyId}/deliveries`, { token: key }),
      (r) => items(r.body.data).length === 1 && String(items(r.body.data)[0]!.status) === "delivered"
    )
    const deliveredId = String(items(delivered.body.data)[0]!.id)

    expect((await client.request("DELETE", `/v1/webhooks/${id}`, { token: key })).status).toBe(204)
    // Cancelled before the answer, with the event in its stream.
    const detail = await client.request("GET", `/v1/deliveries/${deliveryId}`, { token: key })
    expect(detail.status).toBe(200)
    expect(detail.body).toMatchObject({ status: "cancelled", nextAttemptAt: null, attempts: 1 })
    expect(record(detail.body.cancelled).reason).toBe("webhook deleted")

    // Audit stays readable.
    const log = await client.request("GET", `/v1/webhooks/${id}/deliveries`, { token: key })
    expect(log.status).toBe(200)
    expect(items(log.body.data).map((d) => d.status)).toEqual(["cancelled"])
    const cancelled = await client.request("GET", `/v1/deliveries?status=cancelled`, { token: key })
    expect(items(cancelled.body.data).map((d) => d.id)).toEqual([deliveryId])
    const history = await client.request("GET", `/v1/webhooks/${id}/history`, { token: key })
    expect(history.status).toBe(200)
    expect(items(history.body.data).map((e) => e.type)).toContain("WebhookDeleted")

    // Everything that reads its settings or acts on it: 410 webhook_deleted, with the error shape.
    const acting: ReadonlyArray<readonly [string, string, unknown]> = [
      ["GET", `/v1/webhooks/${id}`, undefined],
      ["GET", `/v1/webhooks/${id}/health`, undefined],
      ["PATCH", `/v1/webhooks/${id}`, { name: "again" }],
      ["DELETE", `/v1/webhooks/${id}`, undefined],
      ["POST", `/v1/webhooks/${id}/pause`, undefined],
      ["POST", `/v1/webhooks/${id}/resume`, undefined],
      ["POST", `/v1/webhooks/${id}/rotate-secret`, undefined],
      ["POST", `/v1/webhooks/${id}/test`, undefined],
      ["POST", `/v1/webhooks/${id}/recover`, { since: "2020-01-01T00:00:00Z" }],
      ["POST", `/v1/deliveries/${deliveryId}/redeliver`, undefined]
    ]
    const sentBefore = arrivals.filter((p) => p.startsWith("/fail/deleted")).length
    for (const [method, path, json] of acting) {
      const response = await client.request(method, path, json === undefined ? { token: key } : { token: key, json })
      expect(response.status, `${method} ${path}`).toBe(410)
      expect(isErrorShape(response.body), `${method} ${path}`).toBe(true)
      expect(record(response.body.error).code, `${method} ${path}`).toBe("webhook_deleted")
    }
    // The list no longer shows it; its delivered delivery is untouched.
    const list = await client.request("GET", "/v1/webhooks", { token: key })
    expect(items(list.body.data).map((w) => w.id)).toEqual([healthyId])
    expect((await client.request("GET", `/v1/deliveries/${deliveredId}`, { token: key })).body.status).toBe("delivered")

    // Another account sees none of it: 404 everywhere, audit included.
    const stranger = await createAccount(client, "pro", "Stranger")
    for (const [method, path, json] of [
      ...acting,
      ["GET", `/v1/webhooks/${id}/history`, undefined],
      ["GET", `/v1/webhooks/${id}/deliveries`, undefined],
      ["GET", `/v1/deliveries/${deliveryId}`, undefined]
    ] as const) {
      const response = await client.request(method, path, json === undefined ? { token: stranger.key } : { token: stranger.key, json })
      expect(response.status, `stranger ${method} ${path}`).toBe(404)
    }
    await new Promise((r) => setTimeout(r, 300))
    expect(arrivals.filter((p) => p.startsWith("/fail/deleted")).length).toBe(sentBefore)
    const metrics = await client.request("GET", "/metrics")
    expect(String(metrics.body)).toMatch(/hookline_deliveries_waiting \d+/)
  }, 30_000)
})
