/**
 * The delivery engine as a process of its own, for crash tests: `node --import tsx engine-process.ts`
 * with ENGINE_DATABASE_URL set. Prints "ready" once running; runs until killed.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { gracefulTeardown } from "../../src/teardown.js"
import { engineOn } from "./engine.js"

const url = process.env.ENGINE_DATABASE_URL ?? ""
const program = Layer.launch(
  Layer.effectDiscard(Effect.sync(() => process.stdout.write("ready\n"))).pipe(
    Layer.provideMerge(engineOn(url, { scanIntervalMs: 200, retrySchedule: [1, 1, 1, 1, 1] }))
  )
)

NodeRuntime.runMain(program, { teardown: gracefulTeardown })
