/**
 * What a benchmark case is, what it reports, and the timed loops every case measures with.
 *
 * A case is one file under bench/cases/ whose default export is a `BenchCase` (write it with
 * `defineCase`); bench/run.ts finds it there, nothing else to register. It gets a fresh database from
 * `ctx.database`, a receiver process from `ctx.receiver`, the ceilings from
 * `ctx.require(ceiling)` (import the default export of ./cases/ceiling.js), and measures with
 * `loopPromise` (raw code) or `loopEffect` (Hookline code), ideally in `abba` order against its ceiling. Figures are only comparable within one run on one machine, so a figure that has a ceiling
 * carries it, measured in the same run, and the ratio is what targets are set on.
 */
import { performance } from "node:perf_hooks"
import { Effect, type Scope } from "effect"
import type { BenchDatabase } from "./database.js"
import type { Receiver, ReceiverFailed } from "./receiver-launcher.js"
import type { ReceiverConfig } from "./receiver-protocol.js"

export type Target =
  /** value / ceiling must reach `ratio`. */
  | { readonly kind: "ratioAtLeast"; readonly ratio: number }
  /** For latencies and memory: the value itself must stay at or under `value`. */
  | { readonly kind: "atMost"; readonly value: number }
  | { readonly kind: "atLeast"; readonly value: number }

export interface Metric {
  readonly name: string
  readonly value: number
  /** Per-second units read "events/s", "rows/s", "requests/s"; others "ms", "MB". */
  readonly unit: string
  /** The machine's limit for the same work, measured in this run, in the same unit. */
  readonly ceiling?: { readonly name: string; readonly value: number }
  readonly target?: Target
  readonly note?: string
}

export interface CaseOutput<A> {
  readonly metrics: ReadonlyArray<Metric>
  /** What other cases may use (through `BenchContext.require`), e.g. the ceilings. */
  readonly value: A
}

export interface BenchCase<A = unknown> {
  readonly name: string
  readonly description: string
  /** Cases run in ascending order; those others depend on come first. */
  readonly order: number
  /** About how long the case takes; the runner stops it at 3 times this (and at least 60 s). */
  readonly expectedSeconds: { readonly full: number; readonly quick: number }
  readonly run: (ctx: BenchContext) => Effect.Effect<CaseOutput<A>, unknown, Scope.Scope>
}

export interface BenchContext {
  readonly quick: boolean
  /** A measurement's length: `full` seconds, or `quick` (default: a fifth, at least 0.5 s) with --quick. */
  readonly seconds: (full: number, quick?: number) => number
  readonly progress: Progress
  /** A fresh, migrated database on the run's PostgreSQL, dropped when the scope closes. */
  readonly database: (label: string) => Effect.Effect<BenchDatabase, unknown, Scope.Scope>
  /** A receiver process for the life of the scope. */
  readonly receiver: (config?: ReceiverConfig) => Effect.Effect<Receiver, ReceiverFailed, Scope.Scope>
  /** Another case's value from this run, running it first when it has not run yet (e.g. the ceilings). */
  readonly require: <A>(benchCase: BenchCase<A>) => Effect.Effect<A, unknown>
}

export const defineCase = <A>(benchCase: BenchCase<A>): BenchCase<A> => benchCase

export const isBenchCase = (value: unknown): value is BenchCase =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { name?: unknown }).name === "string" &&
  typeof (value as { run?: unknown }).run === "function"

// Progress ---------------------------------------------------------------------------------------------

/**
 * One status line on stderr. On a terminal it is redrawn in place with the live rate; in a log (CI) each
 * step is one line, so the log stays short.
 */
export class Progress {
  private readonly tty = process.stderr.isTTY === true
  private prefix = "[bench]"
  private drawn = false
  currentCase = ""

  setCase(name: string) {
    this.currentCase = name
    this.prefix = name === "" ? "[bench]" : `[bench] ${name}`
  }

  step(text: string) {
    this.write(`${this.prefix} › ${text}`, !this.tty)
  }

  /** A live line while `measure` runs (terminal only), then the step's result. */
  live(text: string, status: () => string) {
    if (!this.tty) {
      this.step(text)
      return { done: (result: string) => this.write(`${this.prefix} › ${text}: ${result}`, true) }
    }
    const timer = setInterval(() => this.write(`${this.prefix} › ${text} ${status()}`, false), 250)
    this.write(`${this.prefix} › ${text}`, false)
    return {
      done: (result: string) => {
        clearInterval(timer)
        this.write(`${this.prefix} › ${text}: ${result}`, false)
      }
    }
  }

  /** Ends the live line so normal output starts on a fresh line. */
  finish() {
    if (this.tty && this.drawn) process.stderr.write("\n")
    this.drawn = false
  }

  private write(line: string, newline: boolean) {
    if (this.tty) {
      const width = process.stderr.columns ?? 120
      process.stderr.write(`\r\x1b[2K${line.slice(0, width - 1)}${newline ? "\n" : ""}`)
      this.drawn = !newline
    } else {
      process.stderr.write(`${line}\n`)
    }
  }
}

// Timed loops ------------------------------------------------------------------------------------------

export interface Throughput {
  /** Units (rows, events, requests) completed in the measured window. */
  readonly units: number
  /** Operations (statements, transactions, requests) completed in the measured window. */
  readonly ops: number
  readonly seconds: number
  readonly perSecond: number
}

export interface LoopOptions {
  readonly label: string
  readonly unit: string
  readonly concurrency: number
  readonly seconds: number
  /** Run this long first and count nothing: connections open, the JIT warms, caches fill. */
  readonly warmupSeconds?: number
  /** Stop early at this many units, so a surprisingly fast machine cannot run away with memory or disk. */
  readonly maxUnits?: number
}

export const formatRate = (perSecond: number, unit: string) =>
  `${Math.round(perSecond).toLocaleString("en-US")} ${unit}/s`

/**
 * The deadline bookkeeping shared by the promise and Effect loops. Operations finishing after the
 * warm-up are counted (one in flight per loop straddles it: negligible against thousands), and the
 * window ends when the last loop has finished its last operation, so no work is counted without its time.
 */
class Window {
  readonly start = performance.now()
  readonly measureFrom: number
  readonly deadline: number
  units = 0
  ops = 0
  stopped = false

  constructor(private readonly options: LoopOptions) {
    this.measureFrom = this.start + (options.warmupSeconds ?? 0) * 1000
    this.deadline = this.measureFrom + options.seconds * 1000
  }

  get running(): boolean {
    return !this.stopped && performance.now() < this.deadline && this.units < (this.options.maxUnits ?? Infinity)
  }

  record(units: number) {
    if (performance.now() >= this.measureFrom) {
      this.units += units
      this.ops++
    }
  }

  status(): string {
    const now = performance.now()
    if (now < this.measureFrom) return "(warming up)"
    const elapsed = (now - this.measureFrom) / 1000
    return `${elapsed.toFixed(1)}/${this.options.seconds}s ${formatRate(this.units / Math.max(elapsed, 0.001), this.options.unit)}`
  }

  result(): Throughput {
    const seconds = Math.max((performance.now() - this.measureFrom) / 1000, 0.001)
    return { units: this.units, ops: this.ops, seconds, perSecond: this.units / seconds }
  }
}

/**
 * `concurrency` loops, each calling `op(worker)` back to back until the time is up; `op` resolves to the
 * units it completed. Plain promises with no Effect in between: this is how the raw ceilings are measured.
 */
export const loopPromise = (
  progress: Progress,
  options: LoopOptions,
  op: (worker: number) => Promise<number>
): Effect.Effect<Throughput, unknown> =>
  Effect.suspend(() => {
    const window = new Window(options)
    const line = progress.live(options.label, () => window.status())
    const loop = async (worker: number) => {
      while (window.running) window.record(await op(worker))
    }
    return Effect.tryPromise({
      try: () =>
        Promise.all(Array.from({ length: options.concurrency }, (_, w) => loop(w))).catch((error: unknown) => {
          window.stopped = true
          throw error
        }),
      catch: (error) => error
    }).pipe(
      Effect.onInterrupt(() => Effect.sync(() => (window.stopped = true))),
      Effect.map(() => window.result()),
      Effect.tap((r) => Effect.sync(() => line.done(formatRate(r.perSecond, options.unit)))),
      Effect.onError(() => Effect.sync(() => line.done("failed")))
    )
  })

/** The same loops for an operation that is an Effect (the code under test runs in the Effect runtime). */
export const loopEffect = <E, R>(
  progress: Progress,
  options: LoopOptions,
  op: (worker: number) => Effect.Effect<number, E, R>
): Effect.Effect<Throughput, E, R> =>
  Effect.suspend(() => {
    const window = new Window(options)
    const line = progress.live(options.label, () => window.status())
    const loop = (worker: number) =>
      Effect.whileLoop({
        while: () => window.running,
        body: () => op(worker),
        step: (units) => window.record(units)
      })
    return Effect.forEach(Array.from({ length: options.concurrency }, (_, w) => w), loop, {
      concurrency: "unbounded",
      discard: true
    }).pipe(
      Effect.map(() => window.result()),
      Effect.tap((r) => Effect.sync(() => line.done(formatRate(r.perSecond, options.unit)))),
      Effect.onError(() => Effect.sync(() => line.done("failed")))
    )
  })

/** Adds up measurements of the same thing taken in parts (see `abba`). */
export const combine = (parts: ReadonlyArray<Throughput>): Throughput => {
  const units = parts.reduce((n, p) => n + p.units, 0)
  const ops = parts.reduce((n, p) => n + p.ops, 0)
  const seconds = parts.reduce((n, p) => n + p.seconds, 0)
  return { units, ops, seconds, perSecond: units / Math.max(seconds, 0.001) }
}

/**
 * Measures `a` and `b` in the order a, b, b, a (repeated `rounds` times), each part an equal share of the
 * time. The machine is shared and tables grow as they are written, so whichever ran second would
 * otherwise carry the drift; in this order a linear drift falls on both alike, and more rounds spread a
 * neighbour's burst of load over both sides.
 */
export const abba = <E, R>(
  a: (part: number, parts: number) => Effect.Effect<Throughput, E, R>,
  b: (part: number, parts: number) => Effect.Effect<Throughput, E, R>,
  rounds = 1
): Effect.Effect<{ readonly a: Throughput; readonly b: Throughput }, E, R> =>
  Effect.gen(function* () {
    const parts = 2 * rounds
    const as: Array<Throughput> = []
    const bs: Array<Throughput> = []
    for (let round = 0; round < rounds; round++) {
      as.push(yield* a(2 * round + 1, parts))
      bs.push(yield* b(2 * round + 1, parts))
      bs.push(yield* b(2 * round + 2, parts))
      as.push(yield* a(2 * round + 2, parts))
    }
    return { a: combine(as), b: combine(bs) }
  })
