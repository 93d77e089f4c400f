import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { createHash } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  type Client,
  createAccount,
  isErrorShape,
  items,
  type Json,
  messageCreated,
  type Response,
  startTestServer,
  type Started,
  testOperatorToken,
  webhookInput
} from "../../support/http-server.js"
import { flushKeyUsage } from "../../../src/app/key-usage.js"
import { eventuallyAsync as eventually } from "../../support/eventually.js"

let server: Started
let client: Client

beforeAll(async () => {
  // Deliveries go to a closed port: they stay open, which is all the lists need.
  server = await startTestServer({ allowPrivateTargets: true, circuitFailureThreshold: 1000 })
  client = server.client
})
afterAll(async () => {
  await server.stop()
})


const userUpdated = {
  user: { id: "u1", name: "Ann", updatedAt: "2025-01-01T00:00:00Z" },
  changes: [{ field: "name", from: "A", to: "Ann" }]
}

const publish = async (key: string, id: string, type: "message.created" | "user.updated" = "message.created") => {
  const data = type === "message.created" ? messageCreated() : userUpdated
  const response = await client.request("POST", "/v1/events", { token: key, json: { id, type, data } })
  expect(response.status).toBe(202)
}

const webhook = async (key: string, name: string) => {
  const created = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ name }) })
  expect(created.status).toBe(201)
  return String(created.body.id)
}

/** Every page of a list, following `nextCursor`. */
const allPages = async (key: string, path: string, limit: number) => {
  const pages: Array<ReadonlyArray<Json>> = []
  let cursor: string | null = null
  do {
    const separator = path.includes("?") ? "&" : "?"
    const response: Response = await client.request(
      "GET",
      `${path}${separator}limit=${limit}${cursor === null ? "" : `&cursor=${cursor}`}`,
      { token: key }
    )
    expect(response.status).toBe(200)
    pages.push(items(response.body.data))
    cursor = response.body.nextCursor === null ? null : String(response.body.nextCursor)
  } while (cursor !== null && pages.length < 50)
  return pages
}

describe("GET /v1/deliveries", () => {
  it("lists the account's deliveries across webhooks, newest first, paginated, filtered, tenant-isolated", async () => {
    const { key } = await createAccount(client, "pro")
    const other = await createAccount(client, "pro")
    const a = await webhook(key, "A")
    const b = await webhook(key, "B")
    const foreign = await webhook(other.key, "Foreign")
    for (let i = 0; i < 3; i++) await publish(key, `acc-${i}`)
    await publish(other.key, "other-0")

    const all = await eventually(
      () => client.request("GET", "/v1/deliveries", { token: key }),
      (r) => r.status === 200 && items(r.body.data).length === 6
    )
    expect(all.status).toBe(200)
    expect(all.body.nextCursor).toBeNull()
    const data = items(all.body.data)
    expect(data.map((d) => d.eventId)).toEqual(["acc-2", "acc-2", "acc-1", "acc-1", "acc-0", "acc-0"])
    expect(new Set(data.map((d) => d.webhookId))).toEqual(new Set([a, b]))
    expect(data.every((d) => String(d.webhookId) !== foreign)).toBe(true)

    const pages = await allPages(key, "/v1/deliveries", 4)
    expect(pages.map((p) => p.length)).toEqual([4, 2])
    expect(pages.flat().map((d) => d.id)).toEqual(data.map((d) => d.id))

    const ofA = await client.request("GET", `/v1/deliveries?webhookId=${a}`, { token: key })
    expect(items(ofA.body.data).map((d) => d.eventId)).toEqual(["acc-2", "acc-1", "acc-0"])
    expect(items(ofA.body.data).every((d) => String(d.webhookId) === a)).toBe(true)
    const wrongType = await client.request("GET", "/v1/deliveries?type=conversation.closed", { token: key })
    expect(items(wrongType.body.data)).toHaveLength(0)
    const delivered = await client.request("GET", "/v1/deliveries?status=delivered", { token: key })
    expect(items(delivered.body.data)).toHaveLength(0)
    const future = await client.request("GET", `/v1/deliveries?since=${new Date(Date.now() + 60_000).toISOString()}`, {
      token: key
    })
    expect(items(future.body.data)).toHaveLength(0)
    const past = await client.request("GET", `/v1/deliveries?until=${new Date(Date.now() + 60_000).toISOString()}`, {
      token: key
    })
    expect(items(past.body.data)).toHaveLength(6)

    // Another account's webhook is as absent as a missing one.
    const foreignFilter = await client.request("GET", `/v1/deliveries?webhookId=${foreign}`, { token: key })
    expect(foreignFilter.status).toBe(404)
    expect(isErrorShape(foreignFilter.body)).toBe(true)
    const missing = await client.request("GET", "/v1/deliveries?webhookId=wh_missing", { token: key })
    expect(missing.status).toBe(404)
    const theirs = await eventually(
      () => client.request("GET", "/v1/deliveries", { token: other.key }),
      (r) => items(r.body.data).length === 1
    )
    expect(items(theirs.body.data).map((d) => d.eventId)).toEqual(["other-0"])

    const badStatus = await client.request("GET", "/v1/deliveries?status=bogus", { token: key })
    expect(badStatus.status).toBe(400)
    expect(isErrorShape(badStatus.body)).toBe(true)
    const badCursor = await client.request("GET", "/v1/deliveries?cursor=nope", { token: key })
    expect(badCursor.status).toBe(400)
    const anonymous = await client.request("GET", "/v1/deliveries")
    expect(anonymous.status).toBe(401)
  })
})

describe("GET /v1/events", () => {
  it("lists the account's published events, newest first, paginated, filtered by type and time, tenant-isolated", async () => {
    const { key } = await createAccount(client, "pro")
    const other = await createAccount(client, "pro")
    await publish(key, "ev-0")
    await publish(key, "ev-1", "user.updated")
    await publish(key, "ev-2")
    const between = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 20))
    await publish(key, "ev-3", "user.updated")
    await publish(key, "ev-4")
    await publish(other.key, "theirs-0")

    const all = await eventually(
      () => client.request("GET", "/v1/events", { token: key }),
      (r) => r.status === 200 && items(r.body.data).length === 5
    )
    expect(all.status).toBe(200)
    expect(all.body.nextCursor).toBeNull()
    const data = items(all.body.data)
    expect(data.map((e) => e.id)).toEqual(["ev-4", "ev-3", "ev-2", "ev-1", "ev-0"])
    expect(Object.keys(data[0]!).sort()).toEqual(["id", "occurredAt", "publishedAt", "type"])
    expect(data[1]).toMatchObject({ id: "ev-3", type: "user.updated" })

    const pages = await allPages(key, "/v1/events", 2)
    expect(pages.map((p) => p.map((e) => e.id))).toEqual([["ev-4", "ev-3"], ["ev-2", "ev-1"], ["ev-0"]])
    const typed = await allPages(key, "/v1/events?type=user.updated", 1)
    expect(typed.flat().map((e) => e.id)).toEqual(["ev-3", "ev-1"])
    const since = await client.request("GET", `/v1/events?since=${between}`, { token: key })
    expect(items(since.body.data).map((e) => e.id)).toEqual(["ev-4", "ev-3"])
    const until = await client.request("GET", `/v1/events?until=${between}&type=message.created`, { token: key })
    expect(items(until.body.data).map((e) => e.id)).toEqual(["ev-2", "ev-0"])

    // Another account's events are absent from the list and a 404 by id.
    const theirs = await eventually(
      () => client.request("GET", "/v1/events", { token: other.key }),
      (r) => items(r.body.data).length === 1
    )
    expect(items(theirs.body.data).map((e) => e.id)).toEqual(["theirs-0"])
    const foreign = await client.request("GET", "/v1/events/theirs-0", { token: key })
    expect(foreign.status).toBe(404)
    expect(isErrorShape(foreign.body)).toBe(true)

    // A cursor from another list is refused, as is a malformed filter.
    const deliveriesCursor = Buffer.from("d:1:x", "utf8").toString("base64url")
    const wrongCursor = await client.request("GET", `/v1/events?cursor=${deliveriesCursor}`, { token: key })
    expect(wrongCursor.status).toBe(400)
    expect(isErrorShape(wrongCursor.body)).toBe(true)
    const badSince = await client.request("GET", "/v1/events?since=yesterday", { token: key })
    expect(badSince.status).toBe(400)
    const badLimit = await client.request("GET", "/v1/events?limit=0", { token: key })
    expect(badLimit.status).toBe(400)
    const anonymous = await client.request("GET", "/v1/events")
    expect(anonymous.status).toBe(401)
  })
})

describe("GET /v1/admin/accounts and /v1/admin/accounts/{id}/keys", () => {
  const admin = { token: testOperatorToken }

  it("issues a key with an optional name (1 to 100 characters), shown when issued and in the list, never its secret", async () => {
    const account = await createAccount(client)
    const path = `/v1/admin/accounts/${account.accountId}/keys`
    const named = await client.request("POST", path, { ...admin, json: { name: "  CI deploys " } })
    expect(named.status).toBe(201)
    expect(named.body).toMatchObject({ name: "CI deploys" })
    expect(String(named.body.key)).not.toBe("")
    const unnamed = await client.request("POST", path, { ...admin, json: {} })
    expect(unnamed.status).toBe(201)
    expect(unnamed.body.name).toBeNull()
    for (const name of ["", "   ", "k".repeat(101)]) {
      const refused = await client.request("POST", path, { ...admin, json: { name } })
      expect(refused.status, JSON.stringify(name)).toBe(400)
      expect(isErrorShape(refused.body)).toBe(true)
      expect(JSON.stringify(refused.body)).toContain("name")
    }
    expect((await client.request("POST", path, { ...admin, json: { name: "k".repeat(100) } })).status).toBe(201)

    const listed = items((await client.request("GET", path, admin)).body.data)
    const byId = new Map(listed.map((k) => [String(k.id), k]))
    expect(byId.get(String(named.body.id))?.name).toBe("CI deploys")
    expect(byId.get(String(unnamed.body.id))?.name).toBeNull()
    expect(byId.get(account.keyId)?.name).toBeNull()
    const text = JSON.stringify(listed)
    expect(text).not.toContain(String(named.body.key))
    expect(text).not.toContain(createHash("sha256").update(String(named.body.key)).digest("hex"))

    const revoked = await client.request("DELETE", `${path}/${String(named.body.id)}`, admin)
    expect(revoked.body).toMatchObject({ name: "CI deploys", status: "revoked" })
  })

  it("lists accounts newest first and each account's keys, never a secret, with creation and last use", async () => {
    const first = await createAccount(client, "free", "First")
    const second = await createAccount(client, "pro", "Second")

    const accounts = await client.request("GET", "/v1/admin/accounts?limit=2", admin)
    expect(accounts.status).toBe(200)
    expect(items(accounts.body.data).map((a) => a.id)).toEqual([second.accountId, first.accountId])
    expect(items(accounts.body.data)[0]).toMatchObject({ name: "Second", plan: "pro", usage: { webhooks: 0 } })
    expect(Date.parse(String(items(accounts.body.data)[0]!.createdAt))).toBeGreaterThan(0)
    expect(accounts.body.nextCursor).not.toBeNull()
    const next = await client.request("GET", `/v1/admin/accounts?limit=2&cursor=${String(accounts.body.nextCursor)}`, admin)
    expect(next.status).toBe(200)
    expect(items(next.body.data).map((a) => a.id)).not.toContain(first.accountId)

    const issued = await client.request("POST", `/v1/admin/accounts/${first.accountId}/keys`, admin)
    expect(issued.status).toBe(201)
    const issuedId = String(issued.body.id)
    const issuedKey = String(issued.body.key)
    expect((await client.request("DELETE", `/v1/admin/accounts/${first.accountId}/keys/${issuedId}`, admin)).status).toBe(200)

    const before = await client.request("GET", `/v1/admin/accounts/${first.accountId}/keys`, admin)
    expect(before.status).toBe(200)
    const keys = items(before.body.data)
    expect(keys.map((k) => k.id)).toEqual([issuedId, first.keyId])
    expect(keys[0]).toMatchObject({ status: "revoked", accountId: first.accountId })
    expect(keys[0]!.revokedAt).not.toBeNull()
    expect(keys[1]).toMatchObject({ status: "active", revokedAt: null, lastUsedAt: null })
    expect(Object.keys(keys[1]!).sort()).toEqual(["accountId", "createdAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "status"])
    const text = JSON.stringify(before.body)
    expect(text).not.toContain(first.key)
    expect(text).not.toContain(issuedKey)
    expect(text).not.toContain(createHash("sha256").update(first.key).digest("hex"))

    const used = new Date()
    expect((await client.request("GET", "/v1/webhooks", { token: first.key })).status).toBe(200)
    const after = await client.request("GET", `/v1/admin/accounts/${first.accountId}/keys`, admin)
    const active = items(after.body.data).find((k) => String(k.id) === first.keyId)
    expect(Date.parse(String(active?.lastUsedAt))).toBeGreaterThanOrEqual(used.getTime() - 1000)
    // Written once a minute: after a write the use is read back from the table, no longer from memory.
    await server.runtime.runPromise(flushKeyUsage)
    const stored = await server.runtime.runPromise(
      Effect.flatMap(SqlClient, (sql) => sql<{ key_id: string }>`SELECT key_id FROM api_key_usage WHERE key_id = ${first.keyId}`)
    )
    expect(stored).toHaveLength(1)
    const flushed = await client.request("GET", `/v1/admin/accounts/${first.accountId}/keys`, admin)
    expect(items(flushed.body.data).find((k) => String(k.id) === first.keyId)?.lastUsedAt).toBe(active?.lastUsedAt)

    const paged = await allPages(admin.token, `/v1/admin/accounts/${first.accountId}/keys`, 1)
    expect(paged.flat().map((k) => k.id)).toEqual([issuedId, first.keyId])

    // One account's keys are not another's; an unknown account is a 404; an account key is no operator token.
    const others = await client.request("GET", `/v1/admin/accounts/${second.accountId}/keys`, admin)
    expect(items(others.body.data).map((k) => k.id)).toEqual([second.keyId])
    const missing = await client.request("GET", "/v1/admin/accounts/acc_missing/keys", admin)
    expect(missing.status).toBe(404)
    expect(isErrorShape(missing.body)).toBe(true)
    for (const path of ["/v1/admin/accounts", `/v1/admin/accounts/${first.accountId}/keys`]) {
      const asAccount = await client.request("GET", path, { token: first.key })
      expect(asAccount.status, path).toBe(401)
      expect(isErrorShape(asAccount.body)).toBe(true)
    }
    const badCursor = await client.request("GET", `/v1/admin/accounts?cursor=${String(accounts.body.nextCursor).slice(1)}x`, admin)
    expect(badCursor.status).toBe(400)
  })
})
