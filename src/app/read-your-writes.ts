import { Context, Duration, Effect, Layer } from "effect"
import { Settings } from "../config.js"
import { LogPosition } from "../eventstore/types.js"
import { ProjectionRunner } from "../projections/runner.js"

export interface ReadYourWritesShape {
  /**
   * Waits until every named read model has applied the log up to `position`, so the caller's next read
   * sees its own write. A read model that is too slow does not fail the command (the write is durable
   * already); it is logged, and the answer goes out.
   */
  readonly awaitWrite: (
    position: LogPosition | undefined,
    projections: ReadonlyArray<string>
  ) => Effect.Effect<void>
}

export class ReadYourWrites extends Context.Service<ReadYourWrites, ReadYourWritesShape>()("hookline/ReadYourWrites") {
  static readonly layer = Layer.effect(
    ReadYourWrites,
    Effect.gen(function* () {
      const runner = yield* ProjectionRunner
      const settings = yield* Settings
      const timeout = Duration.millis(settings.readYourWritesTimeoutMs)
      return ReadYourWrites.of({
        awaitWrite: (position, projections) =>
          position === undefined
            ? Effect.void
            : Effect.forEach(
                projections,
                (name) =>
                  Effect.flatMap(runner.awaitPosition(name, position, timeout), (reached) =>
                    reached
                      ? Effect.void
                      : Effect.logWarning(
                          `read model ${name} did not reach ${LogPosition.format(position)} within ${settings.readYourWritesTimeoutMs} ms`
                        )
                  ),
                { concurrency: "unbounded", discard: true }
              )
      })
    })
  )
}
