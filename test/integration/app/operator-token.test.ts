import { expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Option, Redacted, Result } from "effect"
import { OperatorToken, OperatorTokenLive, operatorTokenStream } from "../../../src/app/operator-token.js"
import { Settings } from "../../../src/config.js"
import { MigrationsLive } from "../../../src/db/migrations.js"
import { EventStore, EventStoreLive } from "../../../src/eventstore/event-store.js"
import { LogNotificationsLive } from "../../../src/eventstore/notifications.js"
import { createTestDatabase } from "../../support/database.js"

/** A "process" on a given database: its own pool, store and token service. */
const processOn = (url: string, adminToken: Option.Option<Redacted.Redacted> = Option.none()) =>
  OperatorTokenLive.pipe(
    Layer.provideMerge(EventStoreLive),
    Layer.provideMerge(LogNotificationsLive),
    Layer.provideMerge(Settings.layerWith({ pollIntervalMs: 200, adminToken })),
    Layer.provideMerge(MigrationsLive.pipe(Layer.provideMerge(PgClient.layer({ url: Redacted.make(url), maxConnections: 3 }))))
  )

const start = <A, E>(layer: Layer.Layer<A, E>) => Effect.flatMap(Effect.scope, (scope) => Layer.buildWithScope(layer, scope))

it.live("generates the operator token once, prints it once, and keeps only its hash in the log", () =>
  Effect.gen(function* () {
    const url = yield* Effect.promise(createTestDatabase)
    const printed: Array<string> = []
    const original = console.log
    console.log = (...args: Array<unknown>) => void printed.push(args.join(" "))
    const [first, second] = yield* Effect.ensuring(
      Effect.all([start(processOn(url)), start(processOn(url))]),
      Effect.sync(() => (console.log = original))
    )
    const tokens = printed.join("\n").match(/hka_[A-Za-z0-9_-]{43}/g) ?? []
    expect(tokens).toHaveLength(1)
    const token = tokens[0]!
    const firstService = Context.get(first, OperatorToken)
    const secondService = Context.get(second, OperatorToken)
    expect(firstService.verify(token)).toBe(true)
    expect(secondService.verify(token)).toBe(true)
    expect(firstService.verify(`${token}x`)).toBe(false)
    expect(firstService.verify("")).toBe(false)

    const events = yield* EventStore.use((store) => store.readStream(operatorTokenStream)).pipe(
      Effect.provide(first)
    )
    expect(events).toHaveLength(1)
    expect(JSON.stringify(events.map((e) => e.data))).not.toContain(token)
    expect(events[0]!.metadata.actor).toEqual({ kind: "system" })
  }))

it.live("HOOKLINE_ADMIN_TOKEN replaces the stored token, and a short one is refused", () =>
  Effect.gen(function* () {
    const url = yield* Effect.promise(createTestDatabase)
    const configured = "my-own-operator-token-1234"
    const ctx = yield* start(processOn(url, Option.some(Redacted.make(configured))))
    const service = Context.get(ctx, OperatorToken)
    expect(service.verify(configured)).toBe(true)
    expect(service.verify("")).toBe(false)
    const short = yield* Effect.result(start(processOn(url, Option.some(Redacted.make("")))))
    expect(Result.isFailure(short)).toBe(true)
  }))
