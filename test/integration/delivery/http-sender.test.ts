import { describe, expect, it, layer } from "@effect/vitest"
import { Duration, Effect, Fiber } from "effect"
import * as HttpSenderModule from "../../../src/delivery/http-sender.js"
import { HttpSender } from "../../../src/delivery/http-sender.js"
import type { ResponseOutcome, SendOutcome } from "../../../src/domain/outcome.js"
import { closedPort, rawReceiver, receiver } from "./receiver.js"

const body = JSON.stringify({ id: "evt_1", type: "message.created", timestamp: "2026-01-01T00:00:00Z", data: {} })
const webhookHeaders = {
  "webhook-id": "msg_1",
  "webhook-timestamp": "1767225600",
  "webhook-signature": "v1,abc"
}

const send = (url: string, timeoutMs = 2_000) =>
  Effect.flatMap(HttpSender, (sender) => sender.send({ url, headers: webhookHeaders, body, timeoutMs }))

const asResponse = (outcome: SendOutcome): ResponseOutcome => {
  if (outcome.kind !== "response") throw new Error(`expected a response, got ${JSON.stringify(outcome)}`)
  return outcome
}

const waitFor = <A>(promise: Promise<A>) => Effect.promise(() => promise).pipe(Effect.timeout(Duration.seconds(2)))

layer(HttpSenderModule.layer({ allowPrivateTargets: true }), { excludeTestServices: true })("HttpSender", (it) => {
  it.effect("posts the body with the caller's headers and its own user-agent and content-type", () =>
    Effect.gen(function*() {
      const target = yield* receiver((_req, res) => {
        res.setHeader("X-Receiver", "yes")
        res.setHeader("Set-Cookie", ["a=1", "b=2"])
        res.end("thanks")
      })
      const sender = yield* HttpSender
      const outcome = asResponse(
        yield* sender.send({
          url: `${target.url}/hooks/in?x=1`,
          headers: { ...webhookHeaders, "X-Secret": "s3cr3t", "User-Agent": "evil", "content-type": "text/plain" },
          body,
          timeoutMs: 2_000
        })
      )
      expect(outcome.status).toBe(200)
      expect(outcome.bodyExcerpt).toBe("thanks")
      expect(outcome.headers["x-receiver"]).toBe("yes")
      expect(outcome.headers["set-cookie"]).toBe("a=1, b=2")
      expect(outcome.durationMs).toBeGreaterThan(0)
      expect(target.requests).toHaveLength(1)
      const received = target.requests[0]!
      expect(received.method).toBe("POST")
      expect(received.url).toBe("/hooks/in?x=1")
      expect(received.body).toBe(body)
      expect(received.headers["user-agent"]).toBe(HttpSenderModule.DEFAULT_USER_AGENT)
      expect(received.headers["user-agent"]).toMatch(/^Hookline\/\d+\.\d+\.\d+/)
      expect(received.headers["content-type"]).toBe("application/json")
      expect(received.headers["x-secret"]).toBe("s3cr3t")
      expect(received.headers["webhook-id"]).toBe("msg_1")
      expect(received.headers["webhook-signature"]).toBe("v1,abc")
    }))

  it.effect("reports 500 and 410 as responses", () =>
    Effect.gen(function*() {
      const target = yield* receiver((req, res) => {
        res.statusCode = req.url === "/gone" ? 410 : 500
        res.end("nope")
      })
      expect(asResponse(yield* send(`${target.url}/boom`)).status).toBe(500)
      expect(asResponse(yield* send(`${target.url}/gone`)).status).toBe(410)
    }))

  it.effect("does not follow redirects", () =>
    Effect.gen(function*() {
      const target = yield* receiver((req, res) => {
        if (req.url === "/start") {
          res.writeHead(302, { location: "/elsewhere" })
          res.end()
        } else {
          res.end("followed")
        }
      })
      const outcome = asResponse(yield* send(`${target.url}/start`))
      expect(outcome.status).toBe(302)
      expect(outcome.headers["location"]).toBe("/elsewhere")
      expect(target.requests.map((r) => r.url)).toEqual(["/start"])
    }))

  it.effect("times out when the receiver never answers, and drops the connection", () =>
    Effect.gen(function*() {
      const target = yield* receiver(() => {})
      const outcome = yield* send(`${target.url}/slow`, 200)
      expect(outcome).toMatchObject({ kind: "error", errorClass: "timeout" })
      expect(outcome.durationMs).toBeGreaterThanOrEqual(190)
      expect(outcome.durationMs).toBeLessThan(1_000)
      yield* waitFor(target.socketClosed)
    }))

  it.effect("reports a refused connection", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      expect(yield* send(`http://127.0.0.1:${port}/hook`)).toMatchObject({
        kind: "error",
        errorClass: "connection_refused"
      })
    }))

  it.effect("reports a reset connection", () =>
    Effect.gen(function*() {
      const target = yield* receiver((_req, _res, socket) => socket.destroy())
      expect(yield* send(`${target.url}/hook`)).toMatchObject({ kind: "error", errorClass: "connection_reset" })
    }))

  it.effect("reports a malformed response", () =>
    Effect.gen(function*() {
      const target = yield* rawReceiver("this is not HTTP\r\n\r\n")
      expect(yield* send(target.url)).toMatchObject({ kind: "error", errorClass: "invalid_response" })
    }))

  it.effect("keeps only the first 4 KiB of a big body and stops reading", () =>
    Effect.gen(function*() {
      const big = "é" + "x".repeat(1024 * 1024)
      const target = yield* receiver((_req, res) => res.end(big))
      const outcome = asResponse(yield* send(`${target.url}/big`))
      expect(outcome.status).toBe(200)
      expect(Buffer.byteLength(outcome.bodyExcerpt)).toBe(HttpSenderModule.BODY_EXCERPT_BYTES)
      expect(outcome.bodyExcerpt.startsWith("éxxx")).toBe(true)
      yield* waitFor(target.socketClosed)
    }))

  it.effect("reads a small body sent in several chunks completely", () =>
    Effect.gen(function*() {
      const target = yield* receiver((_req, res) => {
        res.write("part one, ")
        setTimeout(() => res.end("part two"), 20)
      })
      expect(asResponse(yield* send(`${target.url}/chunks`)).bodyExcerpt).toBe("part one, part two")
    }))

  it.effect("aborts the request when the fiber is interrupted", () =>
    Effect.gen(function*() {
      const target = yield* receiver(() => {})
      const fiber = yield* Effect.forkChild(send(`${target.url}/hang`, 30_000))
      yield* waitFor(target.firstRequest)
      yield* Fiber.interrupt(fiber)
      yield* waitFor(target.socketClosed)
      expect(target.requests).toHaveLength(1)
    }))

  it.effect("reuses one keep-alive connection for sequential requests", () =>
    Effect.gen(function*() {
      const target = yield* receiver((_req, res) => res.end("ok"))
      for (let i = 0; i < 25; i++) {
        expect(asResponse(yield* send(`${target.url}/hook`)).status).toBe(200)
      }
      expect(target.requests).toHaveLength(25)
      expect(target.connectionCount()).toBe(1)
    }))

  it.effect("reports an invalid URL as an error outcome", () =>
    Effect.gen(function*() {
      expect(yield* send("not a url")).toMatchObject({ kind: "error", errorClass: "other" })
    }))
})

layer(HttpSenderModule.layer({ allowPrivateTargets: false }), { excludeTestServices: true })(
  "HttpSender with the target guard",
  (it) => {
    it.effect("blocks a literal loopback address before any byte reaches the receiver", () =>
      Effect.gen(function*() {
        const target = yield* receiver((_req, res) => res.end("should not happen"))
        const outcome = yield* send(`${target.url}/hook`)
        expect(outcome).toMatchObject({ kind: "error", errorClass: "blocked_target" })
        if (outcome.kind === "error") expect(outcome.message).toContain("loopback")
        yield* Effect.sleep(Duration.millis(50))
        expect(target.connectionCount()).toBe(0)
        expect(target.requests).toHaveLength(0)
      }))

    it.effect("blocks a name that resolves to loopback, at connect time", () =>
      Effect.gen(function*() {
        const target = yield* receiver((_req, res) => res.end("should not happen"))
        const outcome = yield* send(`http://localhost:${target.port}/hook`)
        expect(outcome).toMatchObject({ kind: "error", errorClass: "blocked_target" })
        yield* Effect.sleep(Duration.millis(50))
        expect(target.connectionCount()).toBe(0)
      }))

    it.effect("blocks IPv6 loopback and IPv4-mapped loopback literals", () =>
      Effect.gen(function*() {
        const target = yield* receiver((_req, res) => res.end("should not happen"))
        for (const host of ["[::1]", "[::ffff:127.0.0.1]"]) {
          expect(yield* send(`http://${host}:${target.port}/hook`)).toMatchObject({
            kind: "error",
            errorClass: "blocked_target"
          })
        }
        expect(target.connectionCount()).toBe(0)
      }))

    it.effect("reports a name that does not resolve as a DNS error", () =>
      Effect.gen(function*() {
        expect(yield* send("https://no-such-host.invalid/hook")).toMatchObject({ kind: "error", errorClass: "dns" })
      }))
  }
)

describe("classifySendError", () => {
  it.each([
    [{ code: "ECONNREFUSED" }, "connection_refused"],
    [{ code: "ECONNRESET" }, "connection_reset"],
    [{ code: "UND_ERR_SOCKET" }, "connection_reset"],
    [{ code: "ENOTFOUND" }, "dns"],
    [{ code: "EAI_AGAIN" }, "dns"],
    [{ code: "UND_ERR_CONNECT_TIMEOUT" }, "timeout"],
    [{ code: "CERT_HAS_EXPIRED" }, "tls"],
    [{ code: "ERR_TLS_CERT_ALTNAME_INVALID" }, "tls"],
    [{ code: "DEPTH_ZERO_SELF_SIGNED_CERT" }, "tls"],
    [{ code: "ERR_SSL_WRONG_VERSION_NUMBER" }, "tls"],
    [{ code: "HPE_INVALID_CONSTANT" }, "invalid_response"],
    [{ code: "HOOKLINE_BLOCKED_TARGET" }, "blocked_target"],
    [{ code: "UND_ERR", cause: { code: "ECONNRESET" } }, "connection_reset"],
    [{ message: "no code" }, "other"],
    ["a string", "other"]
  ] as const)("%o -> %s", (err, expected) => {
    expect(HttpSenderModule.classifySendError(err)).toBe(expected)
  })
})
