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
})
