import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  type Client,
  createAccount,
  isErrorShape,
  startTestServer,
  type Started,
  testOperatorToken,
  webhookInput
} from "../../support/http-server.js"

let server: Started
let client: Client

beforeAll(async () => {
  server = await startTestServer({ maxRequestBytes: 1024 * 1024 })
  client = server.client
})
afterAll(() => server.stop())

/** Issue 12: malformed input is answered at the edge with a 4xx in the error shape, never a 5xx. */
describe("malformed input", () => {
  it("answers a path id holding a NUL byte or invalid UTF-8 as the route answers an unknown id, before any SQL", async () => {
    const { accountId, key } = await createAccount(client, "pro")
    const operator = testOperatorToken
    const routes: ReadonlyArray<{
      readonly method: string
      readonly path: (id: string) => string
      readonly token?: string
      readonly json?: unknown
      readonly code: string
    }> = [
      { method: "GET", path: (id) => `/v1/webhooks/${id}`, token: key, code: "webhook_not_found" },
      { method: "PATCH", path: (id) => `/v1/webhooks/${id}`, token: key, json: { name: "x" }, code: "webhook_not_found" },
      { method: "DELETE", path: (id) => `/v1/webhooks/${id}`, token: key, code: "webhook_not_found" },
      { method: "POST", path: (id) => `/v1/webhooks/${id}/pause`, token: key, code: "webhook_not_found" },
      { method: "POST", path: (id) => `/v1/webhooks/${id}/rotate-secret`, token: key, code: "webhook_not_found" },
      { method: "GET", path: (id) => `/v1/webhooks/${id}/history`, token: key, code: "webhook_not_found" },
      { method: "GET", path: (id) => `/v1/webhooks/${id}/deliveries?limit=5`, token: key, code: "webhook_not_found" },
      { method: "POST", path: (id) => `/v1/webhooks/${id}/test`, token: key, code: "webhook_not_found" },
      { method: "GET", path: (id) => `/v1/deliveries/${id}`, token: key, code: "delivery_not_found" },
      { method: "POST", path: (id) => `/v1/deliveries/${id}/redeliver`, token: key, code: "delivery_not_found" },
      { method: "GET", path: (id) => `/v1/events/${id}`, token: key, code: "event_not_found" },
      { method: "GET", path: (id) => `/v1/admin/accounts/${id}/keys`, token: operator, code: "account_not_found" },
      { method: "DELETE", path: (id) => `/v1/admin/accounts/${accountId}/keys/${id}`, token: operator, code: "api_key_not_found" },
      // Without credentials a malformed id is no different either: 401, not a 404 that skips authentication.
      { method: "GET", path: (id) => `/v1/webhooks/${id}`, code: "unauthorized" }
    ]
    for (const route of routes) {
      const options = { ...(route.token === undefined ? {} : { token: route.token }), ...(route.json === undefined ? {} : { json: route.json }) }
      const unknown = await client.request(route.method, route.path("wh_unknown"), options)
      const name = `${route.method} ${route.path("wh_unknown")}`
      expect(unknown.body.error?.code, name).toBe(route.code)
      for (const id of ["%00", "wh%00abc", "%C3%28", "%FF", "%ED%A0%80"]) {
        const malformed = await client.request(route.method, route.path(id), options)
        const label = `${route.method} ${route.path(id)}`
        expect(malformed.status, label).toBe(unknown.status)
        expect(isErrorShape(malformed.body), label).toBe(true)
        expect(malformed.body.error.code, label).toBe(route.code)
        // Written as sent on the wire (`%00`), never as the raw byte or a replacement character.
        expect(malformed.body.error.message, label).not.toMatch(/[\u0000-\u001f\ufffd]/)
      }
    }
  })

  it("answers a NUL byte or invalid UTF-8 in a query with 400, before any SQL", async () => {
    const { key } = await createAccount(client, "pro")
    const webhook = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput() })
    const query = await client.request("GET", `/v1/webhooks/${webhook.body.id}/deliveries?type=a%00b&since=%FF`, { token: key })
    expect(query.status).toBe(400)
    expect(query.body.error.code).toBe("validation_failed")
    expect(query.body.error.details.issues).toEqual([
      { path: "type", message: "must not contain a NUL byte or invalid UTF-8" },
      { path: "since", message: "must not contain a NUL byte or invalid UTF-8" }
    ])
    // Date.parse takes "-1"; PostgreSQL cannot store that year, and the query failed as an outage (503).
    for (const path of [`/v1/webhooks/${webhook.body.id}/deliveries?until=-1`, "/v1/events?since=0", "/v1/deliveries?until=-1"]) {
      const date = await client.request("GET", path, { token: key })
      expect(date.status, path).toBe(400)
      expect(date.body.error.message, path).toMatch(/^(until|since): must be an ISO 8601 date-time$/)
    }
  })

  it("answers a NUL character, an unpaired surrogate or invalid UTF-8 in a body with 400", async () => {
    const { key } = await createAccount(client, "pro")
    const nul = await client.request("POST", "/v1/webhooks", { token: key, json: { ...webhookInput(), name: "a\u0000b" } })
    expect(nul.status).toBe(400)
    expect(nul.body.error.details.issues).toEqual([{ path: "name", message: "must not contain a NUL character or an unpaired surrogate" }])
    const data = await client.request("POST", "/v1/events", {
      token: key,
      raw: '{"type":"message.created","data":{"text":"\\ud800"}}'
    })
    expect(data.status).toBe(400)
    expect(data.body.error.details.issues).toEqual([{ path: "data.text", message: "must not contain a NUL character or an unpaired surrogate" }])
    const bytes = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])
    const utf8 = await client.request("POST", "/v1/webhooks", { token: key, raw: bytes })
    expect(utf8.status).toBe(400)
    expect(utf8.body.error.code).toBe("malformed_body")
  })

  it("answers any body that is not JSON with 415 in the error shape, never echoing the body", async () => {
    const { key } = await createAccount(client, "pro")
    const webhook = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput() })
    const secret = "whsec_c2VjcmV0LXRoYXQtbXVzdC1ub3QtYmUtZWNob2Vk"
    const text = await client.request("POST", "/v1/webhooks", {
      token: key,
      raw: JSON.stringify({ ...webhookInput(), secret }),
      headers: { "content-type": "text/plain" }
    })
    expect(text.status).toBe(415)
    expect(text.body.error.code).toBe("unsupported_media_type")
    expect(JSON.stringify(text.body)).not.toContain(secret)
    const form = await client.request("POST", "/v1/webhooks", {
      token: key,
      raw: "name=x&url=y",
      headers: { "content-type": "application/x-www-form-urlencoded" }
    })
    expect(form.status).toBe(415)
    expect(form.body.error.message).toContain("application/json")
    for (const path of [`/v1/webhooks/${webhook.body.id}/rotate-secret`, "/v1/webhooks", "/v1/events"]) {
      const started = Date.now()
      const multipart = await client.request("POST", path, {
        token: key,
        raw: "--zz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nbroken",
        headers: { "content-type": "multipart/form-data; boundary=yy" }
      })
      expect(multipart.status, path).toBe(415)
      expect(multipart.body.error.code).toBe("unsupported_media_type")
      expect(Date.now() - started).toBeLessThan(2000)
    }
    for (const action of ["pause", "resume", "rotate-secret"]) {
      const bodiless = await client.request("POST", `/v1/webhooks/${webhook.body.id}/${action}`, { token: key })
      expect(bodiless.status, action).toBe(200)
    }
  })

  it("words decode errors in the product's terms, one issue per field", async () => {
    const { key } = await createAccount(client, "pro")
    const webhook = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput() })
    const response = await client.request("GET", `/v1/webhooks/${webhook.body.id}/deliveries?status=bogus&limit=abc`, { token: key })
    expect(response.status).toBe(400)
    expect(response.body.error.details.issues).toEqual([
      { path: "limit", message: "must be an integer from 1 to 100" },
      { path: "status", message: "must be one of pending, retrying, waiting, delivered, exhausted, cancelled" }
    ])
  })
})
