import { Cause, Exit, Runtime } from "effect"

/**
 * How a Hookline process exits. SIGINT and SIGTERM interrupt the program, and Effect 4's default teardown
 * reports an interruption as exit code 130 (Effect 3's as 0). A stop by signal whose finalizers ran (attempts
 * in flight finished and recorded) is the graceful stop that process managers expect to end in 0; a failure
 * or defect keeps the default's code 1.
 */
export const gracefulTeardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)
