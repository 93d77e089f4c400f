import { Duration, Effect } from "effect"

/** Polls `probe` until `check` holds or `timeout` ms pass, then returns its last value for the assertion. */
export const eventually = <A, E, R>(probe: Effect.Effect<A, E, R>, check: (a: A) => boolean, timeout = 20_000) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeout
    for (;;) {
      const value = yield* probe
      if (check(value) || Date.now() > deadline) return value
      yield* Effect.sleep(Duration.millis(50))
    }
  })

/** The same for tests written with promises: `probe` may answer a value or a promise of one. */
export const eventuallyAsync = async <A>(
  probe: () => Promise<A> | A,
  check: (a: A) => boolean,
  timeout = 15_000
): Promise<A> => {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = await probe()
    if (check(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
