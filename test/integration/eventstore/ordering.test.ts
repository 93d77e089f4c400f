import { expect, layer } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Context, Deferred, Duration, Effect, Fiber, Layer, Scope, Stream } from "effect"
import { Settings } from "../../../src/config.js"
import { EventStore, EventStoreLive } from "../../../src/eventstore/event-store.js"
import { LogNotifications, LogNotificationsLive } from "../../../src/eventstore/notifications.js"
import { LogPosition, type RecordedEvent } from "../../../src/eventstore/types.js"
import { TestDatabase } from "../../support/database.js"
import { eventually } from "../../support/eventually.js"

const appendSql = (stream: string, id: string) =>
  `SELECT * FROM append_events('[{"stream":"${stream}","expected":-1,"events":[{"id":"${id}","type":"T","data":{}}]}]'::jsonb)`

/**
 * A reader that checkpoints on the global position alone, as Emmett did until 2026. Kept here to prove
 * the ordering test can fail.
 */
const positionOnlyRead = (sql: PgClient.PgClient, after: bigint) =>
  sql.unsafe<{ event_id: string; global_position: string }>(
    "SELECT event_id, global_position::text AS global_position FROM events WHERE global_position > $1 ORDER BY global_position",
    [after.toString()]
  )

/**
 * Runs `work` in a transaction that stays open (holding the snapshot's xmin back) until `commit` is run;
 * returns once `work` has run. (A transaction holds one connection for its whole life.)
 */
const heldOpen = <E>(sql: PgClient.PgClient, work: Effect.Effect<unknown, E>) =>
  Effect.gen(function* () {
    const ran = yield* Deferred.make<void>()
    const mayCommit = yield* Deferred.make<void>()
    const transaction = yield* Effect.forkChild(
      sql.withTransaction(Effect.andThen(work, Effect.andThen(Deferred.succeed(ran, undefined), Deferred.await(mayCommit))))
    )
    // A `work` that fails ends the transaction before `ran`: fail here rather than wait for ever.
    yield* Effect.raceFirst(Deferred.await(ran), Fiber.join(transaction))
    return { commit: Effect.andThen(Deferred.succeed(mayCommit, undefined), Fiber.join(transaction)) }
  })

// Long poll interval: anything arriving quickly proves the NOTIFY path.
const SlowPoll = Settings.layerWith({ pollIntervalMs: 30_000 })

const Store = EventStoreLive.pipe(
  Layer.provideMerge(LogNotificationsLive),
  Layer.provideMerge(SlowPoll),
  Layer.provideMerge(TestDatabase({ maxConnections: 20 }))
)

/**
 * A second event store on the same database, as another process would have: its appends reach this
 * one's subscribers only through NOTIFY.
 */
const otherProcess = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const scope = yield* Scope.Scope
  const layer = EventStoreLive.pipe(
    Layer.provideMerge(LogNotificationsLive),
    Layer.provideMerge(SlowPoll),
    Layer.provideMerge(PgClient.layer({ url: sql.config.url!, maxConnections: 2 }))
  )
  const context = yield* Layer.buildWithScope(layer, scope)
  return Context.get(context, EventStore)
})

layer(Store, { excludeTestServices: true })("event store: ordering and subscriptions", (it) => {
  it.effect("an out-of-order commit: the position-only reader loses it, readAll does not", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const sql = yield* PgClient.PgClient
      const start = yield* store.head
      // Transaction A draws the lower position but commits last.
      const transactionA = yield* heldOpen(sql, sql.unsafe(appendSql("gap-a", "gap-event-a")))
      yield* sql.unsafe(appendSql("gap-b", "gap-event-b"))

      const naiveFirst = yield* positionOnlyRead(sql, 0n)
      const naiveCheckpoint = BigInt(naiveFirst[naiveFirst.length - 1]!.global_position)
      const safeFirst = yield* store.readAll(start, 100)
      expect(safeFirst.map((e) => e.eventId)).not.toContain("gap-event-b") // held back behind A

      yield* transactionA.commit
      const naiveSecond = yield* positionOnlyRead(sql, naiveCheckpoint)
      const naiveSeen = [...naiveFirst, ...naiveSecond].map((r) => r.event_id)
      expect(naiveSeen).not.toContain("gap-event-a") // lost for ever by a position-only checkpoint

      // xmin is cluster-wide: another test's open transaction may hold the reader back for a moment,
      // never make it skip. Read until both arrived.
      const safeSeen = safeFirst.map((e) => e.eventId)
      let cursor = safeFirst.length > 0 ? safeFirst[safeFirst.length - 1]!.position : start
      for (let tries = 0; tries < 500 && safeSeen.filter((id) => id.startsWith("gap-event")).length < 2; tries++) {
        const next = yield* store.readAll(cursor, 100)
        if (next.length > 0) cursor = next[next.length - 1]!.position
        else yield* Effect.sleep(Duration.millis(10))
        safeSeen.push(...next.map((e) => e.eventId))
      }
      expect(safeSeen.filter((id) => id.startsWith("gap-event"))).toEqual(["gap-event-a", "gap-event-b"])
    }))

  it.effect("many writers committing out of order, some rolling back: every committed event once, in order", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const sql = yield* PgClient.PgClient
      const start = yield* store.head
      const writers = 8
      const perWriter = 60
      const committed = new Set<string>()

      const writer = (w: number) =>
        Effect.gen(function* () {
          for (let i = 0; i < perWriter; i++) {
            const id = `w${w}-${i}`
            const rollback = i % 7 === 3
            const outcome = yield* sql
              .withTransaction(
                Effect.gen(function* () {
                  yield* sql.unsafe(appendSql(`writer-${w}-${i % 3}`, id))
                  // Hold the transaction a little so positions commit out of order across writers.
                  yield* Effect.sleep(Duration.millis(Math.floor(Math.random() * 4)))
                  if (rollback) yield* Effect.fail("rollback" as const)
                })
              )
              .pipe(Effect.result)
            if (outcome._tag === "Success") committed.add(id)
          }
        })

      const done = yield* Deferred.make<void>()
      const seen: Array<RecordedEvent> = []
      const reader = yield* Effect.forkChild(
        Effect.gen(function* () {
          let cursor = start
          // Reads until the writers are done and every committed event has been seen (bounded): other
          // test files hold transactions open on the same cluster, so the last commits can take a moment
          // to become readable. The assertions below say whether what was read is exactly right.
          const deadline = Date.now() + 20_000
          const seenIds = new Set<string>()
          const caughtUp = () => [...committed].every((id) => seenIds.has(id))
          while (Date.now() < deadline && !((yield* Deferred.isDone(done)) && caughtUp())) {
            const batch = yield* store.readAll(cursor, 17)
            if (batch.length > 0) {
              seen.push(...batch)
              for (const event of batch) seenIds.add(event.eventId)
              cursor = batch[batch.length - 1]!.position
            } else {
              yield* Effect.sleep(Duration.millis(2))
            }
          }
          // Anything after the last commit would be a phantom: one more read to catch it.
          yield* Effect.sleep(Duration.millis(50))
          seen.push(...(yield* store.readAll(cursor, 1000)))
        })
      )
      yield* Effect.all(Array.from({ length: writers }, (_, w) => writer(w)), { concurrency: "unbounded" })
      yield* Deferred.succeed(done, undefined)
      yield* Fiber.join(reader)

      const ids = seen.map((e) => e.eventId).filter((id) => /^w\d+-\d+$/.test(id))
      expect(new Set(ids).size).toBe(ids.length) // exactly once
      expect(new Set(ids)).toEqual(committed) // every committed event, nothing rolled back
      for (let i = 1; i < seen.length; i++) {
        expect(LogPosition.compare(seen[i - 1]!.position, seen[i]!.position)).toBeLessThan(0)
      }
    }))

  it.effect("a typed read returns only its types, in log order, page by page, and reaches the head past the rest", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const sql = yield* PgClient.PgClient
      const start = yield* store.head
      const run = `tr${Date.now()}`
      const types = [`${run}A`, `${run}B`, `${run}C`]
      // 60 events cycling through three types, several per transaction and several per stream.
      const appended: Array<{ readonly id: string; readonly type: string }> = []
      for (let t = 0; t < 20; t++) {
        const events = [0, 1, 2].map((k) => ({ eventId: `${run}-${t}-${k}`, type: types[(t + k) % 3]!, data: { n: t, big: "x" } }))
        yield* store.appendBatch([
          { streamId: `${run}-s${t % 4}`, expectedVersion: "any", events: events.slice(0, 2) },
          { streamId: `${run}-s${(t + 1) % 4}-b`, expectedVersion: "any", events: events.slice(2) }
        ])
        appended.push(...events.map((e) => ({ id: e.eventId, type: e.type })))
      }
      // An open transaction holds back everything committed after it: the typed read must not go past it.
      const held = yield* heldOpen(
        sql,
        sql.unsafe(
          `SELECT * FROM append_events('[{"stream":"${run}-held","expected":-1,"events":[{"id":"${run}-held","type":"${types[0]}","data":{}}]}]'::jsonb)`
        )
      )
      yield* store.append(`${run}-after`, "any", [{ eventId: `${run}-after`, type: types[2]!, data: {} }])

      const wanted = [types[0]!, types[2]!]
      const readAllWanted = Effect.gen(function* () {
        const seen: Array<RecordedEvent> = []
        let cursor = start
        for (let page = 0; page < 100; page++) {
          const { events, scannedTo, atHead } = yield* store.readAllOfTypes(cursor, 7, wanted, ["big"])
          expect(events.length).toBeLessThanOrEqual(7)
          seen.push(...events)
          expect(LogPosition.compare(scannedTo, cursor)).toBeGreaterThanOrEqual(0)
          cursor = scannedTo
          if (atHead) break
        }
        return { seen, cursor }
      })
      const wantedIds = new Set(appended.filter((e) => wanted.includes(e.type)).map((e) => e.id))
      // Other test files hold transactions open on the same cluster: read until this file's appends are visible.
      const before = yield* eventually(readAllWanted, ({ seen }) => [...wantedIds].every((id) => seen.some((e) => e.eventId === id)))
      // The same events in the same order as the untyped read (log order: within a transaction, by stream).
      const all = yield* store.readAll(start, 10_000)
      const expected = all.map((e) => e.eventId).filter((id) => wantedIds.has(id))
      expect(expected.length).toBe(wantedIds.size)
      const ids = before.seen.map((e) => e.eventId).filter((id) => id.startsWith(run))
      expect(ids).toEqual(expected)
      expect(before.seen.every((e) => wanted.includes(e.type))).toBe(true)
      for (let i = 1; i < before.seen.length; i++) {
        expect(LogPosition.compare(before.seen[i - 1]!.position, before.seen[i]!.position)).toBeLessThan(0)
      }
      expect(before.seen.find((e) => e.eventId === expected[0])!.data).toEqual({ n: 0 })
      // Neither the held event nor the one committed after it, and the cursor stays before both.
      const after = before.seen.find((e) => e.eventId === `${run}-after`)
      expect(after).toBeUndefined()

      // A reader of a type nobody wrote reaches the head in one read.
      const none = yield* store.readAllOfTypes(start, 7, [`${run}-nothing`])
      expect(none.events).toEqual([])
      expect(none.atHead).toBe(true)
      expect(LogPosition.compare(none.scannedTo, before.cursor)).toBeGreaterThanOrEqual(0)

      yield* held.commit
      const rest = yield* eventually(
        store.readAllOfTypes(before.cursor, 7, wanted),
        ({ events }) => events.some((e) => e.eventId === `${run}-after`)
      )
      expect(rest.events.map((e) => e.eventId).filter((id) => id.startsWith(run))).toEqual([`${run}-held`, `${run}-after`])
    }))

  it.effect("subscribe wakes on commit, well before the poll interval", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const start = yield* store.head
      const received = yield* Effect.forkChild(
        store.subscribe(start).pipe(
          Stream.filter((e) => e.streamId === "wake-1"),
          Stream.take(3),
          Stream.runCollect
        )
      )
      yield* Effect.sleep(Duration.millis(200))
      const other = yield* otherProcess
      const begin = Date.now()
      yield* other.append("wake-1", "any", [{ eventId: "wake-a", type: "T", data: {} }])
      yield* other.append("wake-1", "any", [{ eventId: "wake-b", type: "T", data: {} }])
      yield* other.append("wake-1", "any", [{ eventId: "wake-c", type: "T", data: {} }])
      const events = yield* Fiber.join(received).pipe(Effect.timeout(Duration.seconds(10)))
      // The poll interval is 30 s here: arriving at all within the timeout proves the wake-up.
      expect(Date.now() - begin).toBeLessThan(10_000)
      expect(events.map((e) => e.eventId)).toEqual(["wake-a", "wake-b", "wake-c"])
    }))

  it.effect("a reader wakes for the event types it reads, and not for others", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const notifications = yield* LogNotifications
      const head = yield* store.head
      const waiting = yield* Effect.forkChild(
        notifications.awaitBeyond(head.transactionId, ["Wanted"], Duration.seconds(30))
      )
      yield* store.append("typed-1", "any", [{ eventId: "typed-other", type: "Unwanted", data: {} }])
      yield* Effect.sleep(Duration.millis(400))
      expect(waiting.pollUnsafe()).toBeUndefined()
      const begin = Date.now()
      yield* store.append("typed-1", "any", [{ eventId: "typed-wanted", type: "Wanted", data: {} }])
      yield* Fiber.join(waiting).pipe(Effect.timeout(Duration.seconds(10)))
      // The poll interval is 30 s here: waking at all proves the announcement reached it.
      expect(Date.now() - begin).toBeLessThan(10_000)
    }))

  it.effect("a commit held behind an open transaction wakes its reader as soon as that transaction ends", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const sql = yield* PgClient.PgClient
      const notifications = yield* LogNotifications
      const head = yield* store.head
      // An older transaction that holds the snapshot's xmin back (it has a transaction id, never commits
      // until told to). As text: @effect/sql-pg 4 has no decoder for xid8 and fails the query.
      const older = yield* heldOpen(sql, sql`SELECT pg_current_xact_id()::text`)
      yield* store.append("held-1", "any", [{ eventId: "held-a", type: "Held", data: {} }])
      const waiting = yield* Effect.forkChild(notifications.awaitBeyond(head.transactionId, ["Held"], Duration.seconds(30)))
      yield* Effect.sleep(Duration.millis(400))
      // Announced, but not readable yet: the reader keeps waiting.
      expect(waiting.pollUnsafe()).toBeUndefined()
      expect((yield* store.readAll(head, 10)).map((e) => e.eventId)).not.toContain("held-a")
      yield* older.commit
      const begin = Date.now()
      yield* Fiber.join(waiting).pipe(Effect.timeout(Duration.seconds(10)))
      expect(Date.now() - begin).toBeLessThan(10_000)
      expect((yield* store.readAll(head, 10)).map((e) => e.eventId)).toContain("held-a")
    }))

  it.effect("subscribe carries on after its LISTEN connection is killed", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const sql = yield* PgClient.PgClient
      const start = yield* store.head
      const received = yield* Effect.forkChild(
        store.subscribe(start).pipe(
          Stream.filter((e) => e.streamId === "killed-1"),
          Stream.take(2),
          Stream.runCollect
        )
      )
      const other = yield* otherProcess
      yield* other.append("killed-1", "any", [{ eventId: "killed-a", type: "T", data: {} }])
      yield* Effect.sleep(Duration.millis(300))
      const terminated = yield* sql.unsafe<{ pg_terminate_backend: boolean }>(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'hookline-listen' AND pid <> pg_backend_pid()"
      )
      expect(terminated.length).toBeGreaterThan(0)
      // Give the listener time to come back, then commit: the wake-up must reach the subscriber again.
      yield* Effect.sleep(Duration.millis(1500))
      yield* other.append("killed-1", "any", [{ eventId: "killed-b", type: "T", data: {} }])
      const events = yield* Fiber.join(received).pipe(Effect.timeout(Duration.seconds(15)))
      expect(events.map((e) => e.eventId)).toEqual(["killed-a", "killed-b"])
    }))
})
