import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startTestServer, type Started } from "../../support/http-server.js"

let server: Started

beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.stop())

interface Operation {
  readonly summary?: string
  readonly description?: string
  readonly parameters?: ReadonlyArray<{ readonly name: string; readonly in: string; readonly schema: Record<string, unknown> }>
  readonly requestBody?: { readonly required?: boolean }
  readonly responses?: Record<string, { readonly content?: Record<string, { readonly schema?: { readonly $ref?: string } }> }>
}

/** Issue 12 (OpenAPI): the document a client generates from must describe every operation. */
describe("the OpenAPI document", () => {
  it("gives every operation a summary and a description, documents health and metrics, limit and rotate-secret's optional body", async () => {
    const response = await server.client.request("GET", "/openapi.json")
    expect(response.status).toBe(200)
    const paths: Record<string, Record<string, Operation>> = response.body.paths
    const operations = Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation }))
    )
    expect(operations.length).toBeGreaterThan(20)
    for (const { name, operation } of operations) {
      expect(operation.summary?.trim(), `${name} summary`).toBeTruthy()
      expect(operation.description?.trim(), `${name} description`).toBeTruthy()
    }
    expect(paths["/healthz"]?.get).toBeDefined()
    expect(paths["/readyz"]?.get).toBeDefined()
    expect(paths["/metrics"]?.get).toBeDefined()

    const limits = operations.flatMap(({ name, operation }) =>
      (operation.parameters ?? []).filter((p) => p.in === "query" && p.name === "limit").map((p) => ({ name, schema: p.schema }))
    )
    expect(limits.map((l) => l.name)).toContain("GET /v1/webhooks")
    for (const { name, schema } of limits) {
      expect(schema, name).toMatchObject({ type: "integer", minimum: 1, maximum: 100 })
    }

    const rotate = paths["/v1/webhooks/{id}/rotate-secret"]?.post
    expect(rotate?.requestBody).toBeDefined()
    expect(rotate?.requestBody?.required).not.toBe(true)
  })

  it("lists 415 unsupported_media_type, with the error schema, on every operation that takes a body", async () => {
    const response = await server.client.request("GET", "/openapi.json")
    const paths: Record<string, Record<string, Operation>> = response.body.paths
    const withBody = Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, operation]) => operation.requestBody !== undefined)
        .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation }))
    )
    expect(withBody.map((o) => o.name)).toEqual(
      expect.arrayContaining(["POST /v1/webhooks", "PATCH /v1/webhooks/{id}", "POST /v1/webhooks/{id}/rotate-secret", "POST /v1/events"])
    )
    const errorRef = paths["/v1/webhooks"]?.post?.responses?.["400"]?.content?.["application/json"]?.schema?.$ref
    expect(errorRef).toBe("#/components/schemas/Error")
    expect(response.body.components.schemas.Error.properties.error.required).toEqual(expect.arrayContaining(["code", "message"]))
    for (const { name, operation } of withBody) {
      expect(operation.responses?.["415"]?.content?.["application/json"]?.schema?.$ref, name).toBe(errorRef)
    }
    // A route without a body never meets it.
    const get = Object.keys(paths["/v1/webhooks/{id}"]?.get?.responses ?? {})
    expect(get).toContain("404")
    expect(get).not.toContain("415")
  })
})
