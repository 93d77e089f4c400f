import { createServer, type IncomingHttpHeaders, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { Webhook as StandardWebhook } from "standardwebhooks"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { operationalEventTypes } from "../../../src/domain/event-types.js"
import { operatorAccountId } from "../../../src/domain/operational.js"
import { OperationalReactor } from "../../../src/delivery/operational.js"
import { EventStore } from "../../../src/eventstore/event-store.js"
import { LogPosition } from "../../../src/eventstore/types.js"
import {
  type Client,
  createAccount,
  items,
  type Json,
  messageCreated,
  startTestServer,
  type Started,
  testOperatorToken,
  webhookInput
} from "../../support/http-server.js"
import { eventuallyAsync } from "../../support/eventually.js"

// The circuit opens after two failures and stays open a second, so open, probe and close all fit a test.
let server: Started
let client: Client
let receiver: Server
let receiverUrl = ""
let flakyFails = true

interface Arrival {
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}
const arrivals: Array<Arrival> = []

beforeAll(async () => {
  server = await startTestServer({
    allowPrivateTargets: true,
    scanIntervalMs: 100,
    circuitFailureThreshold: 2,
    circuitCooldownMs: 1000,
    circuitMaxCooldownMs: 2000
  })
  client = server.client
  receiver = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const path = req.url ?? ""
      arrivals.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") })
      const status = path.startsWith("/gone")
        ? 410
        : path.startsWith("/fail") || (path.startsWith("/flaky") && flakyFails)
        ? 500
        : 200
      res.writeHead(status)
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

const eventually = <A>(probe: () => Promise<A> | A, check: (a: A) => boolean, timeout = 30_000) =>
  eventuallyAsync(probe, check, timeout)

const createWebhook = async (key: string, overrides: Record<string, unknown>) => {
  const created = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput(overrides) })
  expect(created.status).toBe(201)
  return { id: String(created.body.id), secret: String(created.body.secret) }
}

const publish = async (key: string, id: string) =>
  expect(
    (await client.request("POST", "/v1/events", { token: key, json: { id, type: "message.created", data: messageCreated() } }))
      .status
  ).toBe(202)

/** An arrival at `path`, its signature verified with the webhook's secret by an independent library. */
interface Received {
  readonly id: string
  readonly type: string
  readonly data: Json
}
const verified = (arrival: Arrival, secret: string): Received =>
  new StandardWebhook(secret.slice("whsec_".length)).verify(arrival.body, {
    "webhook-id": String(arrival.headers["webhook-id"]),
    "webhook-timestamp": String(arrival.headers["webhook-timestamp"]),
    "webhook-signature": String(arrival.headers["webhook-signature"])
  }) as unknown as Received

const receivedAt = (path: string, secret: string): ReadonlyArray<Received> =>
  arrivals.filter((a) => a.path === path).map((a) => verified(a, secret))

const waitFor = (path: string, secret: string, found: (r: Received) => boolean) =>
  eventually(() => receivedAt(path, secret), (rs) => rs.some(found))

// The operator's endpoint, on the operator's account, registered with a key the operator issued for it.
let operatorSecret = ""
const operatorPath = "/ops/operator"

beforeAll(async () => {
  const issued = await eventually(
    () => client.request("POST", `/v1/admin/accounts/${operatorAccountId}/keys`, { token: testOperatorToken }),
    (r) => r.status === 201
  )
  expect(issued.status).toBe(201)
  const key = String(issued.body.key)
  operatorSecret = (await createWebhook(key, { url: `${receiverUrl}${operatorPath}`, events: [...operationalEventTypes] }))
    .secret
}, 30_000)

describe("operational webhooks", () => {
  it("lists the five operational types in the catalogue, subscribable, with their schemas; none can be published", async () => {
    const { key } = await createAccount(client, "pro")
    const catalogue = items((await client.request("GET", "/v1/event-types", { token: key })).body.data)
    for (const type of operationalEventTypes) {
      const entry = catalogue.find((t) => String(t.type) === type)
      expect(entry).toMatchObject({ subscribable: true })
      expect(entry!.schema.$schema).toBe("http://json-schema.org/draft-07/schema#")
    }
    const forged = await client.request("POST", "/v1/events", {
      token: key,
      json: { type: "endpoint.disabled", data: { webhookId: "wh_x", reason: "forged", at: "2026-01-01T00:00:00.000Z" } }
    })
    expect(forged.status).toBe(400)
    expect(forged.body.error.details.issues).toEqual([
      { path: "type", message: "endpoint.disabled is an operational event: only Hookline sends it" }
    ])
  })

  it("tells the owner and the operator of a circuit opening and closing and of the endpoint's recovery, and only the owner", async () => {
    const a = await createAccount(client, "pro", "A")
    const b = await createAccount(client, "pro", "B")
    const aOps = await createWebhook(a.key, { url: `${receiverUrl}/ops/a`, events: [...operationalEventTypes] })
    const bOps = await createWebhook(b.key, { url: `${receiverUrl}/ops/b`, events: [...operationalEventTypes] })
    const flaky = await createWebhook(a.key, { url: `${receiverUrl}/flaky`, maxConcurrency: 1, retrySchedule: Array(10).fill(1) })
    for (const n of [1, 2, 3]) await publish(a.key, `op-flaky-${n}`)

    const opened = await waitFor("/ops/a", aOps.secret, (r) => r.type === "endpoint.circuit_opened")
    const openedEvent = opened.find((r) => r.type === "endpoint.circuit_opened")!
    expect(openedEvent.data).toMatchObject({ webhookId: flaky.id, failures: 2, failureClasses: ["http_500"] })
    expect(Date.parse(String(openedEvent.data.until))).toBeGreaterThan(0)

    flakyFails = false
    const recovered = await waitFor("/ops/a", aOps.secret, (r) => r.type === "endpoint.recovered")
    expect(recovered.find((r) => r.type === "endpoint.recovered")!.data).toMatchObject({ webhookId: flaky.id })
    expect(Number(recovered.find((r) => r.type === "endpoint.recovered")!.data.failuresBefore)).toBeGreaterThanOrEqual(2)
    const closed = await waitFor("/ops/a", aOps.secret, (r) => r.type === "endpoint.circuit_closed")
    expect(closed.find((r) => r.type === "endpoint.circuit_closed")!.data).toMatchObject({ webhookId: flaky.id })

    // The operator hears of each too, on its own endpoint, signed with its own secret.
    for (const type of ["endpoint.circuit_opened", "endpoint.recovered", "endpoint.circuit_closed"]) {
      const seen = await waitFor(operatorPath, operatorSecret, (r) => r.type === type && String(r.data.webhookId) === flaky.id)
      expect(seen.some((r) => r.type === type && String(r.data.webhookId) === flaky.id)).toBe(true)
    }
    // B's operational endpoint hears nothing of A's webhooks.
    expect(receivedAt("/ops/b", bOps.secret).filter((r) => String(r.data.webhookId) === flaky.id)).toEqual([])
    expect(arrivals.filter((a) => a.path === "/ops/b" && a.body.includes(flaky.id))).toEqual([])
  }, 60_000)

  it("tells of a disabled webhook and of an exhausted delivery, with its event and last error", async () => {
    const owner = await createAccount(client, "pro", "Owner")
    const ops = await createWebhook(owner.key, { url: `${receiverUrl}/ops/owner`, events: [...operationalEventTypes] })
    const gone = await createWebhook(owner.key, { url: `${receiverUrl}/gone` })
    const failing = await createWebhook(owner.key, { url: `${receiverUrl}/fail/exhausted`, retrySchedule: [1] })
    await publish(owner.key, "op-exhaust-1")

    const disabled = await waitFor("/ops/owner", ops.secret, (r) => r.type === "endpoint.disabled")
    expect(disabled.find((r) => r.type === "endpoint.disabled")!.data).toMatchObject({
      webhookId: gone.id,
      reason: "the endpoint answered 410 Gone"
    })
    // The 410 also ended the delivery to `gone`: the one to `failing` is the one retried.
    const isFailing = (r: Received) => r.type === "delivery.exhausted" && String(r.data.webhookId) === failing.id
    const exhausted = await waitFor("/ops/owner", ops.secret, isFailing)
    const event = exhausted.find(isFailing)!
    expect(event.data).toMatchObject({
      webhookId: failing.id,
      eventId: "op-exhaust-1",
      eventType: "message.created",
      attempts: 2
    })
    expect(String(event.data.deliveryId)).toMatch(/^dlv_/)
    expect(String(event.data.lastError)).toMatch(/500/)
    for (const type of ["endpoint.disabled", "delivery.exhausted"]) {
      const seen = await waitFor(operatorPath, operatorSecret, (r) => r.type === type && (String(r.data.webhookId) === gone.id || String(r.data.webhookId) === failing.id))
      expect(seen.some((r) => r.type === type)).toBe(true)
    }
    // Delivered as any event: in the owner's delivery log, retrievable by id.
    const shown = await client.request("GET", `/v1/events/${event.id}`, { token: owner.key })
    expect(shown.status).toBe(200)
    expect(shown.body).toMatchObject({ type: "delivery.exhausted" })
  }, 60_000)

  it("does not tell of an exhausted delivery of an operational event: a failing operational endpoint is no loop", async () => {
    const c = await createAccount(client, "pro", "C")
    const brokenOps = await createWebhook(c.key, { url: `${receiverUrl}/fail/ops`, events: ["delivery.exhausted"], retrySchedule: [1] })
    const failing = await createWebhook(c.key, { url: `${receiverUrl}/fail/c`, retrySchedule: [1] })
    await publish(c.key, "op-loop-1")

    // The exhaustion of C's delivery is told to C's broken endpoint, whose delivery is exhausted in turn.
    const deliveries = () => client.request("GET", `/v1/webhooks/${brokenOps.id}/deliveries`, { token: c.key })
    const first = await eventually(deliveries, (r) => items(r.body.data).some((d) => String(d.status) === "exhausted"))
    expect(items(first.body.data).map((d) => String(d.status))).toEqual(["exhausted"])
    // Time for a second round, were there one: none comes, to C or to the operator.
    await new Promise((r) => setTimeout(r, 3_000))
    expect(items((await deliveries()).body.data)).toHaveLength(1)
    const toOperator = receivedAt(operatorPath, operatorSecret).filter((r) => r.type === "delivery.exhausted")
    expect(toOperator.filter((r) => String(r.data.webhookId) === failing.id)).toHaveLength(1)
    expect(toOperator.filter((r) => String(r.data.webhookId) === brokenOps.id)).toEqual([])
  }, 60_000)
})

describe("the operational reactor, started over", () => {
  it("publishes nothing twice when it reads the log again from the start", async () => {
    const run = <A, E>(effect: Effect.Effect<A, E, SqlClient | EventStore>) => server.runtime.runPromise(effect)
    const count = Effect.flatMap(SqlClient, (sql) =>
      sql<{ n: string }>`SELECT count(*)::text AS n FROM events WHERE event_type = 'EventPublished' AND stream_id LIKE 'event-op\\_%'`
    ).pipe(Effect.map((rows) => Number(rows[0]!.n)))
    const before = await run(count)
    expect(before).toBeGreaterThan(0)
    const arrived = arrivals.length
    // Rewound under the running reactor: its next append is overtaken, and it starts over from the start,
    // deciding every notice again.
    await run(
      Effect.flatMap(SqlClient, (sql) =>
        sql`UPDATE reactor_checkpoints SET transaction_id = '0'::xid8, global_position = 0 WHERE name = 'operational'`
      )
    )
    // That next append: a webhook answering 410 is disabled (told to the operator and its owner), and its
    // delivery ends (told to both too).
    const d = await createAccount(client, "pro", "D")
    const gone = await createWebhook(d.key, { url: `${receiverUrl}/gone/d` })
    await publish(d.key, "op-restart-1")
    expect(await eventually(() => run(count), (n) => n >= before + 4)).toBe(before + 4)
    // Read on to the head, having decided everything again: still only the new ones.
    const head = await run(Effect.flatMap(EventStore, (store) => store.head))
    const reactor = () => server.runtime.runPromise(Effect.flatMap(OperationalReactor, (r) => r.checkpoint))
    expect(LogPosition.compare(await eventually(reactor, (c) => LogPosition.compare(c, head) >= 0), head)).toBeGreaterThanOrEqual(0)
    await new Promise((r) => setTimeout(r, 1_000))
    expect(await run(count)).toBe(before + 4)
    const toOperator = arrivals.slice(arrived).filter((a) => a.path === operatorPath).map((a) => verified(a, operatorSecret))
    expect(toOperator.map((r) => [r.type, String(r.data.webhookId)]).sort()).toEqual([
      ["delivery.exhausted", gone.id],
      ["endpoint.disabled", gone.id]
    ])
  }, 30_000)
})
