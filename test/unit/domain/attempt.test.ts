import { Option } from "effect"
import { describe, expect, it } from "vitest"
import { type AttemptFacts, circuitEventData, decideAttempt, type EndpointFacts } from "../../../src/domain/attempt.js"
import { DEFAULT_CIRCUIT_BREAKER_CONFIG, initialState } from "../../../src/domain/circuit-breaker.js"
import type { SendOutcome } from "../../../src/domain/outcome.js"

const t0 = Date.parse("2026-12-08T10:00:00.000Z")
const hour = 3_600_000

const response = (status: number, headers: Record<string, string> = {}): SendOutcome => ({
  kind: "response",
  status,
  headers,
  bodyExcerpt: "",
  durationMs: 12.4
})
const error = (errorClass: "timeout" | "blocked_target", message = "boom"): SendOutcome => ({
  kind: "error",
  errorClass,
  message,
  durationMs: 5
})

const given = (overrides: Partial<AttemptFacts> = {}): AttemptFacts => ({
  deliveryId: "dlv_1",
  webhookId: "wh_1",
  attempt: 1,
  retryAttempt: 1,
  trigger: "schedule",
  url: "https://example.com/hook",
  requestHeaders: { "webhook-id": "evt_1", "webhook-signature": "v1,secret", "x-api-key": "customer" },
  startedAt: t0,
  outcome: response(200),
  ...overrides
})

const endpoint = (overrides: Partial<EndpointFacts> = {}): EndpointFacts => ({
  retrySchedule: [5, 300],
  circuit: initialState(),
  circuitConfig: { ...DEFAULT_CIRCUIT_BREAKER_CONFIG, failureThreshold: 2 },
  sameEndpoint: true,
  failingSince: undefined,
  failuresInStreak: 0,
  disableAfterFailingMs: 120 * hour,
  ...overrides
})

// No jitter: the midpoint of [1 - 20 %, 1 + 20 %].
const midpoint = () => 0.5

interface Expected {
  readonly types: ReadonlyArray<string>
  readonly success: boolean
  readonly nextAttemptAt: string | null
  readonly circuit?: string
  readonly disable?: RegExp
  readonly failingSince?: number | undefined
}

type Case = readonly [string, AttemptFacts, EndpointFacts, number, Expected]

const cases: ReadonlyArray<Case> = [
  [
    "a 2xx succeeds: one event, no next attempt, the failing streak ends",
    given(),
    endpoint({ failingSince: t0 - hour }),
    t0 + 50,
    { types: ["AttemptSucceeded"], success: true, nextAttemptAt: null, failingSince: undefined }
  ],
  [
    "a 500 on the first attempt retries after the schedule's first delay",
    given({ outcome: response(500) }),
    endpoint(),
    t0 + 50,
    { types: ["AttemptFailed"], success: false, nextAttemptAt: new Date(t0 + 50 + 5000).toISOString(), failingSince: t0 }
  ],
  [
    "the schedule's position is the retry attempt, not the attempt number (after a redelivery)",
    given({ outcome: response(500), attempt: 7, retryAttempt: 2, trigger: "schedule" }),
    endpoint(),
    t0,
    { types: ["AttemptFailed"], success: false, nextAttemptAt: new Date(t0 + 300_000).toISOString() }
  ],
  [
    "past the schedule's end the delivery is exhausted",
    given({ outcome: error("timeout"), attempt: 3, retryAttempt: 3 }),
    endpoint(),
    t0,
    { types: ["AttemptFailed", "DeliveryExhausted"], success: false, nextAttemptAt: null }
  ],
  [
    "429 with Retry-After retries when the receiver asks",
    given({ outcome: response(429, { "retry-after": "42" }) }),
    endpoint(),
    t0,
    { types: ["AttemptFailed"], success: false, nextAttemptAt: new Date(t0 + 42_000).toISOString() }
  ],
  [
    "410 Gone exhausts the delivery and disables the webhook",
    given({ outcome: response(410) }),
    endpoint(),
    t0,
    { types: ["AttemptFailed", "DeliveryExhausted"], success: false, nextAttemptAt: null, disable: /410 Gone/ }
  ],
  [
    "a target the guard refuses exhausts the delivery and disables the webhook",
    given({ outcome: error("blocked_target", "127.0.0.1 is a loopback address") }),
    endpoint(),
    t0,
    { types: ["AttemptFailed", "DeliveryExhausted"], success: false, nextAttemptAt: null, disable: /the target is blocked: 127.0.0.1/ }
  ],
  [
    "failing for longer than the limit disables the webhook, with how long",
    given({ outcome: response(500) }),
    endpoint({ failingSince: t0 - 121 * hour }),
    t0,
    { types: ["AttemptFailed"], success: false, nextAttemptAt: new Date(t0 + 5000).toISOString(), disable: /no successful delivery for 121 hours \(limit 120 hours\)/ }
  ],
  [
    "the threshold's failure opens the circuit",
    given({ outcome: response(500) }),
    endpoint({ circuit: { _tag: "Closed", failures: [{ deliveryId: "dlv_0", attempt: 1, errorClass: "http_500" }] } }),
    t0,
    { types: ["AttemptFailed"], success: false, nextAttemptAt: new Date(t0 + 5000).toISOString(), circuit: "CircuitOpened" }
  ],
  [
    "a probe's success closes the circuit",
    given({ trigger: "probe" }),
    endpoint({ circuit: { _tag: "HalfOpen", cooldownMs: 30_000, probeStartedAt: t0 } }),
    t0,
    { types: ["AttemptSucceeded"], success: true, nextAttemptAt: null, circuit: "CircuitClosed" }
  ],
  [
    "a result from a URL the circuit no longer watches leaves the circuit alone",
    given({ outcome: response(500) }),
    endpoint({ sameEndpoint: false, circuit: { _tag: "Closed", failures: [{ deliveryId: "dlv_0", attempt: 1, errorClass: "http_500" }] } }),
    t0,
    { types: ["AttemptFailed"], success: false, nextAttemptAt: new Date(t0 + 5000).toISOString() }
  ]
]

describe("decideAttempt", () => {
  it.each(cases)("given %s", (_, attempt, facts, now, expected) => {
    const decision = decideAttempt(attempt, facts, now, midpoint)
    expect(decision.events.map((e) => e.type)).toEqual(expected.types)
    expect(decision.success).toBe(expected.success)
    expect(decision.nextAttemptAt).toBe(expected.nextAttemptAt)
    expect(decision.exhausted).toBe(expected.types.includes("DeliveryExhausted"))
    expect(Option.map(decision.circuit.transition, (t) => t._tag)).toEqual(Option.fromUndefinedOr(expected.circuit))
    if (expected.disable === undefined) expect(decision.disable).toBeUndefined()
    else expect(decision.disable).toMatch(expected.disable)
    if ("failingSince" in expected) expect(decision.failingSince).toBe(expected.failingSince)
  })

  it("a success after a failing streak is a recovery, with how many attempts had failed; a failure counts the streak", () => {
    const recovered = decideAttempt(given(), endpoint({ failuresInStreak: 3, failingSince: t0 - hour }), t0, midpoint)
    expect(recovered).toMatchObject({ recovered: 3, failuresInStreak: 0, failingSince: undefined })
    expect(decideAttempt(given(), endpoint(), t0, midpoint).recovered).toBeUndefined()
    const failed = decideAttempt(given({ outcome: response(500) }), endpoint({ failuresInStreak: 3 }), t0, midpoint)
    expect(failed).toMatchObject({ recovered: undefined, failuresInStreak: 4 })
  })

  it("records the attempt with its number, trigger and start, and the request headers redacted", () => {
    const decision = decideAttempt(given({ attempt: 4, trigger: "redeliver", outcome: response(503) }), endpoint(), t0 + 10, midpoint)
    expect(decision.events[0]!.data).toMatchObject({
      deliveryId: "dlv_1",
      webhookId: "wh_1",
      attempt: 4,
      trigger: "redeliver",
      at: new Date(t0).toISOString(),
      durationMs: 12,
      status: 503,
      errorClass: "http_503",
      requestHeaders: { "webhook-id": "evt_1", "webhook-signature": "[redacted]", "x-api-key": "[redacted]" }
    })
  })

  it("a circuit opening records the URL it opened for", () => {
    const decision = decideAttempt(
      given({ outcome: response(500) }),
      endpoint({ circuit: { _tag: "Closed", failures: [{ deliveryId: "dlv_0", attempt: 1, errorClass: "http_500" }] } }),
      t0,
      midpoint
    )
    const transition = Option.getOrThrow(decision.circuit.transition)
    expect(circuitEventData("wh_1", transition, t0, "https://example.com/hook")).toMatchObject({
      webhookId: "wh_1",
      url: "https://example.com/hook",
      until: new Date(t0 + DEFAULT_CIRCUIT_BREAKER_CONFIG.baseCooldownMs).toISOString(),
      failures: [{ deliveryId: "dlv_0" }, { deliveryId: "dlv_1" }]
    })
  })
})
