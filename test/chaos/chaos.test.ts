import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ChaosRun, formatTable, leakedSecrets, runScenario, type ScenarioResult, startChaosRun } from "./harness.js"
import { shortScenarios } from "./scenarios.js"

/**
 * The shortened chaos run (`npm run chaos` is the full one): Hookline as a child process, killed with
 * SIGKILL, cut off from a stopped PostgreSQL, and facing a receiver that resets, hangs, answers 429 and
 * closes after the headers. Nothing may be lost, nothing may arrive twice unless a kill explains it, and
 * no key, token or signing secret may show in the logs, metrics, history or error answers.
 */
let run: ChaosRun
const results: Array<ScenarioResult> = []

beforeAll(async () => {
  run = await startChaosRun()
})

afterAll(async () => {
  if (results.length > 0) console.log(formatTable(results))
  await run.close()
})

const size = { events: 150, webhooks: 4, timeLimitMs: 50_000, batchSize: 50 }

describe("chaos, shortened", () => {
  for (const scenario of shortScenarios) {
    it(scenario.name, async () => {
      const result = await runScenario(run, scenario, size)
      results.push(result)
      expect(result.failures).toEqual([])
      expect(result.lost).toBe(0)
      expect(result.delivered).toBe(result.expected)
    }, 80_000)
  }

  it("no API key, operator token or signing secret in the logs, metrics, history or error answers", () => {
    expect(run.secrets.length).toBeGreaterThan(0)
    expect(leakedSecrets(run)).toEqual([])
  })
})
