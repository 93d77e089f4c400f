import type { ChildProcess } from "node:child_process"
import { Effect } from "effect"

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Ends a child we started, by its pid: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export const stopChild = (child: ChildProcess, graceMs: number) =>
  Effect.callback<void>((resume) => {
    const pid = child.pid
    if (pid === undefined || child.exitCode !== null || child.signalCode !== null || !isAlive(pid)) {
      resume(Effect.void)
      return
    }
    const hard = setTimeout(() => {
      if (isAlive(pid)) process.kill(pid, "SIGKILL")
    }, graceMs)
    child.once("exit", () => {
      clearTimeout(hard)
      resume(Effect.void)
    })
    process.kill(pid, "SIGTERM")
  })
