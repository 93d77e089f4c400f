import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import {
  canSend,
  DEFAULT_CIRCUIT_BREAKER_CONFIG,
  evolve,
  initialState,
  onFailure,
  onSuccess,
  onUrlChanged
} from "../../../src/domain/circuit-breaker.js"
import type { CircuitState, CircuitStep, CircuitTransition, SendDecision } from "../../../src/domain/circuit-breaker.js"

type Evidence = string
type State = CircuitState<Evidence>

/** One step of a scenario: what happens at time `at`, and what must come out. */
type Step =
  | { readonly at: number; readonly op: "check"; readonly decision: SendDecision; readonly transition?: string }
  | { readonly at: number; readonly op: "ok"; readonly transition?: string }
  | { readonly at: number; readonly op: "fail"; readonly evidence: Evidence; readonly transition?: string }

const run = (steps: ReadonlyArray<Step>, start: State = initialState<Evidence>()) => {
  let state = start
  const transitions: Array<CircuitTransition<Evidence>> = []
  for (const step of steps) {
    let result: CircuitStep<Evidence>
    if (step.op === "check") {
      const check = canSend(state, step.at)
      expect(check.decision, `decision at ${step.at}`).toEqual(step.decision)
      result = check
    } else {
      result = step.op === "ok" ? onSuccess(state, step.at) : onFailure(state, step.at, step.evidence)
    }
    expect(Option.map(result.transition, (t) => t._tag), `transition at ${step.at} (${step.op})`)
      .toEqual(step.transition === undefined ? Option.none() : Option.some(step.transition))
    Option.map(result.transition, (t) => transitions.push(t))
    state = result.state
  }
  return { state, transitions }
}

const allowed: SendDecision = { _tag: "Allowed" }
const probe: SendDecision = { _tag: "Probe" }
const wait = (ms: number): SendDecision => ({ _tag: "Wait", ms })
const fail = (at: number, evidence: string, transition?: string): Step =>
  transition === undefined ? { at, op: "fail", evidence } : { at, op: "fail", evidence, transition }

const fourFailures: ReadonlyArray<Step> = [fail(1, "a"), fail(2, "b"), fail(3, "c"), fail(4, "d")]

describe("circuit breaker", () => {
  const closed = initialState<Evidence>()
  // name, start state, steps, end state
  const scenarios: ReadonlyArray<readonly [string, State, ReadonlyArray<Step>, State]> = [
    ["a fresh circuit allows sending", closed, [{ at: 0, op: "check", decision: allowed }], initialState()],
    [
      "four failures keep it closed",
      closed,
      [...fourFailures, { at: 5, op: "check", decision: allowed }],
      { _tag: "Closed", failures: ["a", "b", "c", "d"] }
    ],
    [
      "a success resets the consecutive count",
      closed,
      [...fourFailures, { at: 5, op: "ok" }, fail(6, "e"), { at: 7, op: "check", decision: allowed }],
      { _tag: "Closed", failures: ["e"] }
    ],
    [
      "the fifth consecutive failure opens it for the base cooldown",
      closed,
      [
        ...fourFailures,
        fail(5, "e", "CircuitOpened"),
        { at: 6, op: "check", decision: wait(29_999) },
        { at: 30_004, op: "check", decision: wait(1) }
      ],
      { _tag: "Open", until: 30_005, cooldownMs: 30_000 }
    ],
    [
      "late results while open change nothing",
      closed,
      [...fourFailures, fail(5, "e", "CircuitOpened"), fail(10, "late"), { at: 11, op: "ok" }],
      { _tag: "Open", until: 30_005, cooldownMs: 30_000 }
    ],
    [
      "after the cooldown exactly one probe goes out",
      closed,
      [
        ...fourFailures,
        fail(5, "e", "CircuitOpened"),
        { at: 30_005, op: "check", decision: probe, transition: "CircuitHalfOpened" },
        { at: 30_006, op: "check", decision: wait(59_999) }
      ],
      { _tag: "HalfOpen", cooldownMs: 30_000, probeStartedAt: 30_005 }
    ],
    [
      "a successful probe closes it",
      closed,
      [
        ...fourFailures,
        fail(5, "e", "CircuitOpened"),
        { at: 30_005, op: "check", decision: probe, transition: "CircuitHalfOpened" },
        { at: 30_100, op: "ok", transition: "CircuitClosed" },
        { at: 30_101, op: "check", decision: allowed }
      ],
      initialState()
    ],
    [
      "a failed probe re-opens it with the cooldown doubled",
      closed,
      [
        ...fourFailures,
        fail(5, "e", "CircuitOpened"),
        { at: 30_005, op: "check", decision: probe, transition: "CircuitHalfOpened" },
        fail(30_100, "probe", "CircuitOpened"),
        { at: 30_101, op: "check", decision: wait(59_999) }
      ],
      { _tag: "Open", until: 90_100, cooldownMs: 60_000 }
    ],
    [
      "a probe that never reports stops blocking after the probe timeout",
      { _tag: "Open", until: 1_000, cooldownMs: 30_000 },
      [
        { at: 1_000, op: "check", decision: probe, transition: "CircuitHalfOpened" },
        { at: 60_999, op: "check", decision: wait(1) },
        { at: 61_000, op: "check", decision: probe }
      ],
      { _tag: "HalfOpen", cooldownMs: 30_000, probeStartedAt: 61_000 }
    ]
  ]

  it.each(scenarios)("%s", (_name, start, steps, expected) => {
    expect(run(steps, start).state).toEqual(expected)
  })

  it("records the failures that opened it and the cooldown", () => {
    const { transitions } = run([...fourFailures, fail(5, "e", "CircuitOpened")])
    expect(transitions).toEqual([{ _tag: "CircuitOpened", failures: ["a", "b", "c", "d", "e"], cooldownMs: 30_000, until: 30_005 }])
  })

  it.each([
    [30_000, 60_000],
    [60_000, 120_000],
    [240_000, 480_000],
    [480_000, 600_000],
    [600_000, 600_000]
  ])("a failed probe after a %i ms cooldown re-opens for %i ms", (cooldownMs, next) => {
    const halfOpen: State = { _tag: "HalfOpen", cooldownMs, probeStartedAt: 0 }
    const step = onFailure(halfOpen, 100, "probe")
    expect(step.state).toEqual({ _tag: "Open", until: 100 + next, cooldownMs: next })
    expect(step.transition).toEqual(Option.some({ _tag: "CircuitOpened", failures: ["probe"], cooldownMs: next, until: 100 + next }))
  })

  it("honours a custom threshold", () => {
    const config = { ...DEFAULT_CIRCUIT_BREAKER_CONFIG, failureThreshold: 2 }
    const first = onFailure(initialState<Evidence>(), 0, "a", config)
    expect(Option.isNone(first.transition)).toBe(true)
    const second = onFailure(first.state, 1, "b", config)
    expect(Option.map(second.transition, (t) => t._tag)).toEqual(Option.some("CircuitOpened"))
  })

  it("restores the state from recorded transitions", () => {
    const opened: CircuitTransition<Evidence> = { _tag: "CircuitOpened", failures: ["x"], cooldownMs: 120_000, until: 500 }
    const afterOpen = evolve(initialState<Evidence>(), opened)
    expect(afterOpen).toEqual({ _tag: "Open", until: 500, cooldownMs: 120_000 })
    const afterHalf = evolve(afterOpen, { _tag: "CircuitHalfOpened" })
    expect(afterHalf).toEqual({ _tag: "HalfOpen", cooldownMs: 120_000, probeStartedAt: undefined })
    expect(canSend(afterHalf, 600).decision).toEqual(probe)
    expect(evolve(afterHalf, { _tag: "CircuitClosed" })).toEqual(initialState())
  })

  it("a URL change closes an open or half-open circuit at once, and clears a closed one's streak", () => {
    const config = { ...DEFAULT_CIRCUIT_BREAKER_CONFIG, failureThreshold: 2 }
    const open = onFailure(onFailure(initialState<Evidence>(), 0, "a", config).state, 1, "b", config).state
    expect(open._tag).toBe("Open")
    expect(onUrlChanged(open, "https://a.test/", "https://a.test/")).toEqual({ state: open, transition: Option.none() })
    const closed = onUrlChanged(open, "https://a.test/", "https://b.test/")
    expect(closed.state).toEqual(initialState())
    expect(closed.transition).toEqual(Option.some({ _tag: "CircuitClosed", reason: "url changed" }))
    // The new endpoint is allowed at once, long before the old one's cooldown ends.
    expect(canSend(closed.state, 2, config).decision).toEqual({ _tag: "Allowed" })
    const halfOpen = canSend(open, 1 + config.baseCooldownMs, config).state
    expect(halfOpen._tag).toBe("HalfOpen")
    expect(onUrlChanged(halfOpen, "https://a.test/", "https://b.test/").transition).toEqual(
      Option.some({ _tag: "CircuitClosed", reason: "url changed" })
    )
    const failing = onFailure(initialState<Evidence>(), 0, "a", config).state
    const reset = onUrlChanged(failing, "https://a.test/", "https://b.test/")
    expect(reset).toEqual({ state: initialState(), transition: Option.none() })
    // One failure of the new endpoint does not open it with the old one's.
    expect(onFailure(reset.state, 1, "b", config).state._tag).toBe("Closed")
  })
})
