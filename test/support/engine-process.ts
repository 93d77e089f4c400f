/**
 * The delivery engine as a process of its own, for crash tests: `node --import tsx engine-process.ts`
 * with ENGINE_DATABASE_URL set. Prints "ready" once running; runs until killed.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, Exit, Layer, Runtime } from "effect"
import { engineOn } from "./engine.js"

const url = process.env.ENGINE_DATABASE_URL ?? ""
const program = Layer.launch(
  Layer.effectDiscard(Effect.sync(() => process.stdout.write("ready\n"))).pipe(
    Layer.provideMerge(engineOn(url, { scanIntervalMs: 200, retrySchedule: "1,1,1,1,1" }))
  )
)

/**
 * SIGTERM interrupts the program, and Effect 4's default teardown reports an interruption as exit code
 * 130 (Effect 3's as 0). Here a stop by signal whose finalizers ran is the graceful stop: exit 0.
 */
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)

NodeRuntime.runMain(program, { teardown })
