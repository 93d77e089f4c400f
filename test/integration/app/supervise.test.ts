import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Ref } from "effect"
import { supervised } from "../../../src/supervise.js"

// Effect 4 has no `Effect.unsandbox`, and `Cause.isInterruptedOnly` became `hasInterruptsOnly`: the loop
// must still come back after failures and defects, and still stop when interrupted.
describe("supervised loops", () => {
  it.live("restart after a defect and after a failure, and answer what the loop answers", () =>
    Effect.gen(function* () {
      const runs = yield* Ref.make(0)
      const loop = Effect.gen(function* () {
        const run = yield* Ref.updateAndGet(runs, (n) => n + 1)
        if (run === 1) return yield* Effect.die(new Error("COMMIT failed"))
        if (run === 2) return yield* Effect.fail("unavailable" as const)
        return run
      })
      expect(yield* supervised("test loop", loop)).toBe(3)
    }))

  it.live("stop when interrupted, without a restart", () =>
    Effect.gen(function* () {
      const runs = yield* Ref.make(0)
      const loop = Effect.andThen(Ref.update(runs, (n) => n + 1), Effect.never)
      const fiber = yield* Effect.forkChild(supervised("test loop", loop))
      yield* Effect.sleep(20)
      yield* Fiber.interrupt(fiber)
      expect(Exit.hasInterrupts(yield* Fiber.await(fiber))).toBe(true)
      yield* Effect.sleep(250)
      expect(yield* Ref.get(runs)).toBe(1)
    }))
})
