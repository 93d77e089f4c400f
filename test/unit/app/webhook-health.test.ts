import { describe, expect, it } from "vitest"
import { type HealthRow, toHealth } from "../../../src/app/webhook-health.js"

const never: HealthRow = {
  circuit_state: null,
  circuit_since: null,
  circuit_until: null,
  consecutive_failures: null,
  first_failure_at: null,
  last_success_at: null,
  last_failure_at: null,
  backlog: "0",
  succeeded: "0",
  failed: "0"
}

describe("toHealth", () => {
  it("a webhook that never had an attempt: closed, nothing failing, no rate", () => {
    expect(toHealth(never)).toEqual({
      circuit: { state: "closed", since: null, nextProbeAt: null },
      consecutiveFailures: 0,
      failingSince: null,
      backlog: 0,
      lastSuccessAt: null,
      lastFailureAt: null,
      last24h: { succeeded: 0, failed: 0, successRate: null }
    })
  })

  it("an open circuit gives its next probe; half-open gives none (the probe is out)", () => {
    const since = new Date("2026-12-08T10:00:00Z")
    const until = new Date("2026-12-08T10:00:30Z")
    const open = toHealth({ ...never, circuit_state: "open", circuit_since: since, circuit_until: until, consecutive_failures: 5 })
    expect(open.circuit).toEqual({ state: "open", since: since.toISOString(), nextProbeAt: until.toISOString() })
    expect(open.consecutiveFailures).toBe(5)
    const half = toHealth({ ...never, circuit_state: "half_open", circuit_since: until, circuit_until: null })
    expect(half.circuit).toEqual({ state: "half_open", since: until.toISOString(), nextProbeAt: null })
  })

  it("the success rate is succeeded over attempts, to four places", () => {
    expect(toHealth({ ...never, succeeded: "2", failed: "1", backlog: "7" })).toMatchObject({
      backlog: 7,
      last24h: { succeeded: 2, failed: 1, successRate: 0.6667 }
    })
  })
})
