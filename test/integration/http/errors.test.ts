import fc from "fast-check"
import { readFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  type Client,
  createAccount,
  isErrorShape,
  items,
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

/** Every route of the API with placeholders for ids (method, path template, needs operator token). */
const routes: ReadonlyArray<readonly [string, string, boolean]> = [
  ["POST", "/v1/admin/accounts", true],
  ["POST", "/v1/admin/accounts/{id}/keys", true],
  ["DELETE", "/v1/admin/accounts/{id}/keys/{id}", true],
  ["GET", "/v1/admin/projections", true],
  ["POST", "/v1/admin/projections/{id}/rebuild", true],
  ["GET", "/v1/account", false],
  ["GET", "/v1/event-types", false],
  ["POST", "/v1/events", false],
  ["POST", "/v1/events/batch", false],
  ["GET", "/v1/events/{id}", false],
  ["POST", "/v1/webhooks", false],
  ["GET", "/v1/webhooks", false],
  ["GET", "/v1/webhooks/{id}", false],
  ["PATCH", "/v1/webhooks/{id}", false],
  ["DELETE", "/v1/webhooks/{id}", false],
  ["POST", "/v1/webhooks/{id}/pause", false],
  ["POST", "/v1/webhooks/{id}/resume", false],
  ["POST", "/v1/webhooks/{id}/rotate-secret", false],
  ["GET", "/v1/webhooks/{id}/history", false]
]

describe("errors, routing and the OpenAPI document", () => {
  it("answers unknown routes, wrong methods, malformed JSON and oversized bodies in the error shape", async () => {
    const { key } = await createAccount(client)
    const unknown = await client.request("GET", "/v1/nope", { token: key })
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe("route_not_found")
    const wrongMethod = await client.request("PUT", "/v1/webhooks", { token: key })
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get("allow")).toContain("GET")
    expect(isErrorShape(wrongMethod.body)).toBe(true)
    for (const raw of ["{", "{\"name\": }", "nul", "[1,2"]) {
      const malformed = await client.request("POST", "/v1/webhooks", { token: key, raw })
      expect(malformed.status, raw).toBe(400)
      expect(malformed.body.error.code).toBe("malformed_body")
    }
    const notJson = await client.request("POST", "/v1/webhooks", {
      token: key,
      raw: "name=x",
      headers: { "content-type": "text/plain" }
    })
    // Issue 12: a body that is not JSON is a 415 (it was a 400 validation_failed).
    expect(notJson.status).toBe(415)
    expect(isErrorShape(notJson.body)).toBe(true)
    const big = await client.request("POST", "/v1/events", { token: key, raw: `"${"x".repeat(1024 * 1024 + 10)}"` })
    expect(big.status).toBe(413)
    expect(big.body.error.code).toBe("request_too_large")
    const notAuthorisedFirst = await client.request("POST", "/v1/webhooks", { raw: "{" })
    expect([400, 401]).toContain(notAuthorisedFirst.status)
    expect(isErrorShape(notAuthorisedFirst.body)).toBe(true)
    expect(unknown.headers.get("x-correlation-id")).toMatch(/^req_/)
  })

  it("serves a valid OpenAPI document listing every route, and Swagger UI", async () => {
    const response = await client.request("GET", "/openapi.json")
    expect(response.status).toBe(200)
    const spec = response.body
    expect(String(spec.openapi)).toMatch(/^3\./)
    const listed = Object.entries(spec.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`)
    )
    for (const [method, template] of routes) {
      const path = template
        .replace("/accounts/{id}/keys/{id}", "/accounts/{accountId}/keys/{keyId}")
        .replace("/accounts/{id}", "/accounts/{accountId}")
        .replace("/projections/{id}", "/projections/{name}")
      expect(listed, `${method} ${path}`).toContain(`${method} ${path}`)
    }
    expect(listed).toContain("GET /healthz")
    expect(JSON.stringify(spec)).not.toContain("HttpApiDecodeError")
    const docs = await client.request("GET", "/docs")
    expect(docs.status).toBe(200)
    expect(String(docs.body)).toContain("swagger")
  })

  it("documents the same operations as the Effect 3 build: paths, methods, operation ids, tags, security, statuses", async () => {
    const expected = JSON.parse(readFileSync(new URL("./openapi-operations.json", import.meta.url), "utf8")).operations
    const spec = (await client.request("GET", "/openapi.json")).body
    const operations: Record<string, unknown> = {}
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        operations[`${method.toUpperCase()} ${path}`] = {
          operationId: operation.operationId,
          tags: operation.tags,
          security: operation.security,
          responses: Object.keys(operation.responses).sort()
        }
      }
    }
    expect(operations).toEqual(expected)
  })

  it("never answers random input with a 5xx; every 4xx has the error shape", async () => {
    const { key } = await createAccount(client, "pro")
    const webhook = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput() })
    const ids = fc.oneof(
      fc.constant(String(webhook.body.id)),
      fc.string({ maxLength: 30 }),
      fc.stringMatching(/^[A-Za-z0-9_:.-]{1,40}$/)
    )
    const bodies = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((value) => ({ json: value })),
      fc.string({ maxLength: 200 }).map((raw) => ({ raw })),
      fc.record({ name: fc.jsonValue({ maxDepth: 1 }), url: fc.jsonValue({ maxDepth: 1 }), events: fc.jsonValue({ maxDepth: 2 }), type: fc.jsonValue({ maxDepth: 1 }), data: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }).map((json) => ({ json })),
      fc.constant({})
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        ids,
        bodies,
        fc.constantFrom("", "?limit=5", "?cursor=x", "?limit=-1&cursor=%00"),
        async ([method, template, admin], id, body, query) => {
          const path = template.replaceAll("{id}", encodeURIComponent(id)) + (method === "GET" ? query : "")
          // fetch cannot send a body with GET.
          const sent = method === "GET" ? {} : body
          const response = await client.request(method, path, { token: admin ? testOperatorToken : key, ...sent })
          expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500)
          if (response.status >= 400) {
            expect(isErrorShape(response.body), `${method} ${path} ${JSON.stringify(response.body)}`).toBe(true)
          }
        }
      ),
      { numRuns: 200 }
    )
    // Random strings as tokens and paths too.
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }), async (token, segment) => {
        const response = await client.request("GET", `/v1/${encodeURIComponent(segment)}`, {
          headers: { authorization: `Bearer ${token.replace(/[^\x20-\x7e]/g, "")}` }
        })
        expect(response.status).toBeGreaterThanOrEqual(400)
        expect(response.status).toBeLessThan(500)
        expect(isErrorShape(response.body)).toBe(true)
      }),
      { numRuns: 50 }
    )
    const stillThere = await client.request("GET", "/v1/webhooks", { token: key })
    expect(items(stillThere.body.data).length).toBeGreaterThanOrEqual(0)
  })

  it("answers raw malformed bytes on every route with a 4xx in the error shape, never a 5xx or a hang", async () => {
    const { key } = await createAccount(client, "pro")
    const webhook = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput() })
    // Every operation the OpenAPI document lists, so routes added later are fuzzed too.
    const spec = (await client.request("GET", "/openapi.json")).body
    const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => [method.toUpperCase(), path] as const)
    )
    const segments = fc.oneof(
      fc.constant(String(webhook.body.id)),
      fc.constantFrom("%00", "a%00b", "%C3%28", "%FF%FE", "%ED%A0%80", "%", "%E0%A4%A", "wh_%00", "9".repeat(40)),
      fc.stringMatching(/^[A-Za-z0-9_:.-]{1,40}$/)
    )
    const queryValues = fc.constantFrom(
      "%00", "%FF", "%C3%28", "%", "bogus", "abc", "-1", "0", "101", "1e400", "99999999999999999999999999", "", "pending"
    )
    const query = fc
      .array(fc.tuple(fc.constantFrom("limit", "cursor", "status", "type", "since", "until", "webhookId", "%00", "x"), queryValues), { maxLength: 4 })
      .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([name, value]) => `${name}=${value}`).join("&")}`))
    const contentTypes = fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=xyz",
      "multipart/form-data",
      "multipart/form-data; boundary=",
      "application/octet-stream",
      undefined
    )
    const hugeNumbers = fc.constantFrom(
      '{"limit":1e400,"maxConcurrency":123456789012345678901234567890,"rateLimit":-1e309}',
      '{"name":"x","url":"http://127.0.0.1:9/h","events":["message.created"],"retrySchedule":[1e308,99999999999999999999]}',
      '{"since":"2020-01-01T00:00:00Z","until":"+275760-09-13T00:00:01Z"}',
      "1e99999"
    )
    const bodies: fc.Arbitrary<Buffer | undefined> = fc.oneof(
      fc.constant(undefined),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      // Truncated JSON texts.
      fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat()).map(([value, cut]) => {
        const text = JSON.stringify(value)
        return Buffer.from(text.slice(0, cut % (text.length + 1)))
      }),
      // NUL characters and unpaired surrogates as JSON escapes, broken UTF-8 as raw bytes.
      fc.constantFrom('{"name":"a\\u0000"}', '{"type":"message.created","data":{"\\u0000":1}}', '{"name":"\\ud800"}', '{"since":"\\udfff"}').map((text) => Buffer.from(text)),
      fc.constantFrom([0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xe0, 0xa4], [0x00]).map((bad) =>
        Buffer.concat([Buffer.from('{"name":"'), Buffer.from(bad), Buffer.from('","events":["message.created"]}')])
      ),
      // Multipart bodies whose boundaries are missing, wrong or cut off.
      fc.constantFrom(
        "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb",
        "--abc\r\n\r\n--abc--",
        "--xyz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\nContent-Type: text/plain\r\n\r\nzzz\r\n--xy",
        "--xyz--"
      ).map((text) => Buffer.from(text)),
      hugeNumbers.map((text) => Buffer.from(text))
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...operations),
        segments,
        query,
        contentTypes,
        bodies,
        async ([method, template], segment, search, contentType, body) => {
          const path = template.replace(/\{[^}]+\}/g, segment) + search
          const headers: Record<string, string> = {
            authorization: `Bearer ${template.startsWith("/v1/admin") ? testOperatorToken : key}`
          }
          if (contentType !== undefined) headers["content-type"] = contentType
          const started = Date.now()
          // fetch cannot send a body with GET; "at once" is well within the server's 10 s header timeout.
          const response = await fetch(`${client.baseUrl}${path}`, {
            method,
            headers,
            body: method === "GET" ? undefined : body,
            signal: AbortSignal.timeout(5_000)
          })
          const text = await response.text()
          const label = `${method} ${path} ${contentType} ${body?.toString("hex").slice(0, 80)} -> ${response.status} ${text.slice(0, 200)}`
          expect(Date.now() - started, label).toBeLessThan(5_000)
          expect(response.status, label).toBeLessThan(500)
          if (response.status >= 400) expect(isErrorShape(JSON.parse(text)), label).toBe(true)
        }
      ),
      { numRuns: 300 }
    )
  }, 30_000)
})
