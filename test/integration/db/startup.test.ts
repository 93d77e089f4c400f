import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { migrate } from "../../../src/db/migrations.js"
import { createTestDatabase } from "../../support/database.js"

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

interface Run {
  readonly output: () => string
  readonly exited: Promise<number | null>
  readonly kill: (signal: NodeJS.Signals) => void
}

/**
 * `npm start` as a user runs it, with an embedded database: the build, then Hookline. Signals go to the
 * npm process, as a service manager or a terminal would send them: they must reach Hookline (an npm
 * script without `exec` left it running behind a dead shell).
 */
const start = (dataDir: string, port: number): Run => {
  const { DATABASE_URL: _external, ...env } = process.env
  // Under `npm test`, the same npm; otherwise the one on the PATH.
  const npm = process.env.npm_execpath
  const [command, args] = npm !== undefined && npm.endsWith(".js")
    ? [process.execPath, [npm, "start", "--silent"]]
    : ["npm", ["start", "--silent"]]
  const child = spawn(command, args, {
    env: { ...env, HOOKLINE_DATA_DIR: dataDir, PORT: String(port), HOOKLINE_ADMIN_TOKEN: "hka_startup-test-token-0123456789" },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout.on("data", (c: Buffer) => (output += c.toString()))
  child.stderr.on("data", (c: Buffer) => (output += c.toString()))
  return {
    output: () => output,
    exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
    kill: (signal) => child.kill(signal)
  }
}

const waitFor = async (check: () => boolean, timeout: number) => {
  const deadline = Date.now() + timeout
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  return check()
}

describe("start-up", () => {
  it("refuses a second Hookline on the same data dir, keeps data across restarts, and stops cleanly", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "hookline-startup-"))
    try {
      const port = await freePort()
      const first = start(dataDir, port)
      expect(await waitFor(() => first.output().includes("Listening on"), 60_000)).toBe(true)
      expect(first.output()).toContain("applied migrations")
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
      expect(ready.status).toBe(200)

      const second = start(dataDir, await freePort())
      // Exits by itself, refused: the build before it is quick the second time (incremental).
      expect(await second.exited).not.toBe(0)
      expect(second.output()).toMatch(/another Hookline \(pid \d+\) is using the data directory/)

      first.kill("SIGTERM")
      expect(await first.exited).toBe(0)

      // Data kept: the restart finds its migrations applied and the cluster initialised.
      const again = start(dataDir, await freePort())
      expect(await waitFor(() => again.output().includes("Listening on"), 60_000)).toBe(true)
      expect(again.output()).not.toContain("applied migrations")
      again.kill("SIGTERM")
      expect(await again.exited).toBe(0)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 150_000)

  it("a port in use stops it at once, before PostgreSQL or a token: exit 1 and one JSON log line", async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), "hookline-port-")), "data")
    const taken = createServer()
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, "127.0.0.1", () => {
        const address = taken.address()
        resolve(typeof address === "object" && address !== null ? address.port : 0)
      })
    )
    try {
      const run = start(dataDir, port)
      expect(await run.exited).toBe(1)
      const lines = run.output().trim().split("\n")
      expect(lines).toHaveLength(1)
      const line = JSON.parse(lines[0]!) as { message: string; logLevel: string }
      expect(line.logLevel).toBe("FATAL")
      expect(line.message).toBe(`Hookline stopped: 127.0.0.1:${port} is already in use: stop what listens there, or set HOST and PORT`)
      // Nothing was started: no data directory, so no PostgreSQL and no stored token.
      expect(existsSync(dataDir)).toBe(false)
    } finally {
      taken.close()
      rmSync(path.dirname(dataDir), { recursive: true, force: true })
    }
  }, 120_000)

  it.live("migrations run safely twice and from several connections at once", () =>
    Effect.gen(function* () {
      const url = yield* Effect.promise(createTestDatabase)
      const layer = PgClient.layer({ url: Redacted.make(url), maxConnections: 6 })
      const results = yield* Effect.all([migrate(), migrate(), migrate()], { concurrency: "unbounded" }).pipe(
        Effect.provide(layer)
      )
      expect(results.map((applied) => applied.length).sort()).toEqual([0, 0, results.flat().length])
      const again = yield* migrate().pipe(Effect.provide(layer))
      expect(again).toHaveLength(0)
      const count = yield* Effect.flatMap(PgClient.PgClient, (sql) =>
        sql<{ n: string }>`SELECT count(*)::text AS n FROM hookline_migrations`
      ).pipe(Effect.provide(layer))
      expect(Number(count[0]!.n)).toBe(results.flat().length)
    }).pipe(Effect.scoped))
})
