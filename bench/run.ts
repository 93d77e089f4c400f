/**
 * `npm run bench [-- [--quick] [NAME...]]`: runs the benchmark cases found in bench/cases/ (all of them, or
 * the named ones), prints a table and writes bench/results/latest.json and latest.md.
 *
 * Everything runs on 127.0.0.1: an embedded PostgreSQL in a temporary directory (or DATABASE_URL) and a
 * receiver process, both ended when the run ends, whether it succeeded or not.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, readdirSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Duration, Effect, Exit, References, Scope } from "effect"
import { type BenchServer, freshDatabase, startServer } from "./database.js"
import { type BenchCase, type BenchContext, isBenchCase, type Metric, Progress } from "./harness.js"
import { startReceiver } from "./receiver-launcher.js"

const casesDirectory = new URL("./cases/", import.meta.url)
const resultsDirectory = fileURLToPath(new URL("./results/", import.meta.url))

interface CaseResult {
  readonly name: string
  readonly description: string
  readonly ok: boolean
  readonly seconds: number
  readonly metrics: ReadonlyArray<Metric>
  readonly value?: unknown
  readonly error?: string
}

const usage = `usage: npm run bench -- [--quick] [NAME...]
  --quick   run each measurement for a fraction of its time (keeps the benchmarks working; says nothing about speed)
  --list    list the cases
  NAME      run only these cases (and the cases they need, e.g. ceiling)`

const discoverCases = Effect.promise(async () => {
  const files = readdirSync(casesDirectory).filter((f) => /^[\w-]+\.ts$/.test(f))
  const found: Array<BenchCase> = []
  for (const file of files) {
    const module = (await import(new URL(file, casesDirectory).href)) as { default?: unknown }
    if (!isBenchCase(module.default)) throw new Error(`bench/cases/${file} has no BenchCase as its default export`)
    found.push(module.default)
  }
  return found.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name))
})

// Report -------------------------------------------------------------------------------------------------

const number = (value: number): string =>
  Math.abs(value) >= 100 ? Math.round(value).toLocaleString("en-US") : value.toLocaleString("en-US", { maximumFractionDigits: 2 })

const ratioOf = (metric: Metric): number | undefined =>
  metric.ceiling === undefined || metric.ceiling.value === 0 ? undefined : metric.value / metric.ceiling.value

const metOf = (metric: Metric): boolean | undefined => {
  const target = metric.target
  if (target === undefined) return undefined
  switch (target.kind) {
    case "ratioAtLeast": {
      const ratio = ratioOf(metric)
      return ratio === undefined ? undefined : ratio >= target.ratio
    }
    case "atMost":
      return metric.value <= target.value
    case "atLeast":
      return metric.value >= target.value
  }
}

const targetText = (metric: Metric): string => {
  const target = metric.target
  if (target === undefined) return ""
  switch (target.kind) {
    case "ratioAtLeast":
      return `≥ ${Math.round(target.ratio * 100)} %`
    case "atMost":
      return `≤ ${number(target.value)} ${metric.unit}`
    case "atLeast":
      return `≥ ${number(target.value)} ${metric.unit}`
  }
}

const header = ["case", "metric", "value", "ceiling", "ratio", "target", "met?"] as const

const rowsOf = (results: ReadonlyArray<CaseResult>): Array<Array<string>> =>
  results.flatMap((result): Array<Array<string>> => {
    if (!result.ok) return [[result.name, `FAILED: ${result.error ?? "unknown"}`.slice(0, 200), "", "", "", "", ""]]
    return result.metrics.map((metric) => {
      const ratio = ratioOf(metric)
      const met = metOf(metric)
      return [
        result.name,
        metric.name,
        `${number(metric.value)} ${metric.unit}`,
        metric.ceiling === undefined ? "" : `${number(metric.ceiling.value)} (${metric.ceiling.name})`,
        ratio === undefined ? "" : `${(ratio * 100).toFixed(0)} %`,
        targetText(metric),
        met === undefined ? "" : met ? "yes" : "NO"
      ]
    })
  })

const textTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const all = [Array.from(header), ...rows]
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? "").length)))
  const line = (row: ReadonlyArray<string>) => row.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd()
  return [line(all[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}

const markdownTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const escape = (cell: string) => cell.replaceAll("|", "\\|")
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map((h) => (h === "case" || h === "metric" ? "---" : "---:")).join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(escape).join(" | ")} |`)
  ].join("\n")
}

const gitCommit = (): string | undefined => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch {
    return undefined
  }
}

const machine = () => {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`
  }
}

// Run ----------------------------------------------------------------------------------------------------

const main = Effect.gen(function* () {
  const args = process.argv.slice(2)
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage)
    return
  }
  const quick = args.includes("--quick")
  const unknownFlags = args.filter((a) => a.startsWith("-") && a !== "--quick" && a !== "--list")
  if (unknownFlags.length > 0) return yield* Effect.fail(new Error(`unknown option ${unknownFlags.join(" ")}\n${usage}`))
  const cases = yield* discoverCases
  if (args.includes("--list")) {
    for (const c of cases) console.log(`${c.name.padEnd(12)} ${c.description}`)
    return
  }
  const names = args.filter((a) => !a.startsWith("-"))
  const unknown = names.filter((n) => !cases.some((c) => c.name === n))
  if (unknown.length > 0) {
    return yield* Effect.fail(new Error(`no case named ${unknown.join(", ")}; cases: ${cases.map((c) => c.name).join(", ")}`))
  }
  const selected = names.length === 0 ? cases : cases.filter((c) => names.includes(c.name))

  const machineFacts = machine()
  const startedAt = new Date()
  const runStart = performance.now()
  const progress = new Progress()
  const runScope = yield* Effect.scope
  // Started on first use, so `--list`-like runs and HTTP-only cases do not pay for PostgreSQL.
  const server = yield* Effect.cached(
    Effect.tap(Scope.provide(startServer, runScope), (s) => Effect.sync(() => progress.step(`PostgreSQL (${s.kind}) ready`)))
  )
  let serverFacts: BenchServer | undefined

  const results = new Map<string, CaseResult>()
  const order: Array<string> = []
  const inProgress = new Set<string>()

  const runCase = (benchCase: BenchCase): Effect.Effect<CaseResult> =>
    Effect.suspend(() => {
      const done = results.get(benchCase.name)
      if (done !== undefined) return Effect.succeed(done)
      if (inProgress.has(benchCase.name)) {
        return Effect.die(new Error(`bench case ${benchCase.name} requires itself`))
      }
      inProgress.add(benchCase.name)
      const limit = Duration.seconds(Math.max(60, 3 * (quick ? benchCase.expectedSeconds.quick : benchCase.expectedSeconds.full)))
      const started = performance.now()
      // A case run by `require` from inside another must hand the progress line back when it ends.
      const caller = progress.currentCase
      return Effect.sync(() => progress.setCase(benchCase.name)).pipe(
        Effect.andThen(Effect.scoped(benchCase.run(context))),
        Effect.timeoutOrElse({
          duration: limit,
          orElse: () => Effect.fail(new Error(`stopped after ${Duration.format(limit)} (its time limit)`))
        }),
        Effect.exit,
        Effect.map((exit): CaseResult => {
          const seconds = (performance.now() - started) / 1000
          const base = { name: benchCase.name, description: benchCase.description, seconds }
          return Exit.isSuccess(exit)
            ? { ...base, ok: true, metrics: exit.value.metrics, value: exit.value.value }
            : { ...base, ok: false, metrics: [], error: errorText(exit.cause) }
        }),
        Effect.tap((result) =>
          Effect.sync(() => {
            inProgress.delete(benchCase.name)
            results.set(benchCase.name, result)
            order.push(benchCase.name)
            progress.step(result.ok ? `done in ${result.seconds.toFixed(1)} s` : `FAILED: ${result.error}`)
            progress.setCase(caller)
          })
        )
      )
    })

  const context: BenchContext = {
    quick,
    seconds: (full, quickSeconds) => (quick ? (quickSeconds ?? Math.max(0.5, full / 5)) : full),
    progress,
    database: (label) =>
      Effect.flatMap(server, (s) => {
        serverFacts = s
        return freshDatabase(s, label)
      }),
    receiver: startReceiver,
    require: <A>(benchCase: BenchCase<A>) =>
      Effect.flatMap(runCase(benchCase), (result) =>
        result.ok
          ? Effect.succeed(result.value as A)
          : Effect.fail(new Error(`needs case ${benchCase.name}, which failed: ${result.error}`))
      )
  }

  for (const benchCase of selected) yield* runCase(benchCase)
  progress.finish()

  const ran = order.map((name) => results.get(name)!)
  const rows = rowsOf(ran)
  const totalSeconds = (performance.now() - runStart) / 1000
  const mode = quick ? "quick" : "full"
  console.log(`\nHookline benchmarks (${mode} mode, ${totalSeconds.toFixed(0)} s) on ${machineFacts.cpuModel}, ${machineFacts.cores} cores, Node ${machineFacts.node}\n`)
  console.log(textTable(rows))

  const report = {
    date: startedAt.toISOString(),
    mode,
    totalSeconds: Math.round(totalSeconds * 10) / 10,
    commit: gitCommit(),
    machine: machineFacts,
    postgres: serverFacts === undefined ? undefined : { kind: serverFacts.kind, version: serverFacts.version },
    cases: ran.map((r) => ({
      name: r.name,
      description: r.description,
      ok: r.ok,
      seconds: Math.round(r.seconds * 10) / 10,
      ...(r.error === undefined ? {} : { error: r.error }),
      metrics: r.metrics.map((m) => ({ ...m, ratio: ratioOf(m), met: metOf(m) }))
    }))
  }
  const markdown = [
    `Measured ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC (${mode} mode) on ${machineFacts.cpuModel}, ` +
      `${machineFacts.cores} cores, ${machineFacts.memoryGiB} GiB, Node ${machineFacts.node}` +
      (serverFacts === undefined ? "" : `, ${serverFacts.version.split(" on ")[0]} (${serverFacts.kind})`) +
      `. Every ceiling was measured in the same run; the ratio is the figure to track.`,
    "",
    markdownTable(rows),
    ""
  ].join("\n")
  mkdirSync(resultsDirectory, { recursive: true })
  writeFileSync(`${resultsDirectory}latest.json`, `${JSON.stringify(report, null, 2)}\n`)
  writeFileSync(`${resultsDirectory}latest.md`, markdown)
  console.log(`\nwrote bench/results/latest.json and bench/results/latest.md`)
  const failed = ran.filter((r) => !r.ok).map((r) => r.name)
  if (failed.length > 0) return yield* Effect.fail(new Error(`failed: ${failed.join(", ")}`))
})

const errorText = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.squash(cause)
  return failure instanceof Error ? failure.message : String(failure)
}

NodeRuntime.runMain(main.pipe(Effect.scoped, Effect.provideService(References.MinimumLogLevel, "Warn")))
