import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Client, createAccount, messageCreated, startTestServer, type Started, webhookInput } from "../../support/http-server.js"

/**
 * `/metrics` after some traffic (issue 12): per-webhook attempt counters by outcome, and the process and
 * runtime series (resident memory, heap, event-loop delay, GC time), served through the API.
 */

let server: Started
let client: Client
let receiver: Server
let receiverUrl = ""

beforeAll(async () => {
  server = await startTestServer({ allowPrivateTargets: true, scanIntervalMs: 100, circuitFailureThreshold: 1000 })
  client = server.client
  receiver = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
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

const scrape = async () => {
  const response = await fetch(`${client.baseUrl}/metrics`)
  expect(response.status).toBe(200)
  return response.text()
}

const counter = (text: string, webhookId: string, outcome: string) => {
  const match = new RegExp(`^hookline_webhook_attempts_total\\{webhook_id="${webhookId}",outcome="${outcome}"\\} (\\d+)$`, "m").exec(text)
  return match === null ? 0 : Number(match[1])
}

describe("/metrics", () => {
  it("carries per-webhook attempt counters and process metrics after traffic", async () => {
    const { key } = await createAccount(client, "pro")
    const ok = await client.request<{ id: string }>("POST", "/v1/webhooks", {
      token: key,
      json: webhookInput({ url: `${receiverUrl}/ok`, retrySchedule: [60] })
    })
    const failing = await client.request<{ id: string }>("POST", "/v1/webhooks", {
      token: key,
      json: webhookInput({ url: `${receiverUrl}/fail`, retrySchedule: [60] })
    })
    expect([ok.status, failing.status]).toEqual([201, 201])
    for (let n = 0; n < 3; n++) {
      const published = await client.request("POST", "/v1/events", {
        token: key,
        json: { id: `metrics-${n}`, type: "message.created", data: messageCreated() }
      })
      expect(published.status).toBe(202)
    }
    const deadline = Date.now() + 15_000
    let text = await scrape()
    while (
      Date.now() < deadline &&
      (counter(text, ok.body.id, "success") < 3 || counter(text, failing.body.id, "failure") < 3)
    ) {
      await new Promise((r) => setTimeout(r, 100))
      text = await scrape()
    }
    expect(counter(text, ok.body.id, "success")).toBe(3)
    expect(counter(text, ok.body.id, "failure")).toBe(0)
    expect(counter(text, failing.body.id, "failure")).toBe(3)
    expect(text).toContain("# TYPE hookline_webhook_attempts_total counter")

    for (const name of ["hookline_process_resident_memory_bytes", "hookline_process_heap_used_bytes", "hookline_process_heap_total_bytes"]) {
      expect(text).toContain(`# TYPE ${name} gauge`)
      expect(text).toMatch(new RegExp(`^${name} [1-9]\\d*$`, "m"))
    }
    expect(text).toMatch(/^hookline_process_event_loop_delay_seconds\{quantile="0.5"\} [\d.e-]+$/m)
    expect(text).toMatch(/^hookline_process_event_loop_delay_seconds\{quantile="0.99"\} [\d.e-]+$/m)
    expect(text).toMatch(/^hookline_process_event_loop_delay_max_seconds [\d.e-]+$/m)
    expect(text).toContain("# TYPE hookline_process_gc_seconds_total counter")
    for (const kind of ["minor", "major", "incremental", "weakcb"]) {
      expect(text).toMatch(new RegExp(`^hookline_process_gc_seconds_total\\{kind="${kind}"\\} [\\d.e-]+$`, "m"))
      expect(text).toMatch(new RegExp(`^hookline_process_gc_runs_total\\{kind="${kind}"\\} \\d+$`, "m"))
    }
    // Each family is declared once, whatever the number of its series.
    expect(text.match(/^# TYPE hookline_process_event_loop_delay_seconds /gm)).toHaveLength(1)
    expect(text).not.toContain("whsec_")
  })
})
