/**
 * `npm run chaos`: every fault scenario against a Hookline child process, then the table in markdown.
 * Options: `--events N` per scenario (default 2500), `--webhooks N` (default 20), `--only <text>` to
 * run the scenarios whose name contains it. Exits 1 when any scenario lost a delivery or broke a promise.
 */
import { parseArgs } from "node:util"
import { formatTable, leakedSecrets, runScenario, type ScenarioResult, startChaosRun } from "./harness.js"
import { allScenarios } from "./scenarios.js"

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "2500" },
    webhooks: { type: "string", default: "20" },
    only: { type: "string" }
  }
})
const events = Number(values.events)
const webhooks = Number(values.webhooks)
const scenarios = allScenarios.filter((s) => values.only === undefined || s.name.includes(values.only))

const run = await startChaosRun()
const results: Array<ScenarioResult> = []
try {
  for (const scenario of scenarios) {
    process.stderr.write(`chaos: ${scenario.name}...\n`)
    // Bounded: a scenario that cannot finish in this time reports what is missing instead of waiting on.
    const result = await runScenario(run, scenario, { events, webhooks, timeLimitMs: 240_000 })
    process.stderr.write(`chaos: ${scenario.name}: ${result.failures.length === 0 ? "passed" : result.failures.join("; ")} (${result.seconds} s)\n`)
    results.push(result)
  }
} finally {
  await run.close()
}

const leaks = leakedSecrets(run)
const total = results.reduce(
  (t, r) => ({ events: t.events + r.events, expected: t.expected + r.expected, delivered: t.delivered + r.delivered, lost: t.lost + r.lost }),
  { events: 0, expected: 0, delivered: 0, lost: 0 }
)
process.stdout.write(`${formatTable(results)}\n\n`)
process.stdout.write(
  `${total.events} events, ${total.expected} deliveries expected, ${total.delivered} delivered, ${total.lost} lost; ` +
    `${webhooks} webhooks per scenario; API keys, operator token and signing secrets found in the logs: ${leaks.length}.\n\n`
)
for (const r of results) {
  for (const note of r.notes) process.stdout.write(`- ${r.scenario}: ${note}\n`)
  for (const failure of r.failures) process.stdout.write(`- ${r.scenario}: FAILED: ${failure}\n`)
}
const failed = results.some((r) => r.failures.length > 0) || leaks.length > 0
process.exit(failed ? 1 : 0)
