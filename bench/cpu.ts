/**
 * CPU time of the processes a case runs, from Linux /proc: what a delivery costs whatever the machine's
 * other load, which moves throughput figures by tens of percent between runs but CPU per unit of work
 * much less.
 */
import { readdirSync, readFileSync } from "node:fs"

const ticksPerSecond = 100 // USER_HZ: 100 on every Linux this runs on

/** utime, stime, cutime, cstime of a process, in seconds (zeros when it is gone). */
const times = (pid: number): readonly [number, number, number, number] => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name may hold spaces and parentheses: fields are counted after its closing one.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const at = (field: number) => Number(fields[field - 3]) / ticksPerSecond
    return [at(14), at(15), at(16), at(17)]
  } catch {
    return [0, 0, 0, 0]
  }
}

const parentOf = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
  } catch {
    return undefined
  }
}

const commandOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim()
  } catch {
    return ""
  }
}

/** CPU seconds the process has used so far (its own threads, not its children). */
export const processCpuSeconds = (pid: number): number => {
  const [user, system] = times(pid)
  return user + system
}

const children = (parent: number): Array<number> =>
  readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => parentOf(pid) === parent)

/**
 * CPU seconds used so far by the embedded PostgreSQL this process started: the postmaster, its live
 * backends, and (through the postmaster's child times) the backends that have exited. Undefined when
 * no such server runs (an external DATABASE_URL).
 */
export const postgresCpuSeconds = (): number | undefined => {
  const postmaster = children(process.pid).find((pid) => commandOf(pid) === "postgres")
  if (postmaster === undefined) return undefined
  const [user, system, childUser, childSystem] = times(postmaster)
  let total = user + system + childUser + childSystem
  for (const backend of children(postmaster)) total += processCpuSeconds(backend)
  return total
}
