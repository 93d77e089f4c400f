/**
 * Hookline as the operator runs it, `node --import tsx src/main.ts`, as a child process the harness can
 * kill. Its output is kept (every line of every process of a run) so tests can search it for secrets.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { appendFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { sleep } from "./util.js"

const root = fileURLToPath(new URL("../../", import.meta.url))

export interface HooklineOptions {
  readonly databaseUrl: string
  readonly port: number
  readonly adminToken: string
  /** Extra environment, e.g. a short retry schedule or a low delivery timeout. */
  readonly env?: Record<string, string>
  /** Also append the output to this file (`CHAOS_LOG_DIR`), to read after a failed run. */
  readonly logFile?: string | undefined
}

export interface HooklineProcess {
  readonly pid: number
  readonly baseUrl: string
  readonly child: ChildProcess
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly alive: () => boolean
}

export interface HooklineLauncher {
  readonly start: () => Promise<HooklineProcess>
  /** Everything every process of this launcher wrote to stdout and stderr. */
  readonly output: () => string
  readonly current: () => HooklineProcess | undefined
  /** SIGKILLs the current process if it still runs (the harness's cleanup). */
  readonly kill: () => Promise<void>
}

/** Output beyond this is dropped from the front: a long run must not grow the harness without bound. */
const maxOutput = 64 * 1024 * 1024

export const hooklineLauncher = (options: HooklineOptions): HooklineLauncher => {
  let output = ""
  let current: HooklineProcess | undefined
  const baseUrl = `http://127.0.0.1:${options.port}`

  const start = async (): Promise<HooklineProcess> => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        DATABASE_URL: options.databaseUrl,
        HOST: "127.0.0.1",
        PORT: String(options.port),
        HOOKLINE_ADMIN_TOKEN: options.adminToken,
        HOOKLINE_ALLOW_PRIVATE_TARGETS: "true",
        HOOKLINE_LOG_LEVEL: "info",
        ...options.env
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const append = (chunk: Buffer) => {
      output += chunk.toString()
      if (options.logFile !== undefined) appendFileSync(options.logFile, chunk)
      if (output.length > maxOutput) output = output.slice(output.length - maxOutput)
    }
    child.stdout?.on("data", append)
    child.stderr?.on("data", append)
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal }))
    )
    const process_: HooklineProcess = {
      pid: child.pid ?? -1,
      baseUrl,
      child,
      exited,
      alive: () => child.exitCode === null && child.signalCode === null
    }
    current = process_
    // Ready when /readyz says so: database reached, migrations applied, projections caught up.
    const deadline = Date.now() + 90_000
    while (Date.now() < deadline) {
      if (!process_.alive()) throw new Error(`hookline exited before it was ready: ${output.slice(-4000)}`)
      try {
        const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) })
        await response.arrayBuffer()
        if (response.status === 200) return process_
      } catch {
        // Not listening yet.
      }
      await sleep(100)
    }
    child.kill("SIGKILL")
    throw new Error(`hookline was not ready within 90 s: ${output.slice(-4000)}`)
  }

  const kill = async () => {
    if (current !== undefined && current.alive()) {
      current.child.kill("SIGKILL")
      await current.exited
    }
  }

  return { start, output: () => output, current: () => current, kill }
}
