import { Cause, Effect, Schedule } from "effect"

const backoff = Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced("5 seconds")])

/**
 * Keeps a long-running loop alive: a failure or a defect (a COMMIT that fails when the database goes
 * away surfaces from the SQL client as a defect, which `Effect.retry` alone lets through) is logged and
 * the loop restarted after a backoff. Interruption still stops it.
 */
export const supervised = <A, E, R>(name: string, loop: Effect.Effect<A, E, R>) =>
  loop.pipe(
    Effect.sandbox,
    Effect.tapError((cause) =>
      Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logWarning(`${name} failed; restarting`, cause)
    ),
    Effect.retry({ schedule: backoff, while: (cause): boolean => !Cause.hasInterruptsOnly(cause) }),
    // Effect 4 has no `unsandbox`: the cause goes back into the failure channel as it was.
    Effect.catch(Effect.failCause)
  )
