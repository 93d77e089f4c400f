import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  type Client,
  createAccount,
  items,
  type Json,
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

const tokenOf = (url: string) => {
  const match = /#\/enter\?token=([A-Za-z0-9_.-]+)$/.exec(url)
  if (match === null) throw new Error(`no token in ${url}`)
  return match[1]!
}

const createWebhook = async (key: string, name: string) => {
  const created = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ name }) })
  expect(created.status).toBe(201)
  return String(created.body.id)
}

/** Opens a session from a link: the cookie to send back and the CSRF value to echo on writes. */
const enter = async (url: string) => {
  const response = await client.request("POST", "/portal/api/session", { json: { token: tokenOf(url) } })
  expect(response.status).toBe(200)
  const setCookie = response.headers.get("set-cookie") ?? ""
  return { setCookie, cookie: setCookie.split(";")[0]!, csrf: String(response.body.csrfToken), body: response.body }
}

const asPortal = (session: { cookie: string; csrf?: string }, csrf = true) => ({
  headers: { cookie: session.cookie, ...(csrf && session.csrf !== undefined ? { "x-hookline-csrf": session.csrf } : {}) }
})

const link = async (key: string, json?: unknown) => {
  const response = await client.request("POST", "/v1/portal/sessions", { token: key, ...(json === undefined ? {} : { json }) })
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body as { url: string; expiresAt: string } & Json
}

describe("portal links and sessions", () => {
  it("a link opens a session once, with a strict HttpOnly cookie, and the session uses the /v1 routes as the account", async () => {
    const { key, accountId } = await createAccount(client, "pro")
    const webhookId = await createWebhook(key, "Orders")
    const before = Date.now()
    const made = await link(key)
    expect(made.url).toMatch(new RegExp(`^${client.baseUrl}/portal/#/enter\\?token=`))
    const expiresIn = Date.parse(made.expiresAt) - before
    expect(expiresIn).toBeGreaterThan(3590_000)
    expect(expiresIn).toBeLessThanOrEqual(3601_000)

    const session = await enter(made.url)
    expect(session.setCookie).toMatch(/^hookline_portal=[^;]+/)
    expect(session.setCookie).toMatch(/; HttpOnly/i)
    expect(session.setCookie).toMatch(/; SameSite=Strict/i)
    expect(session.setCookie).toMatch(/; Path=\//)
    expect(session.setCookie).toMatch(/; Expires=/)
    expect(session.body).toMatchObject({ accountId, webhookIds: null })

    const current = await client.request("GET", "/portal/api/session", asPortal(session))
    expect(current.status).toBe(200)
    expect(current.body.csrfToken).toBe(session.csrf)

    const list = await client.request("GET", "/v1/webhooks", asPortal(session))
    expect(list.status).toBe(200)
    expect(items(list.body.data).map((w) => w.id)).toEqual([webhookId])
    const account = await client.request("GET", "/v1/account", asPortal(session))
    expect(account.body).toMatchObject({ id: accountId, plan: "pro" })

    // The exchange takes JSON only: another site's form or simple request cannot log a visitor in.
    const asForm = await client.request("POST", "/portal/api/session", {
      raw: `token=${tokenOf(made.url)}`,
      headers: { "content-type": "application/x-www-form-urlencoded" }
    })
    expect(asForm.status).toBe(415)
    // Once only: the second exchange of the same link fails, like an expired one.
    const again = await client.request("POST", "/portal/api/session", { json: { token: tokenOf(made.url) } })
    expect(again.status).toBe(401)
    expect(again.body).toEqual({ error: { code: "portal_link_expired", message: "this link has expired" } })
    expect(again.headers.get("set-cookie")).toBe(null)

    // Writes carry the session's CSRF header, or are refused before anything happens.
    const unguarded = await client.request("POST", `/v1/webhooks/${webhookId}/pause`, asPortal(session, false))
    expect(unguarded.status).toBe(403)
    expect((unguarded.body.error as Json).code).toBe("csrf_required")
    const forged = await client.request("POST", `/v1/webhooks/${webhookId}/pause`, {
      headers: { cookie: session.cookie, "x-hookline-csrf": "forged" }
    })
    expect(forged.status).toBe(403)
    expect((await client.request("GET", `/v1/webhooks/${webhookId}`, { token: key })).body.status).toBe("active")
    const paused = await client.request("POST", `/v1/webhooks/${webhookId}/pause`, asPortal(session))
    expect(paused.status).toBe(200)
    expect(paused.body.status).toBe("paused")

    // The history names the portal session as the actor.
    const history = await client.request("GET", `/v1/webhooks/${webhookId}/history`, { token: key })
    const pausedEntry = items(history.body.data).find((e) => String(e.type) === "WebhookPaused")
    expect((pausedEntry?.actor as Json).keyId).toMatch(/^ps_/)

    // A session cannot make links of its own.
    const nested = await client.request("POST", "/v1/portal/sessions", asPortal(session))
    expect(nested.status).toBe(403)

    // Leaving expires the cookie.
    const left = await client.request("DELETE", "/portal/api/session", asPortal(session))
    expect(left.status).toBe(204)
    expect(left.headers.get("set-cookie")).toMatch(/^hookline_portal=;.*Expires=Thu, 01 Jan 1970/)
  })

  it("another account's webhook, delivery or event is a 404 to a session, as to a key", async () => {
    const mine = await createAccount(client, "pro", "Mine")
    const theirs = await createAccount(client, "pro", "Theirs")
    const theirWebhook = await createWebhook(theirs.key, "Theirs")
    const session = await enter((await link(mine.key)).url)
    for (const path of [`/v1/webhooks/${theirWebhook}`, `/v1/webhooks/${theirWebhook}/deliveries`, `/v1/webhooks/${theirWebhook}/history`]) {
      const response = await client.request("GET", path, asPortal(session))
      expect(response.status, path).toBe(404)
    }
    const pause = await client.request("POST", `/v1/webhooks/${theirWebhook}/pause`, asPortal(session))
    expect(pause.status).toBe(404)
    expect(items((await client.request("GET", "/v1/webhooks", asPortal(session))).body.data)).toEqual([])
  })

  it("a link limited to some webhooks shows only those; the rest are 404 and cannot be created", async () => {
    const { key } = await createAccount(client, "pro")
    const inside = await createWebhook(key, "Inside")
    const outside = await createWebhook(key, "Outside")
    const other = await createAccount(client, "pro", "Other")
    const foreign = await createWebhook(other.key, "Foreign")
    // A scope naming another account's webhook is refused when the link is made.
    const refused = await client.request("POST", "/v1/portal/sessions", { token: key, json: { webhookIds: [foreign] } })
    expect(refused.status).toBe(404)

    const session = await enter((await link(key, { webhookIds: [inside], expiresInSeconds: 600 })).url)
    expect(session.body.webhookIds).toEqual([inside])
    const list = await client.request("GET", "/v1/webhooks", asPortal(session))
    expect(items(list.body.data).map((w) => w.id)).toEqual([inside])
    expect((await client.request("GET", `/v1/webhooks/${inside}`, asPortal(session))).status).toBe(200)
    expect((await client.request("GET", `/v1/webhooks/${inside}/health`, asPortal(session))).status).toBe(200)
    for (const [method, path] of [
      ["GET", `/v1/webhooks/${outside}`],
      ["GET", `/v1/webhooks/${outside}/health`],
      ["GET", `/v1/webhooks/${outside}/deliveries`],
      ["GET", `/v1/webhooks/${outside}/history`],
      ["GET", `/v1/deliveries?webhookId=${outside}`],
      ["POST", `/v1/webhooks/${outside}/pause`],
      ["POST", `/v1/webhooks/${outside}/test`],
      ["POST", `/v1/webhooks/${outside}/rotate-secret`],
      ["PATCH", `/v1/webhooks/${outside}`],
      ["DELETE", `/v1/webhooks/${outside}`]
    ] as const) {
      const response = await client.request(method, path, {
        ...asPortal(session),
        ...(method === "PATCH" ? { json: { name: "x" } } : {})
      })
      expect(response.status, `${method} ${path}`).toBe(404)
    }
    expect((await client.request("GET", `/v1/webhooks/${outside}`, { token: key })).body.status).toBe("active")

    const create = await client.request("POST", "/v1/webhooks", { ...asPortal(session), json: webhookInput() })
    expect(create.status).toBe(403)

    // Deliveries of the webhook outside the scope stay out of the account-wide list and are 404 one by one.
    expect((await client.request("POST", `/v1/webhooks/${inside}/test`, { token: key })).status).toBe(202)
    const sent = await client.request("POST", `/v1/webhooks/${outside}/test`, { token: key })
    expect(sent.status).toBe(202)
    const deliveryId = String(sent.body.deliveryId)
    // The delivery log is a read model: it follows the log a moment behind.
    for (let i = 0; i < 200; i++) {
      const all = await client.request("GET", `/v1/deliveries?limit=100`, { token: key })
      if (items(all.body.data).length === 2) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const scoped = await client.request("GET", `/v1/deliveries?limit=100`, asPortal(session))
    expect(items(scoped.body.data).map((d) => d.webhookId)).toEqual([inside])
    expect((await client.request("GET", `/v1/deliveries/${deliveryId}`, { token: key })).status).toBe(200)
    expect((await client.request("GET", `/v1/deliveries/${deliveryId}`, asPortal(session))).status).toBe(404)
    expect((await client.request("POST", `/v1/deliveries/${deliveryId}/redeliver`, asPortal(session))).status).toBe(404)
  })

  it("a tampered, expired or malformed token opens nothing; a cookie that is tampered with is 401", async () => {
    const { key } = await createAccount(client, "pro")
    const token = tokenOf((await link(key)).url)
    const [body, signature] = token.split(".") as [string, string]
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>
    const forged = `${Buffer.from(JSON.stringify({ ...claims, accountId: "acc_someone_else" })).toString("base64url")}.${signature}`
    for (const bad of [forged, `${body}.${signature.slice(0, -2)}AA`, "garbage", ""]) {
      const response = await client.request("POST", "/portal/api/session", { json: { token: bad } })
      expect(response.status, bad).toBe(401)
      expect(response.body).toEqual({ error: { code: "portal_link_expired", message: "this link has expired" } })
    }
    // Too short a lifetime is refused when the link is made; one that has run out is refused when used.
    const tooShort = await client.request("POST", "/v1/portal/sessions", { token: key, json: { expiresInSeconds: 5 } })
    expect(tooShort.status).toBe(400)
    const tooLong = await client.request("POST", "/v1/portal/sessions", { token: key, json: { expiresInSeconds: 86_401 } })
    expect(tooLong.status).toBe(400)
    const expired = `${Buffer.from(JSON.stringify({ ...claims, expiresAt: Math.floor(Date.now() / 1000) - 1 })).toString("base64url")}.${signature}`
    expect((await client.request("POST", "/portal/api/session", { json: { token: expired } })).status).toBe(401)

    const session = await enter((await link(key)).url)
    const [name, value] = session.cookie.split("=") as [string, string]
    const tampered = `${name}=${value.slice(0, -3)}abc`
    const response = await client.request("GET", "/v1/webhooks", { headers: { cookie: tampered } })
    expect(response.status).toBe(401)
    // Without a cookie, a key's failure reads as it always has.
    expect((await client.request("GET", "/v1/webhooks")).body).toEqual({
      error: { code: "unauthorized", message: "missing or malformed API key" }
    })
    const unknownKey = await client.request("GET", "/v1/webhooks", { token: `hk_${"a".repeat(43)}` })
    expect(unknownKey.body).toEqual({ error: { code: "unauthorized", message: "unknown or revoked API key" } })
    expect((await client.request("GET", "/v1/webhooks", { headers: { cookie: tampered } })).body).toEqual({
      error: { code: "unauthorized", message: "the portal session has expired" }
    })
  })

  it("revoking the key that made a link ends the sessions it opened; the operator's links stay", async () => {
    const { accountId, keyId, key } = await createAccount(client, "pro", "Revoked")
    const session = await enter((await link(key)).url)
    expect((await client.request("GET", "/v1/account", asPortal(session))).status).toBe(200)
    const operatorLink = await client.request("POST", `/v1/admin/accounts/${accountId}/portal-sessions`, { token: testOperatorToken })
    const operatorSession = await enter(String(operatorLink.body.url))
    const revoked = await client.request("DELETE", `/v1/admin/accounts/${accountId}/keys/${keyId}`, { token: testOperatorToken })
    expect(revoked.status).toBe(200)
    const after = await client.request("GET", "/v1/account", asPortal(session))
    expect(after.status).toBe(401)
    expect(after.body).toEqual({
      error: { code: "unauthorized", message: "the portal session has ended: the API key that made its link was revoked" }
    })
    expect((await client.request("GET", "/v1/account", asPortal(operatorSession))).status).toBe(200)
  })

  it("the operator opens any account's portal; an unknown account is a 404", async () => {
    const { accountId, key } = await createAccount(client, "pro")
    const webhookId = await createWebhook(key, "Ops")
    const made = await client.request("POST", `/v1/admin/accounts/${accountId}/portal-sessions`, {
      token: testOperatorToken,
      json: { webhookIds: [webhookId] }
    })
    expect(made.status).toBe(201)
    const session = await enter(String(made.body.url))
    expect(items((await client.request("GET", "/v1/webhooks", asPortal(session))).body.data).map((w) => w.id)).toEqual([webhookId])
    // The hourly counts behind the portal's 24-hour chart follow the same rules.
    const hourly = await client.request("GET", `/v1/webhooks/${webhookId}/attempts-hourly`, asPortal(session))
    expect(hourly.status).toBe(200)
    expect(hourly.body).toEqual({ data: [] })
    const stranger = await createAccount(client, "pro", "Stranger")
    expect((await client.request("GET", `/v1/webhooks/${webhookId}/attempts-hourly`, { token: stranger.key })).status).toBe(404)
    const unknown = await client.request("POST", "/v1/admin/accounts/acc_nobody/portal-sessions", { token: testOperatorToken })
    expect(unknown.status).toBe(404)
    const asAccount = await client.request("POST", `/v1/admin/accounts/${accountId}/portal-sessions`, { token: key })
    expect(asAccount.status).toBe(401)
  })
})
