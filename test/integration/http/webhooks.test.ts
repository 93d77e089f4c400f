import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import {
  type Client,
  createAccount,
  isErrorShape,
  items,
  startTestServer,
  type Started,
  webhookInput
} from "../../support/http-server.js"

let server: Started
let client: Client

beforeAll(async () => {
  server = await startTestServer({ allowPrivateTargets: true })
  client = server.client
})
afterAll(() => server.stop())

describe("webhooks API", () => {
  it("creates, reads, lists, changes, pauses, resumes, rotates and deletes a webhook", async () => {
    const { key } = await createAccount(client, "pro")
    const created = await client.request("POST", "/v1/webhooks", {
      token: key,
      json: webhookInput({ name: "  Orders  ", headers: { "X-Api-Key": "s3cret" }, retrySchedule: [1, 2], rateLimit: 10 })
    })
    expect(created.status).toBe(201)
    expect(created.body.name).toBe("Orders")
    expect(String(created.body.secret)).toMatch(/^whsec_/)
    const id = String(created.body.id)

    const read = await client.request("GET", `/v1/webhooks/${id}`, { token: key })
    expect(read.status).toBe(200)
    const { secret: _secret, ...withoutSecret } = created.body
    expect(read.body).toEqual(withoutSecret)
    expect(JSON.stringify(read.body)).not.toContain("whsec_")

    const changed = await client.request("PATCH", `/v1/webhooks/${id}`, {
      token: key,
      json: { name: "Orders v2", events: ["message.created", "user.updated"], rateLimit: null, maxConcurrency: 4 }
    })
    expect(changed.status).toBe(200)
    expect(changed.body).toMatchObject({ name: "Orders v2", rateLimit: null, maxConcurrency: 4, retrySchedule: [1, 2] })
    expect((await client.request("GET", `/v1/webhooks/${id}`, { token: key })).body).toEqual(changed.body)

    const paused = await client.request("POST", `/v1/webhooks/${id}/pause`, { token: key })
    expect(paused.body.status).toBe("paused")
    expect((await client.request("GET", `/v1/webhooks/${id}`, { token: key })).body.status).toBe("paused")
    const pausedAgain = await client.request("POST", `/v1/webhooks/${id}/pause`, { token: key })
    expect(pausedAgain.status).toBe(200)
    const resumed = await client.request("POST", `/v1/webhooks/${id}/resume`, { token: key })
    expect(resumed.body.status).toBe("active")

    const rotated = await client.request("POST", `/v1/webhooks/${id}/rotate-secret`, { token: key })
    expect(rotated.status).toBe(200)
    expect(String(rotated.body.secret)).toMatch(/^whsec_/)
    expect(rotated.body.secret).not.toBe(created.body.secret)
    expect(Date.parse(String(rotated.body.previousSecretExpiresAt)) - Date.now()).toBeGreaterThan(23 * 3600 * 1000)
    const immediate = await client.request("POST", `/v1/webhooks/${id}/rotate-secret`, {
      token: key,
      json: { overlapSeconds: 0 }
    })
    expect(Date.parse(String(immediate.body.previousSecretExpiresAt))).toBeLessThanOrEqual(Date.now())
    const badOverlap = await client.request("POST", `/v1/webhooks/${id}/rotate-secret`, {
      token: key,
      json: { overlapSeconds: -1 }
    })
    expect(badOverlap.status).toBe(400)

    const deleted = await client.request("DELETE", `/v1/webhooks/${id}`, { token: key })
    expect(deleted.status).toBe(204)
    // A deleted webhook is gone (410 webhook_deleted) for everything but its audit, which the
    // deleted-webhooks tests cover route by route.
    expect((await client.request("GET", `/v1/webhooks/${id}`, { token: key })).status).toBe(410)
    const again = await client.request("DELETE", `/v1/webhooks/${id}`, { token: key })
    expect(again.status).toBe(410)
    expect(isErrorShape(again.body)).toBe(true)
    expect(again.body.error.code).toBe("webhook_deleted")
    expect((await client.request("POST", `/v1/webhooks/${id}/pause`, { token: key })).status).toBe(410)
    const account = await client.request("GET", "/v1/account", { token: key })
    expect(account.body.usage).toEqual({ webhooks: 0 })
  })

  it("refuses each invalid field with a 400 naming it", async () => {
    const { key } = await createAccount(client, "pro")
    const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
      [{ name: "" }, "name"],
      [{ name: "x".repeat(101) }, "name"],
      [{ url: "not a url" }, "url"],
      [{ url: `https://example.com/${"a".repeat(2048)}` }, "url"],
      [{ url: "ftp://example.com/hook" }, "url"],
      [{ url: "https://user:pw@example.com/hook" }, "url"],
      [{ events: [] }, "events"],
      [{ events: ["order.created"] }, "events[0]"],
      [{ events: ["webhook.test"] }, "events[0]"],
      [{ headers: { Host: "evil" } }, "headers.Host"],
      [{ headers: { "Content-Type": "text/plain" } }, "headers.Content-Type"],
      [{ headers: { "webhook-signature": "x" } }, "headers.webhook-signature"],
      [{ headers: { "bad header": "x" } }, "headers.bad header"],
      [{ headers: { "X-Big": "x".repeat(1025) } }, "headers.X-Big"],
      [{ headers: { "X-Bad": "a\r\nb" } }, "headers.X-Bad"],
      [{ headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, "v"])) }, "headers"],
      [{ retrySchedule: [-1] }, "retrySchedule[0]"],
      [{ retrySchedule: Array.from({ length: 21 }, () => 1) }, "retrySchedule"],
      [{ maxConcurrency: 0 }, "maxConcurrency"],
      [{ rateLimit: 1.5 }, "rateLimit"]
    ]
    for (const [override, path] of cases) {
      const response = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput(override) })
      expect(response.status, JSON.stringify(override)).toBe(400)
      expect(isErrorShape(response.body)).toBe(true)
      expect(response.body.error.code).toBe("validation_failed")
      const paths = items(response.body.error.details.issues).map((issue) => issue.path)
      expect(paths, JSON.stringify(override)).toContain(path)
    }
    const unknown = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ events: ["nope"] }) })
    expect(String(unknown.body.error.message)).toContain("message.created")

    const all = await client.request("POST", "/v1/webhooks", { token: key, json: { name: "", url: "x", events: [] } })
    expect(items(all.body.error.details.issues).map((issue) => issue.path).sort()).toEqual(["events", "name", "url"])

    const created = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput() })
    const patch = await client.request("PATCH", `/v1/webhooks/${created.body.id}`, {
      token: key,
      json: { url: "nope", events: [] }
    })
    expect(patch.status).toBe(400)
    expect(items(patch.body.error.details.issues).map((issue) => issue.path).sort()).toEqual(["events", "url"])
  })

  it("takes the caller's own signing secret on create and rotate, refuses a malformed one naming `secret`, and never shows it again", async () => {
    const logged: Array<string> = []
    const spies = (["log", "info", "warn", "error", "debug", "trace"] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: Array<unknown>) => {
        logged.push(args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" "))
      })
    )
    try {
      const { key } = await createAccount(client, "pro")
      const own = `whsec_${randomBytes(32).toString("base64")}`
      const created = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ secret: own }) })
      expect(created.status).toBe(201)
      expect(created.body.secret).toBe(own)
      const id = String(created.body.id)

      const malformed = [
        "",
        "hunter2",
        `whsec_${randomBytes(23).toString("base64")}`,
        `whsec_${randomBytes(65).toString("base64")}`,
        `whsec_${randomBytes(32).toString("base64url").replaceAll("=", "")}!`,
        `whsec_${randomBytes(32).toString("base64").replace(/=$/, "")}`
      ]
      for (const secret of [...malformed, 42, null]) {
        const refusals = [
          await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ secret }) }),
          await client.request("POST", `/v1/webhooks/${id}/rotate-secret`, { token: key, json: { secret } })
        ]
        for (const response of refusals) {
          expect(response.status, JSON.stringify(secret)).toBe(400)
          expect(isErrorShape(response.body)).toBe(true)
          expect(response.body.error.code).toBe("validation_failed")
          expect(items(response.body.error.details.issues).map((issue) => issue.path)).toEqual(["secret"])
          if (typeof secret === "string" && secret.length > 6) expect(JSON.stringify(response.body)).not.toContain(secret)
        }
      }

      const own2 = `whsec_${randomBytes(24).toString("base64")}`
      const rotated = await client.request("POST", `/v1/webhooks/${id}/rotate-secret`, {
        token: key,
        json: { secret: own2, overlapSeconds: 60 }
      })
      expect(rotated.status).toBe(200)
      expect(rotated.body.secret).toBe(own2)
      const same = await client.request("POST", `/v1/webhooks/${id}/rotate-secret`, { token: key, json: { secret: own2 } })
      expect(same.status).toBe(400)
      expect(items(same.body.error.details.issues).map((issue) => issue.path)).toEqual(["secret"])

      // Without a secret the body stays optional, and a fresh secret is generated each time.
      const generated = new Set<string>([own, own2])
      for (const options of [{}, { json: null }, { json: {} }, { json: { overlapSeconds: 0 } }]) {
        const response = await client.request("POST", `/v1/webhooks/${id}/rotate-secret`, { token: key, ...options })
        expect(response.status, JSON.stringify(options)).toBe(200)
        expect(String(response.body.secret)).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
        expect(generated.has(String(response.body.secret))).toBe(false)
        generated.add(String(response.body.secret))
      }
      const plain = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput() })
      expect(String(plain.body.secret)).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)

      const history = await client.request("GET", `/v1/webhooks/${id}/history`, { token: key })
      expect(items(history.body.data)).toHaveLength(6)
      const read = await client.request("GET", `/v1/webhooks/${id}`, { token: key })
      const metrics = await client.request("GET", "/metrics")
      for (const text of [JSON.stringify(history.body), JSON.stringify(read.body), String(metrics.body), logged.join("\n")]) {
        for (const secret of [...generated, ...malformed.filter((secret) => secret.length > 6)]) {
          expect(text).not.toContain(secret)
        }
      }
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
  })

  it("refuses http and private targets unless the operator allows them", async () => {
    const strict = await startTestServer({ allowPrivateTargets: false })
    try {
      const { key } = await createAccount(strict.client, "pro")
      const http = await strict.client.request("POST", "/v1/webhooks", {
        token: key,
        json: webhookInput({ url: "http://example.com/hook" })
      })
      expect(http.status).toBe(400)
      expect(http.body.error.code).toBe("validation_failed")
      for (const url of ["https://127.0.0.1/hook", "https://10.0.0.1/hook", "https://169.254.169.254/x", "https://[::1]/x"]) {
        const refused = await strict.client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ url }) })
        expect(refused.status, url).toBe(400)
        expect(refused.body.error.code, url).toBe("target_not_allowed")
      }
      const localhost = await strict.client.request("POST", "/v1/webhooks", {
        token: key,
        json: webhookInput({ url: "https://localhost/hook" })
      })
      expect(localhost.status).toBe(400)
      const ok = await strict.client.request("POST", "/v1/webhooks", {
        token: key,
        json: webhookInput({ url: "https://93.184.215.14/hook" })
      })
      expect(ok.status).toBe(201)
      const toPrivate = await strict.client.request("PATCH", `/v1/webhooks/${ok.body.id}`, {
        token: key,
        json: { url: "https://192.168.1.1/hook" }
      })
      expect(toPrivate.body.error.code).toBe("target_not_allowed")
      // A name that does not resolve (`.invalid` never does) is accepted, on create and on update: a
      // transient DNS failure must not block a customer; the attempts retry and the connect-time guard
      // still checks every address the name resolves to later.
      const unresolvable = await strict.client.request("POST", "/v1/webhooks", {
        token: key,
        json: webhookInput({ url: "https://does-not-exist.invalid/hook" })
      })
      expect(unresolvable.status).toBe(201)
      expect(unresolvable.body.url).toBe("https://does-not-exist.invalid/hook")
      const toUnresolvable = await strict.client.request("PATCH", `/v1/webhooks/${ok.body.id}`, {
        token: key,
        json: { url: "https://still-not-there.invalid/hook" }
      })
      expect(toUnresolvable.status).toBe(200)
      expect(toUnresolvable.body.url).toBe("https://still-not-there.invalid/hook")
    } finally {
      await strict.stop()
    }
  })

  it("enforces the plan limit, also when 20 creates race at it", async () => {
    const { key } = await createAccount(client, "free")
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ name: `w${i}` }) }))
    )
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 201)).toHaveLength(3)
    expect(statuses.filter((s) => s === 403)).toHaveLength(17)
    const refused = responses.find((r) => r.status === 403)!
    expect(refused.body.error.code).toBe("plan_limit_reached")
    expect(refused.body.error.details).toMatchObject({ plan: "free", limit: 3, current: 3 })
    const list = await client.request("GET", "/v1/webhooks", { token: key })
    expect(items(list.body.data)).toHaveLength(3)
    expect((await client.request("GET", "/v1/account", { token: key })).body.usage).toEqual({ webhooks: 3 })

    // Deleting frees a slot.
    await client.request("DELETE", `/v1/webhooks/${items(list.body.data)[0]!.id}`, { token: key })
    expect((await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput() })).status).toBe(201)
    expect((await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput() })).status).toBe(403)
  })

  it("paginates with a cursor that neither skips nor repeats under concurrent inserts", async () => {
    const { key } = await createAccount(client, "pro")
    const initial = new Set<string>()
    for (let i = 0; i < 7; i++) {
      const r = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ name: `w${i}` }) })
      initial.add(String(r.body.id))
    }
    const seen: Array<string> = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = cursor === null ? "?limit=3" : `?limit=3&cursor=${encodeURIComponent(cursor)}`
      const page = await client.request("GET", `/v1/webhooks${query}`, { token: key })
      expect(page.status).toBe(200)
      seen.push(...items(page.body.data).map((w) => String(w.id)))
      cursor = page.body.nextCursor === null ? null : String(page.body.nextCursor)
      // Inserted while paging: may or may not appear, never disturbs what existed.
      if (pages++ === 0) await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ name: "late" }) })
    } while (cursor !== null)
    expect(new Set(seen).size).toBe(seen.length)
    for (const id of initial) expect(seen).toContain(id)

    const bad = await client.request("GET", "/v1/webhooks?cursor=garbage", { token: key })
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe("invalid_cursor")
    for (const limit of ["0", "101", "abc", "1.5"]) {
      const r = await client.request("GET", `/v1/webhooks?limit=${limit}`, { token: key })
      expect(r.status, limit).toBe(400)
      expect(isErrorShape(r.body)).toBe(true)
    }
  })

  it("keeps an audit history with who and when, and never a secret or header value", async () => {
    const { key, keyId, accountId } = await createAccount(client, "pro")
    const created = await client.request("POST", "/v1/webhooks", {
      token: key,
      json: webhookInput({ headers: { "X-Api-Key": "header-value-secret" } }),
      headers: { "x-correlation-id": "trace-123" }
    })
    const id = String(created.body.id)
    await client.request("PATCH", `/v1/webhooks/${id}`, { token: key, json: { headers: { "X-Other": "other-secret" } } })
    const rotated = await client.request("POST", `/v1/webhooks/${id}/rotate-secret`, { token: key })
    await client.request("POST", `/v1/webhooks/${id}/pause`, { token: key })
    await client.request("DELETE", `/v1/webhooks/${id}`, { token: key })

    const history = await client.request("GET", `/v1/webhooks/${id}/history`, { token: key })
    expect(history.status).toBe(200)
    const entries = items(history.body.data)
    expect(entries.map((e) => e.type)).toEqual([
      "WebhookCreated",
      "WebhookHeadersChanged",
      "WebhookSecretRotated",
      "WebhookPaused",
      "WebhookDeleted"
    ])
    expect(entries[0]!.actor).toEqual({ kind: "account", accountId, keyId })
    expect(entries[0]!.correlationId).toBe("trace-123")
    expect(Number.isNaN(Date.parse(String(entries[0]!.at)))).toBe(false)
    const text = JSON.stringify(history.body)
    for (const secret of [created.body.secret, rotated.body.secret, "header-value-secret", "other-secret"]) {
      expect(text).not.toContain(String(secret))
    }
    expect(text).not.toContain("whsec_")

    const page = await client.request("GET", `/v1/webhooks/${id}/history?limit=2`, { token: key })
    expect(items(page.body.data)).toHaveLength(2)
    const next = await client.request("GET", `/v1/webhooks/${id}/history?limit=2&cursor=${page.body.nextCursor}`, { token: key })
    expect(items(next.body.data).map((e) => e.version)).toEqual([3, 4])
  })

  it("isolates accounts: another account's key gets 404 for every id of the first", async () => {
    const owner = await createAccount(client, "pro", "Owner")
    const other = await createAccount(client, "pro", "Other")
    const created = await client.request("POST", "/v1/webhooks", { token: owner.key, json: webhookInput() })
    const id = String(created.body.id)
    const attempts: ReadonlyArray<readonly [string, string, unknown]> = [
      ["GET", `/v1/webhooks/${id}`, undefined],
      ["PATCH", `/v1/webhooks/${id}`, { name: "stolen" }],
      ["POST", `/v1/webhooks/${id}/pause`, undefined],
      ["POST", `/v1/webhooks/${id}/resume`, undefined],
      ["POST", `/v1/webhooks/${id}/rotate-secret`, {}],
      ["GET", `/v1/webhooks/${id}/history`, undefined],
      ["DELETE", `/v1/webhooks/${id}`, undefined]
    ]
    for (const [method, path, json] of attempts) {
      const response = await client.request(method, path, { token: other.key, json })
      expect(response.status, `${method} ${path}`).toBe(404)
      expect(response.body.error.code).toBe("webhook_not_found")
    }
    expect(items((await client.request("GET", "/v1/webhooks", { token: other.key })).body.data)).toHaveLength(0)
    const untouched = await client.request("GET", `/v1/webhooks/${id}`, { token: owner.key })
    expect(untouched.body).toMatchObject({ name: "Orders", status: "active" })
    expect(items((await client.request("GET", `/v1/webhooks/${id}/history`, { token: owner.key })).body.data)).toHaveLength(1)
  })
})
