import type { Scenario } from "./harness.js"

const calm = { faults: [], share: 0, answerDelayMs: 1 } as const

/** The full set `npm run chaos` runs, in order. */
export const allScenarios: ReadonlyArray<Scenario> = [
  { name: "SIGKILL ×3, restart after each", receiver: { ...calm, answerDelayMs: 2 }, disruption: { kind: "sigkill", kills: 3 } },
  { name: "PostgreSQL stopped 10 s", receiver: calm, disruption: { kind: "postgres-stop", outageMs: 10_000 } },
  { name: "receiver resets connections", receiver: { faults: ["reset"], share: 0.3, answerDelayMs: 1 }, disruption: { kind: "none" } },
  {
    name: "receiver answers slowly (1.2 s)",
    receiver: { faults: ["slow"], share: 0.2, answerDelayMs: 1, slowMs: 1200 },
    disruption: { kind: "none" },
    env: { HOOKLINE_ENDPOINT_CONCURRENCY: "40" }
  },
  {
    name: "receiver never answers (timeout 1 s)",
    receiver: { faults: ["hang"], share: 0.05, answerDelayMs: 1 },
    disruption: { kind: "none" },
    env: { HOOKLINE_DELIVERY_TIMEOUT_MS: "1000", HOOKLINE_ENDPOINT_CONCURRENCY: "40" }
  },
  {
    name: "receiver answers 429, Retry-After: 1",
    receiver: { faults: ["too-many-requests"], share: 0.3, answerDelayMs: 1 },
    disruption: { kind: "none" }
  },
  {
    name: "receiver closes after the headers",
    receiver: { faults: ["close-after-headers"], share: 0.3, answerDelayMs: 1 },
    disruption: { kind: "none" }
  },
  { name: "SIGTERM, graceful stop and restart", receiver: { ...calm, answerDelayMs: 50 }, disruption: { kind: "sigterm" } }
]

/** The shortened form `npm test` runs: one kill, a short outage, every receiver fault mixed together. */
export const shortScenarios: ReadonlyArray<Scenario> = [
  { name: "SIGKILL ×2, restart after each", receiver: { ...calm, answerDelayMs: 2 }, disruption: { kind: "sigkill", kills: 2 } },
  { name: "PostgreSQL stopped 6 s", receiver: calm, disruption: { kind: "postgres-stop", outageMs: 6_000 } },
  {
    name: "receiver faults mixed",
    receiver: { faults: ["reset", "hang", "too-many-requests", "close-after-headers", "slow"], share: 0.4, answerDelayMs: 1, slowMs: 500 },
    disruption: { kind: "none" },
    env: { HOOKLINE_DELIVERY_TIMEOUT_MS: "1000" }
  }
]
