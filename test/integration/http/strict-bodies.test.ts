import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  type Client,
  type Json,
  createAccount,
  isErrorShape,
  items,
  messageCreated,
  startTestServer,
  type Started,
  testOperatorToken,
  webhookInput
} from "../../support/http-server.js"

let server: Started
let client: Client

beforeAll(async () => {
  server = await startTestServer({ allowPrivateTargets: true })
  client = server.client
})
afterAll(() => server.stop())

const issuesOf = (body: Json): ReadonlyArray<Json> => items(body.error?.details?.issues)

describe("command bodies refuse fields their schema does not know", () => {
  it("refuses an unknown field on every kind of route with 400 validation_failed naming it", async () => {
    const { key } = await createAccount(client, "pro")
    const webhook = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput() })
    expect(webhook.status).toBe(201)
    const id = String(webhook.body.id)

    const cases: ReadonlyArray<{ readonly method: string; readonly path: string; readonly token: string; readonly json: unknown }> = [
      { method: "POST", path: "/v1/admin/accounts", token: testOperatorToken, json: { name: "Acme", plan: "free", nmae: "typo" } },
      { method: "POST", path: "/v1/webhooks", token: key, json: webhookInput({ nmae: "typo" }) },
      { method: "PATCH", path: `/v1/webhooks/${id}`, token: key, json: { nmae: "typo" } },
      { method: "POST", path: `/v1/webhooks/${id}/recover`, token: key, json: { since: "2025-01-01T00:00:00Z", nmae: "typo" } },
      { method: "POST", path: "/v1/events", token: key, json: { type: "message.created", data: messageCreated(), nmae: "typo" } },
      { method: "POST", path: "/v1/events/batch", token: key, json: { events: [{ type: "message.created", data: messageCreated() }], nmae: "typo" } }
    ]
    for (const { method, path, token, json } of cases) {
      const response = await client.request(method, path, { token, json })
      expect({ path, status: response.status }).toEqual({ path, status: 400 })
      expect(isErrorShape(response.body)).toBe(true)
      expect(response.body.error.code).toBe("validation_failed")
      expect(response.body.error.message).toContain("nmae: unknown field")
      expect(issuesOf(response.body)).toContainEqual({ path: "nmae", message: "unknown field" })
    }

    // Nothing was changed by the refused PATCH.
    const read = await client.request("GET", `/v1/webhooks/${id}`, { token: key })
    expect(read.body.name).toBe(webhook.body.name)
  })

  it("names a nested unknown field and every unknown field at once", async () => {
    const { key } = await createAccount(client, "pro")
    const response = await client.request("POST", "/v1/webhooks", {
      token: key,
      json: webhookInput({ colour: "red", nmae: "typo" })
    })
    expect(response.status).toBe(400)
    expect(issuesOf(response.body)).toEqual(expect.arrayContaining([
      { path: "colour", message: "unknown field" },
      { path: "nmae", message: "unknown field" }
    ]))
  })

  it("rejects a batch item with an unknown field and accepts the others", async () => {
    const { key } = await createAccount(client)
    const response = await client.request("POST", "/v1/events/batch", {
      token: key,
      json: {
        events: [
          { id: "strict-batch-1", type: "message.created", data: messageCreated(), nmae: "typo" },
          { id: "strict-batch-2", type: "message.created", data: messageCreated() }
        ]
      }
    })
    expect(response.status).toBe(200)
    const [bad, good] = items(response.body.results)
    expect(bad).toMatchObject({ index: 0, status: "rejected", error: { code: "validation_failed" } })
    expect(String(bad?.error.message)).toContain("nmae: unknown field")
    expect(good).toMatchObject({ index: 1, status: "accepted" })
  })
})
