import { describe, expect, it } from "@effect/vitest"
import { classifyOutcome, REDACTED, redactHeaders } from "../../../src/domain/outcome.js"
import type { OutcomeVerdict, SendErrorClass, SendOutcome } from "../../../src/domain/outcome.js"

const now = Date.parse("2026-01-01T00:00:00Z")
const response = (status: number, headers: Record<string, string> = {}): SendOutcome => ({
  kind: "response",
  status,
  headers,
  bodyExcerpt: "",
  durationMs: 1
})
const error = (errorClass: SendErrorClass, message = "x"): SendOutcome => ({ kind: "error", errorClass, message, durationMs: 1 })

const success: OutcomeVerdict = { _tag: "Success" }
const gone: OutcomeVerdict = { _tag: "Disable", reason: "the endpoint answered 410 Gone" }
const failure: OutcomeVerdict = { _tag: "Failure" }

describe("classifyOutcome", () => {
  it.each([
    ["200", response(200), success],
    ["201", response(201), success],
    ["204", response(204), success],
    ["299", response(299), success],
    ["101", response(101), failure],
    ["301 (redirects are not followed)", response(301, { location: "https://elsewhere" }), failure],
    ["302", response(302), failure],
    ["307", response(307), failure],
    ["400", response(400), failure],
    ["404", response(404), failure],
    ["410", response(410), gone],
    ["429 without Retry-After", response(429), failure],
    ["429 with Retry-After seconds", response(429, { "retry-after": "120" }), { _tag: "RetryAfter", retryAfterMs: 120_000 }],
    ["429 with a huge Retry-After", response(429, { "retry-after": "999999" }), { _tag: "RetryAfter", retryAfterMs: 3_600_000 }],
    ["429 with a garbage Retry-After", response(429, { "retry-after": "later" }), failure],
    ["500", response(500), failure],
    ["500 with Retry-After", response(500, { "retry-after": "10" }), failure],
    ["502", response(502), failure],
    ["503 without Retry-After", response(503), failure],
    [
      "503 with a Retry-After date",
      response(503, { "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }),
      { _tag: "RetryAfter", retryAfterMs: 30_000 }
    ],
    [
      "error blocked_target (the guard refuses the address: no retry can help)",
      error("blocked_target", "connection to 127.0.0.1 (127.0.0.1) refused by the target guard: loopback"),
      {
        _tag: "Disable",
        reason: "the target is blocked: connection to 127.0.0.1 (127.0.0.1) refused by the target guard: loopback"
      }
    ],
    ...(["timeout", "connection_refused", "connection_reset", "dns", "tls", "invalid_response", "other"] as const)
      .map((c) => [`error ${c}`, error(c), failure] as const)
  ] as const)("%s", (_label, outcome, expected) => {
    expect(classifyOutcome(outcome, now)).toEqual(expected)
  })
})

describe("redactHeaders", () => {
  it("keeps names, hides the signature and every custom value", () => {
    expect(
      redactHeaders({
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": "v1,abc",
        "Content-Type": "application/json",
        "user-agent": "Hookline/0.1.0",
        "X-Api-Key": "super-secret",
        authorization: "Bearer s3cr3t"
      })
    ).toEqual({
      "webhook-id": "msg_1",
      "webhook-timestamp": "1700000000",
      "webhook-signature": REDACTED,
      "Content-Type": "application/json",
      "user-agent": "Hookline/0.1.0",
      "X-Api-Key": REDACTED,
      authorization: REDACTED
    })
  })
})
