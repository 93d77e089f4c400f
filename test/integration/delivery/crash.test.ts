import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, Redacted } from "effect"
import { spawn, type ChildProcess } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Settings } from "../../../src/config.js"
import { MigrationsLive } from "../../../src/db/migrations.js"
import { EventStoreLive } from "../../../src/eventstore/event-store.js"
import { LogNotificationsLive } from "../../../src/eventstore/notifications.js"
import { createTestDatabase } from "../../support/database.js"
import { createWebhook, publish } from "../../support/delivery.js"
import { receiver } from "./receiver.js"

const script = fileURLToPath(new URL("../../support/engine-process.ts", import.meta.url))

/** Starts the engine as a child process and waits for it to say it is ready. */
const startEngine = (url: string) =>
  Effect.acquireRelease(
    Effect.callback<ChildProcess>((resume) => {
      const child = spawn(process.execPath, ["--import", "tsx", script], {
        env: { ...process.env, ENGINE_DATABASE_URL: url, HOOKLINE_LOG_LEVEL: "warn" },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let errors = ""
      child.stderr?.on("data", (chunk: Buffer) => {
        errors = (errors + chunk.toString()).slice(-4000)
      })
      child.stdout?.on("data", (chunk: Buffer) => {
        errors = (errors + chunk.toString()).slice(-4000)
        if (chunk.toString().includes("ready")) resume(Effect.succeed(child))
      })
      child.on("exit", (code) => resume(Effect.die(new Error(`engine exited before it was ready (${code}): ${errors}`))))
    }),
    (child) => Effect.sync(() => child.kill("SIGKILL"))
  )

/** An event store of the test's own on the engine's database, to set up and to inspect. */
const clientOn = (url: string) =>
  EventStoreLive.pipe(
    Layer.provideMerge(LogNotificationsLive),
    Layer.provideMerge(Settings.layerWith({ allowPrivateTargets: true })),
    Layer.provideMerge(MigrationsLive),
    Layer.provideMerge(PgClient.layer({ url: Redacted.make(url), maxConnections: 4 }))
  )

describe("crash recovery", () => {
  it.live(
    "kill -9 in the middle of thousands of deliveries: after a restart every event arrives, none lost",
    () =>
      Effect.gen(function* () {
        const url = yield* Effect.promise(createTestDatabase)
        const client = clientOn(url)
        const received = new Map<string, number>()
        const target = yield* receiver((request, res) => {
          const key = `${request.url}|${String(request.headers["webhook-id"])}`
          received.set(key, (received.get(key) ?? 0) + 1)
          // A little latency keeps attempts in flight at the kill.
          setTimeout(() => {
            res.writeHead(200)
            res.end()
          }, 2)
        })
        const ids = yield* Effect.gen(function* () {
          yield* createWebhook({ url: `${target.url}/one` })
          yield* createWebhook({ url: `${target.url}/two` })
          return yield* publish(1500)
        }).pipe(Effect.provide(client))
        const expected = ids.length * 2

        const first = yield* Effect.scoped(
          Effect.gen(function* () {
            const child = yield* startEngine(url)
            for (let i = 0; i < 400 && received.size < expected / 3; i++) yield* Effect.sleep(Duration.millis(25))
            child.kill("SIGKILL")
            return received.size
          })
        )
        expect(first).toBeLessThan(expected)

        yield* startEngine(url)
        for (let i = 0; i < 1200 && received.size < expected; i++) yield* Effect.sleep(Duration.millis(50))
        const missing = ids.flatMap((id) => ["/one", "/two"].filter((path) => !received.has(`${path}|${id}`)))
        expect(missing).toEqual([])
        expect(received.size).toBe(expected)
        const twice = [...received.values()].filter((n) => n > 1).length
        // Only what was in flight at the kill may arrive twice.
        expect(twice).toBeLessThan(500)
        console.log(`crash test: ${expected} deliveries, ${first} before the kill, ${twice} delivered twice`)
      }),
    120_000
  )
})

describe("graceful stop", () => {
  it.live(
    "SIGTERM waits for the attempts in flight, records them, exits 0; a restart repeats nothing recorded",
    () =>
      Effect.gen(function* () {
        const url = yield* Effect.promise(createTestDatabase)
        const client = clientOn(url)
        const received = new Map<string, number>()
        const target = yield* receiver((request, res) => {
          const id = String(request.headers["webhook-id"])
          received.set(id, (received.get(id) ?? 0) + 1)
          setTimeout(() => {
            res.writeHead(200)
            res.end()
          }, 300)
        })
        const ids = yield* Effect.gen(function* () {
          yield* createWebhook({ url: target.url, maxConcurrency: 5 })
          return yield* publish(40)
        }).pipe(Effect.provide(client))

        const child = yield* startEngine(url)
        for (let i = 0; i < 200 && received.size < 8; i++) yield* Effect.sleep(Duration.millis(20))
        const exited = yield* Effect.callback<number | null>((resume) => {
          child.on("exit", (code) => resume(Effect.succeed(code)))
          child.kill("SIGTERM")
        })
        expect(exited).toBe(0)
        const sentBeforeStop = received.size
        const recorded = yield* Effect.gen(function* () {
          const sql = yield* PgClient.PgClient
          const rows = yield* sql<{ n: string }>`SELECT count(*)::text AS n FROM events WHERE event_type = 'AttemptSucceeded'`
          return Number(rows[0]!.n)
        }).pipe(Effect.provide(client))
        // Every request that reached the receiver before the stop was recorded.
        expect(recorded).toBe(sentBeforeStop)

        yield* startEngine(url)
        for (let i = 0; i < 600 && received.size < ids.length; i++) yield* Effect.sleep(Duration.millis(50))
        expect(received.size).toBe(ids.length)
        expect([...received.values()].every((n) => n === 1)).toBe(true)
      }),
    120_000
  )
})
