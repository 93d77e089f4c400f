/**
 * Hookline itself as the benchmarks run it: `node dist/main.js` (what `npm start` runs; `npm run bench` builds
 * it first) in a child process of its own
 * (so its CPU and memory are its own, and a crash cannot take the runner down), on a case's fresh database,
 * listening on 127.0.0.1 only. Plus the few API calls the cases make, over undici, and polling helpers.
 *
 * Set HOOKLINE_BENCH_CPU_PROF=<dir> to have every Hookline child write a V8 CPU profile there when it
 * stops (open it in Chrome DevTools or speedscope), and HOOKLINE_BENCH_NODE_OPTIONS to give the Hookline
 * children (only them) Node options, e.g. `--max-old-space-size=256`.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"
import { Data, Duration, Effect, type Scope } from "effect"
import { Agent, request } from "undici"
import type { BenchDatabase } from "./database.js"
import { isAlive, stopChild } from "./child-process.js"
import { nodeFlags } from "../src/node-flags.js"

export class HooklineFailed extends Data.TaggedError("HooklineFailed")<{ readonly message: string }> {}

const repoRoot = fileURLToPath(new URL("../", import.meta.url))
const mainFile = fileURLToPath(new URL("../dist/main.js", import.meta.url))
const bareServerFile = fileURLToPath(new URL("./bare-server.ts", import.meta.url))
const readyTimeout = Duration.seconds(90)
// A fixed key: secrets at rest are sealed as in production, and bench code that seeds the log directly can seal them too.
export const benchEncryptionKey = Buffer.alloc(32, 7).toString("base64")

export interface ApiResponse {
  readonly status: number
  readonly body: unknown
}

export interface Account {
  readonly accountId: string
  readonly apiKey: string
}

export interface WebhookSpec {
  readonly name: string
  readonly url: string
  readonly events?: ReadonlyArray<string>
  readonly maxConcurrency?: number
  readonly retrySchedule?: ReadonlyArray<number>
}

export interface Hookline {
  readonly pid: number
  readonly origin: string
  readonly adminToken: string
  /** Resident set size of the Hookline process now, in bytes (Linux /proc). */
  readonly rss: Effect.Effect<number, HooklineFailed>
  /** The last lines the process wrote (stdout and stderr), for error messages. */
  readonly logTail: () => string
  readonly call: (method: "GET" | "POST", path: string, body?: unknown, token?: string) => Effect.Effect<ApiResponse, HooklineFailed>
  readonly createAccount: (name: string) => Effect.Effect<Account, HooklineFailed>
  readonly createWebhook: (account: Account, spec: WebhookSpec) => Effect.Effect<string, HooklineFailed>
  /** `POST /v1/events/batch`; fails unless every item is accepted. Resolves to the accepted count. */
  readonly publishBatch: (account: Account, events: ReadonlyArray<unknown>) => Effect.Effect<number, HooklineFailed>
}

const freePort = Effect.callback<number, HooklineFailed>((resume) => {
  const server = createServer()
  server.once("error", (error) => resume(Effect.fail(new HooklineFailed({ message: `no free port: ${error.message}` }))))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})


/** The tail of a stream kept in memory: enough to explain a crash, bounded whatever the process prints. */
const tailOf = (lines: Array<string>, max: number) => (chunk: Buffer) => {
  for (const line of chunk.toString("utf8").split("\n")) {
    if (line.trim() === "") continue
    lines.push(line.slice(0, 500))
    if (lines.length > max) lines.shift()
  }
}

const readRss = (pid: number): Effect.Effect<number, HooklineFailed> =>
  Effect.try({
    try: () => {
      const status = readFileSync(`/proc/${pid}/status`, "utf8")
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
      if (match === null) throw new Error("no VmRSS line")
      return Number(match[1]) * 1024
    },
    catch: (error) => new HooklineFailed({ message: `cannot read the resident memory of ${pid}: ${String(error)}` })
  })

export interface StartOptions {
  readonly database: BenchDatabase
  /** Settings on top of the bench defaults (HOOKLINE_* variables). */
  readonly env?: Readonly<Record<string, string>>
}

interface Launched {
  readonly child: ChildProcess
  readonly origin: string
  readonly logTail: () => string
  readonly call: Hookline["call"]
}

/**
 * A Node child process running `script` (TypeScript through tsx, JavaScript as it is) with PORT set and the
 * V8 flags `npm start` gives Hookline (src/node-flags.ts), alive for the scope, and ready once
 * `GET readyPath` answers 200. Killed by pid when the scope closes, whether the case succeeded or not.
 */
const launch = (
  script: string,
  env: Readonly<Record<string, string>>,
  options: { readonly readyPath: string; readonly ipc: boolean; readonly what: string }
): Effect.Effect<Launched, HooklineFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const port = yield* freePort
    const profileDir = process.env.HOOKLINE_BENCH_CPU_PROF
    const profiling = profileDir !== undefined && profileDir !== ""
    const lines: Array<string> = []
    const { child } = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child = spawn(
          process.execPath,
          [
            ...nodeFlags,
            ...(profiling ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
            ...(script.endsWith(".ts") ? ["--import", "tsx"] : []),
            script
          ],
          {
            cwd: repoRoot,
            stdio: ["ignore", "pipe", "pipe", ...(options.ipc ? (["ipc"] as const) : [])],
            env: { ...process.env, ...env, HOST: "127.0.0.1", PORT: String(port) }
          }
        )
        child.stdout?.on("data", tailOf(lines, 40))
        child.stderr?.on("data", tailOf(lines, 40))
        // A signal can end the runner without running finalizers: never leave the child behind.
        const onExit = () => {
          if (child.pid !== undefined && child.exitCode === null && isAlive(child.pid)) process.kill(child.pid, "SIGKILL")
        }
        process.on("exit", onExit)
        return { child, onExit }
      }),
      ({ child, onExit }) =>
        Effect.andThen(stopChild(child, profiling ? 20_000 : 3_000), Effect.sync(() => process.off("exit", onExit)))
    )
    const origin = `http://127.0.0.1:${port}`
    const logTail = () => lines.slice(-15).join("\n")
    const agent = yield* Effect.acquireRelease(
      Effect.sync(() => new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, connections: 64 })),
      (a) => Effect.promise(() => a.destroy().catch(() => undefined))
    )

    const call = (method: "GET" | "POST", path: string, body?: unknown, token?: string) =>
      Effect.tryPromise({
        try: async (): Promise<ApiResponse> => {
          const headers: Record<string, string> = {}
          if (body !== undefined) headers["content-type"] = "application/json"
          if (token !== undefined) headers.authorization = `Bearer ${token}`
          const response = await request(`${origin}${path}`, {
            method,
            headers,
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            dispatcher: agent
          })
          const text = await response.body.text()
          let parsed: unknown = text
          try {
            parsed = text === "" ? null : JSON.parse(text)
          } catch {
            // Not JSON: kept as text for the error message.
          }
          return { status: response.statusCode, body: parsed }
        },
        catch: (error) =>
          new HooklineFailed({ message: `${method} ${path}: ${String(error)}${child.exitCode === null ? "" : `\n${logTail()}`}` })
      })

    yield* Effect.gen(function* () {
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) {
          return yield* new HooklineFailed({
            message: `${options.what} exited (${child.exitCode ?? child.signalCode}) while starting:\n${logTail()}`
          })
        }
        const ready = yield* Effect.orElseSucceed(call("GET", options.readyPath), () => ({ status: 0, body: null }))
        if (ready.status === 200) return
        yield* Effect.sleep(Duration.millis(100))
      }
    }).pipe(
      Effect.timeoutOrElse({
        duration: readyTimeout,
        orElse: () =>
          Effect.fail(
            new HooklineFailed({ message: `${options.what} was not ready after ${Duration.format(readyTimeout)}:\n${logTail()}` })
          )
      })
    )
    return { child, origin, logTail, call }
  })

export const startHookline = (options: StartOptions): Effect.Effect<Hookline, HooklineFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const adminToken = `bench-admin-${randomBytes(16).toString("hex")}`
    const { child, origin, logTail, call } = yield* launch(
      mainFile,
      {
        DATABASE_URL: options.database.url,
        HOOKLINE_ALLOW_PRIVATE_TARGETS: "true",
        HOOKLINE_ADMIN_TOKEN: adminToken,
        HOOKLINE_LOG_LEVEL: "warn",
        HOOKLINE_ENCRYPTION_KEY: benchEncryptionKey,
        // Every webhook of a case is on the bench's own plan: the plan limit is not what is measured.
        HOOKLINE_PLANS: "scale=200000",
        ...(process.env.HOOKLINE_BENCH_NODE_OPTIONS === undefined ? {} : { NODE_OPTIONS: process.env.HOOKLINE_BENCH_NODE_OPTIONS }),
        ...options.env
      },
      { readyPath: "/readyz", ipc: false, what: "Hookline" }
    )
    const pid = child.pid ?? 0

    const expect = (response: ApiResponse, status: number, what: string) =>
      response.status === status
        ? Effect.succeed(response.body)
        : Effect.fail(
            new HooklineFailed({ message: `${what}: HTTP ${response.status} ${JSON.stringify(response.body).slice(0, 300)}` })
          )

    const createAccount = (name: string) =>
      Effect.gen(function* () {
        const response = yield* call("POST", "/v1/admin/accounts", { name, plan: "scale" }, adminToken)
        const body = yield* expect(response, 201, "create account")
        const accountId = field(body, "id")
        const apiKey = field(body, "apiKey", "key")
        if (typeof accountId !== "string" || typeof apiKey !== "string") {
          return yield* new HooklineFailed({ message: `create account: unexpected answer ${JSON.stringify(body)}` })
        }
        return { accountId, apiKey }
      })

    const createWebhook = (account: Account, spec: WebhookSpec) =>
      Effect.gen(function* () {
        const response = yield* call(
          "POST",
          "/v1/webhooks",
          {
            name: spec.name,
            url: spec.url,
            events: spec.events ?? ["message.created"],
            ...(spec.maxConcurrency === undefined ? {} : { maxConcurrency: spec.maxConcurrency }),
            ...(spec.retrySchedule === undefined ? {} : { retrySchedule: spec.retrySchedule })
          },
          account.apiKey
        )
        const body = yield* expect(response, 201, "create webhook")
        const id = field(body, "id")
        if (typeof id !== "string") return yield* new HooklineFailed({ message: `create webhook: no id in ${JSON.stringify(body)}` })
        return id
      })

    const publishBatch = (account: Account, events: ReadonlyArray<unknown>) =>
      Effect.gen(function* () {
        const response = yield* call("POST", "/v1/events/batch", { events }, account.apiKey)
        const body = yield* expect(response, 200, "publish batch")
        const accepted = field(body, "accepted")
        if (accepted !== events.length) {
          const firstRejected = (field(body, "results") as ReadonlyArray<unknown> | undefined)?.find(
            (r) => field(r, "status") === "rejected"
          )
          return yield* new HooklineFailed({
            message: `publish batch: ${String(accepted)} of ${events.length} accepted; e.g. ${JSON.stringify(firstRejected)}`
          })
        }
        return events.length
      })

    return { pid, origin, adminToken, rss: readRss(pid), logTail, call, createAccount, createWebhook, publishBatch }
  })

/** The ingest case's bare route (bench/bare-server.ts) in its own process: its origin. */
export const startBareServer: Effect.Effect<string, HooklineFailed, Scope.Scope> = Effect.map(
  launch(bareServerFile, {}, { readyPath: "/healthz", ipc: true, what: "the bare server" }),
  (launched) => launched.origin
)

/** `value.a.b` when each step is an object, else undefined: for reading answers without trusting their shape. */
export const field = (value: unknown, ...path: Array<string>): unknown =>
  path.reduce<unknown>((v, key) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[key] : undefined), value)

/**
 * Polls `check` every `intervalMs` until it returns true; fails after `timeout` with `what` and the last
 * state `describe` gives (what was still missing).
 */
export const waitUntil = <E>(
  what: string,
  check: Effect.Effect<boolean, E>,
  options: { readonly timeout: Duration.Input; readonly intervalMs?: number; readonly describe?: () => string }
): Effect.Effect<void, E | HooklineFailed> =>
  Effect.gen(function* () {
    for (;;) {
      if (yield* check) return
      yield* Effect.sleep(Duration.millis(options.intervalMs ?? 50))
    }
  }).pipe(
    Effect.timeoutOrElse({
      duration: options.timeout,
      orElse: () =>
        Effect.fail(
          new HooklineFailed({ message: `timed out waiting for ${what}${options.describe === undefined ? "" : `: ${options.describe()}`}` })
        )
    })
  )

/** `at` for the percentile `p` (0..100) of values sorted ascending. */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index]!
}

/** Runs `work` over `items` with at most `concurrency` at once, as plain promises (the client side of a load). */
export const forEachLimited = <T>(
  items: ReadonlyArray<T>,
  concurrency: number,
  work: (item: T, index: number) => Promise<void>
): Promise<void> => {
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const index = next++
      await work(items[index]!, index)
    }
  }
  return Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane)).then(() => undefined)
}
