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
  server = await startTestServer()
  client = server.client
})
afterAll(() => server.stop())

describe("operator API and authentication", () => {
  it("creates an account whose key works at once", async () => {
    const created = await client.request("POST", "/v1/admin/accounts", {
      token: testOperatorToken,
      json: { name: "  Vivollo Customer  ", plan: "scale" }
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ name: "Vivollo Customer", plan: "scale" })
    expect(String(created.body.apiKey.key)).toMatch(/^hk_[A-Za-z0-9_-]{43}$/)
    expect(String(created.body.apiKey.key).startsWith(String(created.body.apiKey.prefix))).toBe(true)
    const account = await client.request("GET", "/v1/account", { token: String(created.body.apiKey.key) })
    expect(account.status).toBe(200)
    expect(account.body.id).toBe(created.body.id)
  })

  it("validates account input", async () => {
    for (const json of [{ name: "", plan: "free" }, { name: "x", plan: "gold" }, { plan: "free" }, {}, []]) {
      const response = await client.request("POST", "/v1/admin/accounts", { token: testOperatorToken, json })
      expect(response.status, JSON.stringify(json)).toBe(400)
      expect(isErrorShape(response.body)).toBe(true)
    }
    const gold = await client.request("POST", "/v1/admin/accounts", {
      token: testOperatorToken,
      json: { name: "x", plan: "gold" }
    })
    expect(String(gold.body.error.message)).toContain("valid plans: free, pro, scale")
  })

  it("issues and revokes keys; a revoked key is refused at once", async () => {
    const { accountId, key, keyId } = await createAccount(client)
    const issued = await client.request("POST", `/v1/admin/accounts/${accountId}/keys`, { token: testOperatorToken })
    expect(issued.status).toBe(201)
    const second = String(issued.body.key)
    expect((await client.request("GET", "/v1/account", { token: second })).status).toBe(200)

    const revoked = await client.request("DELETE", `/v1/admin/accounts/${accountId}/keys/${keyId}`, {
      token: testOperatorToken
    })
    expect(revoked.status).toBe(200)
    expect(revoked.body).toMatchObject({ id: keyId, status: "revoked" })
    const refused = await client.request("GET", "/v1/account", { token: key })
    expect(refused.status).toBe(401)
    expect(refused.body.error.code).toBe("unauthorized")
    expect((await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput() })).status).toBe(401)
    expect((await client.request("GET", "/v1/account", { token: second })).status).toBe(200)

    const again = await client.request("DELETE", `/v1/admin/accounts/${accountId}/keys/${keyId}`, {
      token: testOperatorToken
    })
    expect(again.status).toBe(409)
    const unknownKey = await client.request("DELETE", `/v1/admin/accounts/${accountId}/keys/key_nope`, {
      token: testOperatorToken
    })
    expect(unknownKey.status).toBe(404)
    const unknownAccount = await client.request("POST", "/v1/admin/accounts/acc_nope/keys", { token: testOperatorToken })
    expect(unknownAccount.status).toBe(404)
    expect(unknownAccount.body.error.code).toBe("account_not_found")
  })

  it("refuses missing, malformed and wrong credentials with 401 in the error shape", async () => {
    const { key } = await createAccount(client)
    const accountRoutes = ["/v1/account", "/v1/webhooks", "/v1/event-types"]
    for (const path of accountRoutes) {
      for (const token of [undefined, "", "garbage", `hk_${"A".repeat(43)}`, testOperatorToken]) {
        const response = await client.request("GET", path, { token })
        expect(response.status, `${path} ${token}`).toBe(401)
        expect(isErrorShape(response.body)).toBe(true)
      }
    }
    for (const token of [undefined, "", "wrong", key]) {
      const response = await client.request("GET", "/v1/admin/projections", { token })
      expect(response.status, String(token)).toBe(401)
      expect(isErrorShape(response.body)).toBe(true)
    }
    const basic = await client.request("GET", "/v1/account", { headers: { authorization: `Basic ${key}` } })
    expect(basic.status).toBe(401)
  })

  it("shows projection status and rebuilds a projection without losing reads", async () => {
    const { key } = await createAccount(client, "pro")
    await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput() })
    const status = await client.request("GET", "/v1/admin/projections", { token: testOperatorToken })
    expect(status.status).toBe(200)
    const names = items(status.body.data).map((p) => p.name)
    expect(names).toContain("accounts")
    expect(names).toContain("webhooks")
    const rebuilt = await client.request("POST", "/v1/admin/projections/webhooks/rebuild", { token: testOperatorToken })
    expect(rebuilt.status).toBe(202)
    expect(rebuilt.body.name).toBe("webhooks")
    const listed = await client.request("GET", "/v1/webhooks", { token: key })
    expect(items(listed.body.data)).toHaveLength(1)
    const missing = await client.request("POST", "/v1/admin/projections/nope/rebuild", { token: testOperatorToken })
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe("projection_not_found")
  })
})
