import { request as httpRequest } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { exceedsJsonDepth } from "../../../src/http/json-guard.js"
import { makeApiRateLimiter } from "../../../src/http/rate-limit.js"
import {
  type Client,
  createAccount,
  isErrorShape,
  messageCreated,
  startTestServer,
  type Started
} from "../../support/http-server.js"

let server: Started
let client: Client

beforeAll(async () => {
  server = await startTestServer({ apiRateLimit: 5, apiRateBurst: 5, maxJsonDepth: 32 })
  client = server.client
})
afterAll(() => server.stop())

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`

/** A body sent in chunks without a Content-Length, so only the server's reading limit can stop it. */
const chunked = (url: string, token: string, chunks: number, chunkBytes: number) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(`${url}/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "transfer-encoding": "chunked" }
    })
    req.on("response", (res) => {
      let body = ""
      res.on("data", (c: Buffer) => (body += c.toString()))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }))
    })
    // The server stops reading at the limit and may close the connection before the client has read
    // the 413 (HTTP allows it): a reset counts as refused too.
    req.on("error", (error) =>
      /EPIPE|ECONNRESET|socket hang up/.test(error.message) ? resolve({ status: 0, body: "" }) : reject(error)
    )
    const chunk = "x".repeat(chunkBytes)
    req.write('"')
    for (let i = 0; i < chunks; i++) req.write(chunk)
    req.end('"')
  })

describe("per-key API rate limit", () => {
  it("answers 429 with Retry-After and the error shape once a key spends its bucket; other keys are unaffected", async () => {
    const a = await createAccount(client, "free", "Rate A")
    const b = await createAccount(client, "free", "Rate B")
    const started = Date.now()
    const answers = await Promise.all(Array.from({ length: 30 }, () => client.request("GET", "/v1/account", { token: a.key })))
    const elapsedSeconds = (Date.now() - started) / 1000
    const statuses = answers.map((r) => r.status)
    // The burst of 5, plus whatever refilled at 5 per second while a loaded machine served them.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(5)
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(5 + Math.ceil(elapsedSeconds * 5))
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0)
    const limited = answers.find((r) => r.status === 429)!
    expect(isErrorShape(limited.body)).toBe(true)
    expect(limited.body.error.code).toBe("rate_limited")
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
    expect(JSON.stringify(limited.body)).not.toContain(a.key)
    expect((await client.request("GET", "/v1/account", { token: b.key })).status).toBe(200)
  })

  it("limits a portal session like a key: its cookie gets a bucket of its own", async () => {
    const c = await createAccount(client, "free", "Rate C")
    const made = await client.request("POST", "/v1/portal/sessions", { token: c.key })
    expect(made.status).toBe(201)
    const token = /token=([^&]+)/.exec(String(made.body.url))![1]!
    const entered = await client.request("POST", "/portal/api/session", { json: { token } })
    expect(entered.status).toBe(200)
    const cookie = (entered.headers.get("set-cookie") ?? "").split(";")[0]!
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => client.request("GET", "/v1/account", { headers: { cookie } }))
    )
    expect(answers.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(5)
    const limited = answers.find((r) => r.status === 429)
    expect(limited?.body.error.code).toBe("rate_limited")
    expect(JSON.stringify(limited?.body)).not.toContain(cookie)
  })

  it("refills at the configured rate and keeps at most maxKeys buckets", () => {
    const limiter = makeApiRateLimiter({ ratePerSecond: 2, burst: 2, maxKeys: 100 })
    expect(limiter.take("k", 0).allowed).toBe(true)
    expect(limiter.take("k", 0).allowed).toBe(true)
    const refused = limiter.take("k", 0)
    expect(refused.allowed).toBe(false)
    expect(!refused.allowed && refused.retryAfterMs).toBe(500)
    expect(limiter.take("k", 500).allowed).toBe(true)
    for (let i = 0; i < 10_000; i++) limiter.take(`key-${i}`, 1000)
    expect(limiter.size()).toBe(100)
    expect(makeApiRateLimiter({ ratePerSecond: 0, burst: 0, maxKeys: 1 }).take("k", 0).allowed).toBe(true)
  })
})

describe("hostile JSON", () => {
  it("refuses JSON nested deeper than the limit with a 400 before parsing it; strings do not count", async () => {
    const { key } = await createAccount(client, "free", "Json")
    const deep = await client.request("POST", "/v1/events", { token: key, raw: nested(500_000) })
    expect(deep.status).toBe(400)
    expect(isErrorShape(deep.body)).toBe(true)
    expect(deep.body.error.code).toBe("json_too_deep")
    const deepBatch = await client.request("POST", "/v1/events/batch", {
      token: key,
      raw: JSON.stringify({ events: [{ type: "message.created", data: JSON.parse(nested(40)) }] })
    })
    expect(deepBatch.status).toBe(400)
    expect(deepBatch.body.error.code).toBe("json_too_deep")
    expect(exceedsJsonDepth(nested(32), 32)).toBe(false)
    expect(exceedsJsonDepth(nested(33), 32)).toBe(true)
    expect(exceedsJsonDepth(JSON.stringify({ text: "[[[[{{{{\\\"[[[[".repeat(20) }), 2)).toBe(false)
  })

  it("still publishes normal bodies after reading them for the check, with or without a correlation id", async () => {
    const { key } = await createAccount(client, "free", "Json ok")
    const plain = await client.request("POST", "/v1/events", {
      token: key,
      json: { type: "message.created", data: messageCreated({ text: "[[[{{{ not nesting" }) }
    })
    expect(plain.status).toBe(202)
    const correlated = await client.request("POST", "/v1/events", {
      token: key,
      json: { type: "message.created", data: messageCreated() },
      headers: { "x-correlation-id": "chaos-corr-1" }
    })
    expect(correlated.status).toBe(202)
    expect(correlated.headers.get("x-correlation-id")).toBe("chaos-corr-1")
  })

  it("answers 413 to a body over 1 MiB, declared or streamed without a length", async () => {
    const { key } = await createAccount(client, "free", "Big")
    const declared = await client.request("POST", "/v1/events", { token: key, raw: `"${"x".repeat(1024 * 1024 + 10)}"` })
    expect(declared.status).toBe(413)
    expect(declared.body.error.code).toBe("request_too_large")
    const streamed = await chunked(client.baseUrl, key, 40, 32 * 1024)
    expect([0, 413]).toContain(streamed.status)
    if (streamed.status === 413) expect(JSON.parse(streamed.body).error.code).toBe("request_too_large")
    expect((await client.request("GET", "/v1/account", { token: key })).status).toBe(200)
  })
})
