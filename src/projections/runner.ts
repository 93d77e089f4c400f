import {
  Context,
  Duration,
  Effect,
  FiberMap,
  Layer,
  Option,
  Schema,
  Stream,
  SubscriptionRef
} from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import { Settings } from "../config.js"
import { EventStore } from "../eventstore/event-store.js"
import type { EventStoreUnavailable } from "../eventstore/errors.js"
import { type InlineReadModel, InlineReadModels, readModelLockKey } from "../eventstore/inline.js"
import { LogNotifications } from "../eventstore/notifications.js"
import { LogPosition, makeStoredCheckpoint, type RecordedEvent } from "../eventstore/types.js"
import { supervised } from "../supervise.js"
import { generationTable, type Projection } from "./projection.js"

export class ProjectionNotFound extends Schema.TaggedError<ProjectionNotFound>()("ProjectionNotFound", {
  name: Schema.String
}) {}

/** Another runner advanced the checkpoint first: this batch is rolled back and nothing is applied twice. */
class CheckpointMoved extends Schema.TaggedError<CheckpointMoved>()("CheckpointMoved", {}) {}

export interface GenerationStatus {
  readonly generation: number
  readonly version: number
  readonly status: "active" | "building" | "retired"
  readonly checkpoint: LogPosition
  readonly eventsApplied: number
  readonly eventsPerSecond: number
  /** Events in the log after the checkpoint (capped at 100 000). */
  readonly lag: number
}

export interface ProjectionStatus {
  readonly name: string
  readonly version: number
  readonly head: LogPosition
  readonly active: Option.Option<GenerationStatus>
  readonly rebuilding: Option.Option<GenerationStatus>
}

export interface ProjectionRunnerShape {
  readonly status: Effect.Effect<ReadonlyArray<ProjectionStatus>, SqlError | EventStoreUnavailable>
  /** Starts filling a new generation from the start of the log; the current one serves until it has caught up. */
  readonly rebuild: (name: string) => Effect.Effect<ProjectionStatus, ProjectionNotFound | SqlError | EventStoreUnavailable>
  /**
   * Waits until the projection's active generation has applied everything up to `position` (a write's
   * position, for read-your-writes). False on timeout.
   */
  readonly awaitPosition: (name: string, position: LogPosition, timeout: Duration.Input) => Effect.Effect<boolean>
  /** True once every projection has caught up with the log at least once since start. */
  readonly caughtUp: Effect.Effect<boolean>
}

export class ProjectionRunner extends Context.Service<ProjectionRunner, ProjectionRunnerShape>()(
  "hookline/ProjectionRunner"
) {}

/** The projections this process runs. */
export class ProjectionRegistry extends Context.Service<ProjectionRegistry, ReadonlyArray<Projection>>()(
  "hookline/ProjectionRegistry"
) {
  /**
   * The projections, and the inline ones as the event store's read models: provide it below the event
   * store, so every append applies them.
   */
  static readonly layer = (projections: ReadonlyArray<Projection>) =>
    Layer.mergeAll(
      Layer.succeed(ProjectionRegistry, projections),
      Layer.succeed(
        InlineReadModels,
        projections.filter((p) => p.inline === true).map((p): InlineReadModel => ({
          name: p.name,
          version: p.version,
          eventTypes: p.eventTypes,
          apply: (events, generation) => p.apply(events, (t) => generationTable(t, generation))
        }))
      )
    )
}

interface CheckpointRow {
  readonly generation: number
  readonly version: number
  readonly status: "active" | "building" | "retired"
  readonly transaction_id: string
  readonly global_position: string
  readonly events_applied: string
  readonly seconds: number
}

interface Progress {
  readonly checkpoint: LogPosition
  readonly caughtUp: boolean
}

/** Events per transaction: a projection's transaction holds every reader's snapshot xmin back while it runs. */
const batchSize = 500
/**
 * A rebuilding generation takes bigger batches: it has a whole log to cross, and nobody waits on it for
 * read-your-writes (its transactions still hold readers' xmin, hence not bigger still).
 */
const rebuildBatchSize = 2000
/** Read models may trail the log by a few milliseconds; one query per append would cost more. */
const settle = Duration.millis(5)

export const make = Effect.gen(function* () {
  const sql = yield* SqlClient
  const store = yield* EventStore
  const notifications = yield* LogNotifications
  const settings = yield* Settings
  const projections = yield* ProjectionRegistry
  const loops = yield* FiberMap.make<string>()
  const pollInterval = Duration.millis(settings.pollIntervalMs)
  // Progress of the generations this process applies, by `${name}:${generation}`.
  const progress = new Map<string, SubscriptionRef.SubscriptionRef<Progress>>()
  const activeGeneration = new Map<string, number>()

  const find = (name: string) => {
    const projection = projections.find((p) => p.name === name)
    return projection === undefined ? Effect.fail(new ProjectionNotFound({ name })) : Effect.succeed(projection)
  }

  const lockProjection = (name: string) => sql`SELECT pg_advisory_xact_lock(hashtext(${readModelLockKey(name)}))`

  const createGeneration = (projection: Projection, generation: number, status: "active" | "building") =>
    Effect.gen(function* () {
      const table = (t: string) => generationTable(t, generation)
      for (const ddl of projection.createTables(table)) yield* sql.unsafe(ddl)
      yield* sql`INSERT INTO projection_checkpoints (name, generation, version, status)
                 VALUES (${projection.name}, ${generation}, ${projection.version}, ${status})`
    })

  const pointViews = (projection: Projection, generation: number) =>
    Effect.forEach(
      projection.tables,
      (t) =>
        Effect.andThen(
          sql.unsafe(`DROP VIEW IF EXISTS ${t}`),
          sql.unsafe(`CREATE VIEW ${t} AS SELECT * FROM ${generationTable(t, generation)}`)
        ),
      { discard: true }
    )

  const readCheckpoints = (name: string) =>
    sql<CheckpointRow>`SELECT generation, version, status, transaction_id::text AS transaction_id,
        global_position::text AS global_position, events_applied::text AS events_applied,
        extract(epoch FROM (updated_at - started_at))::float8 AS seconds
      FROM projection_checkpoints WHERE name = ${name} AND status <> 'retired' ORDER BY generation`

  /**
   * Makes sure the projection has an active generation with tables and views, and a building one when
   * its version changed. Returns the generations this process must apply.
   */
  const prepare = (projection: Projection) =>
    sql.withTransaction(
      Effect.gen(function* () {
        yield* lockProjection(projection.name)
        const current = yield* sql<{ generation: number; version: number }>`
          SELECT generation, version FROM projections WHERE name = ${projection.name}`
        if (current.length === 0) {
          // An inline projection's first generation is built from the log like any rebuilt one when the
          // log holds its events already, and handed to the writers at the switch. On a log without any
          // (a new database), it is the writers' at once: under this lock, which they all take, none of
          // them can be appending one.
          const building = projection.inline === true &&
            (yield* sql.unsafe(`SELECT 1 FROM events WHERE event_type = ANY($1::text[]) LIMIT 1`, [projection.eventTypes])).length > 0
          yield* createGeneration(projection, 1, building ? "building" : "active")
          yield* pointViews(projection, 1)
          yield* sql`INSERT INTO projections (name, generation, version) VALUES (${projection.name}, 1, ${projection.version})`
          return [1]
        }
        const rows = yield* readCheckpoints(projection.name)
        const runnable = rows.filter((r) => r.version === projection.version).map((r) => r.generation)
        const hasCurrentVersion = runnable.length > 0
        if (!hasCurrentVersion) {
          const next = Math.max(0, ...rows.map((r) => r.generation), current[0]!.generation) + 1
          yield* createGeneration(projection, next, "building")
          yield* Effect.logInfo(
            `projection ${projection.name}: version ${current[0]!.version} -> ${projection.version}, rebuilding into generation ${next}`
          )
          return [next]
        }
        return runnable
      })
    )

  /** Applies, inside the switch's transaction, the events the building generation has not read yet. */
  const finalCatchUp = (projection: Projection, generation: number) =>
    Effect.gen(function* () {
      const [row] = yield* sql<{ transaction_id: string; global_position: string }>`
        SELECT transaction_id::text AS transaction_id, global_position::text AS global_position
          FROM projection_checkpoints WHERE name = ${projection.name} AND generation = ${generation}`
      if (row === undefined) return
      const after = { transactionId: BigInt(row.transaction_id), globalPosition: BigInt(row.global_position) }
      const events = yield* store.readCommittedOfTypes(after, projection.eventTypes)
      if (events.length === 0) return
      yield* projection.apply(events, (t) => generationTable(t, generation))
      const last = events[events.length - 1]!.position
      yield* sql`UPDATE projection_checkpoints
                    SET transaction_id = ${last.transactionId.toString()}::xid8, global_position = ${last.globalPosition.toString()},
                        events_applied = events_applied + ${events.length}, updated_at = now()
                  WHERE name = ${projection.name} AND generation = ${generation}`
    })

  /** The rebuilt generation has caught up: readers switch to it in one transaction. */
  const activate = (projection: Projection, generation: number) =>
    Effect.gen(function* () {
      const retired = yield* sql.withTransaction(
        Effect.gen(function* () {
          yield* lockProjection(projection.name)
          // Every inline writer is now either committed or waiting for the lock: what they committed
          // since this generation's last read is applied here, and the rest is theirs to apply to it.
          if (projection.inline === true) yield* finalCatchUp(projection, generation)
          yield* pointViews(projection, generation)
          const old = yield* sql<{ generation: number }>`
            UPDATE projection_checkpoints SET status = 'retired', updated_at = now()
             WHERE name = ${projection.name} AND generation <> ${generation} AND status <> 'retired'
             RETURNING generation`
          yield* sql`UPDATE projection_checkpoints SET status = 'active', updated_at = now()
                      WHERE name = ${projection.name} AND generation = ${generation}`
          yield* sql`UPDATE projections SET generation = ${generation}, version = ${projection.version},
                      activated_at = now() WHERE name = ${projection.name}`
          return old.map((r) => r.generation)
        })
      )
      activeGeneration.set(projection.name, generation)
      yield* Effect.logInfo(`projection ${projection.name}: generation ${generation} is now active`)
      // The retired generations' runners stop at their next checkpoint (the compare-and-set fails).
      for (const old of retired) {
        yield* FiberMap.remove(loops, `${projection.name}:${old}`)
        progress.delete(`${projection.name}:${old}`)
        for (const t of projection.tables) yield* sql.unsafe(`DROP TABLE IF EXISTS ${generationTable(t, old)}`)
      }
    })

  /** Applies the log to one generation, for ever: catch up, then follow the notifications. */
  const runGeneration = (projection: Projection, generation: number) =>
    Effect.gen(function* () {
      const key = `${projection.name}:${generation}`
      const table = (t: string) => generationTable(t, generation)
      const row = (yield* readCheckpoints(projection.name)).find((r) => r.generation === generation)
      if (row === undefined) return
      let building = row.status === "building"
      if (!building) activeGeneration.set(projection.name, generation)
      // An active inline generation is the writers' to keep: nothing to read back.
      if (!building && projection.inline === true) return
      let checkpoint: LogPosition = {
        transactionId: BigInt(row.transaction_id),
        globalPosition: BigInt(row.global_position)
      }
      // `checkpoint` runs ahead of the stored one over ranges without this projection's events.
      const stored = makeStoredCheckpoint(checkpoint)
      const ref = progress.get(key) ?? (yield* SubscriptionRef.make<Progress>({ checkpoint, caughtUp: false }))
      progress.set(key, ref)

      /** Stores `to` as the checkpoint, with `events` applied in the same transaction; false when overtaken. */
      const storeUpTo = (to: LogPosition, events: ReadonlyArray<RecordedEvent>) =>
        sql
          .withTransaction(
            Effect.gen(function* () {
              // The compare-and-set goes first: it locks the checkpoint row, so a second runner waits
              // here rather than applying the same batch and deadlocking on the read model's rows.
              const moved = yield* sql`UPDATE projection_checkpoints
                   SET transaction_id = ${to.transactionId.toString()}::xid8,
                       global_position = ${to.globalPosition.toString()},
                       events_applied = events_applied + ${events.length}, updated_at = now()
                 WHERE name = ${projection.name} AND generation = ${generation} AND status <> 'retired'
                   AND transaction_id = ${stored.position().transactionId.toString()}::xid8
                   AND global_position = ${stored.position().globalPosition.toString()}
                 RETURNING 1`
              if (moved.length === 0) return yield* new CheckpointMoved()
              if (events.length > 0) yield* projection.apply(events, table)
            })
          )
          .pipe(
            Effect.as(true),
            Effect.catchTag("CheckpointMoved", () => Effect.succeed(false)),
            Effect.ensuring(notifications.transactionEnded)
          )

      for (;;) {
        const { events, scannedTo, atHead } = yield* store.readAllOfTypes(
          checkpoint,
          building ? rebuildBatchSize : batchSize,
          projection.eventTypes,
          projection.omitFields
        )
        const moved = LogPosition.compare(scannedTo, checkpoint) > 0
        if (!moved && building) {
          yield* activate(projection, generation)
          building = false
          if (projection.inline === true) return
        }
        const to = moved ? scannedTo : checkpoint
        // Only other types' events passed: the stored checkpoint follows at most once a second (a rebuild
        // stores every page, its progress is what the operator watches).
        const persist =
          events.length > 0 || (building ? LogPosition.compare(to, stored.position()) > 0 : stored.idleDue(to))
        if (persist) {
          if (!(yield* storeUpTo(to, events))) {
            // Someone else applied this batch: continue from where they are, or stop if retired.
            const latest = (yield* readCheckpoints(projection.name)).find((r) => r.generation === generation)
            if (latest === undefined) return
            building = latest.status === "building"
            checkpoint = { transactionId: BigInt(latest.transaction_id), globalPosition: BigInt(latest.global_position) }
            stored.storedAs(checkpoint)
            continue
          }
          stored.storedAs(to)
        }
        checkpoint = to
        const caughtUp = !moved || atHead
        yield* SubscriptionRef.set(ref, { checkpoint, caughtUp })
        if (caughtUp && events.length === 0) {
          yield* notifications.awaitBeyond(checkpoint.transactionId, projection.eventTypes, pollInterval, settle)
        }
      }
    }).pipe(
      (loop) => supervised(`projection ${projection.name}`, loop),
      Effect.annotateLogs({ projection: projection.name, generation }),
      Effect.provideService(SqlClient, sql)
    )

  const startGeneration = (projection: Projection, generation: number) =>
    FiberMap.run(loops, `${projection.name}:${generation}`, runGeneration(projection, generation), {
      onlyIfMissing: true
    })

  const lagAfter = (checkpoint: LogPosition) =>
    sql<{ lag: string }>`SELECT count(*)::text AS lag FROM (
        SELECT 1 FROM events
         WHERE (transaction_id, global_position) > (${checkpoint.transactionId.toString()}::xid8, ${checkpoint.globalPosition.toString()}::bigint)
           AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         LIMIT 100000) AS behind`.pipe(Effect.map((rows) => Number(rows[0]?.lag ?? 0)))

  const statusOf = (projection: Projection) =>
    Effect.gen(function* () {
      const head = yield* store.head
      const rows = yield* readCheckpoints(projection.name)
      const describe = (r: CheckpointRow) =>
        Effect.gen(function* () {
          // An active inline generation is kept by the writers, at the head of the log (its stored
          // checkpoint is where the switch to it happened).
          const storedCheckpoint = r.status === "active" && projection.inline === true
            ? head
            : { transactionId: BigInt(r.transaction_id), globalPosition: BigInt(r.global_position) }
          // This process's runner may be ahead of what it stored, over events of other types.
          const running = progress.get(`${projection.name}:${r.generation}`)
          const checkpoint =
            running === undefined
              ? storedCheckpoint
              : LogPosition.later(storedCheckpoint, (yield* SubscriptionRef.get(running)).checkpoint)
          const eventsApplied = Number(r.events_applied)
          return {
            generation: r.generation,
            version: r.version,
            status: r.status,
            checkpoint,
            eventsApplied,
            eventsPerSecond: r.seconds > 0 ? Math.round(eventsApplied / r.seconds) : 0,
            lag: yield* lagAfter(checkpoint)
          } satisfies GenerationStatus
        })
      const active = rows.find((r) => r.status === "active")
      const building = rows.find((r) => r.status === "building")
      return {
        name: projection.name,
        version: projection.version,
        head,
        active: active === undefined ? Option.none() : Option.some(yield* describe(active)),
        rebuilding: building === undefined ? Option.none() : Option.some(yield* describe(building))
      } satisfies ProjectionStatus
    })

  const rebuild = (name: string) =>
    Effect.gen(function* () {
      const projection = yield* find(name)
      const generation = yield* sql.withTransaction(
        Effect.gen(function* () {
          yield* lockProjection(name)
          const rows = yield* readCheckpoints(name)
          const already = rows.find((r) => r.status === "building")
          if (already !== undefined) return already.generation
          const all = yield* sql<{ max: number | null }>`SELECT max(generation) AS max FROM projection_checkpoints WHERE name = ${name}`
          const next = (all[0]?.max ?? 0) + 1
          yield* createGeneration(projection, next, "building")
          return next
        })
      )
      yield* startGeneration(projection, generation)
      return yield* statusOf(projection)
    })

  /** An inline projection's active generation holds every committed write: its writer applied it. */
  const isInlineActive = (name: string) =>
    activeGeneration.has(name) && projections.some((p) => p.name === name && p.inline === true)

  /** A projection's first generation may still be building (an inline one always is, at first). */
  const untilActive = (name: string) =>
    Effect.suspend(function loop(): Effect.Effect<void> {
      return activeGeneration.has(name) ? Effect.void : Effect.andThen(Effect.sleep(Duration.millis(10)), Effect.suspend(loop))
    })

  const awaitPosition = (name: string, position: LogPosition, timeout: Duration.Input) =>
    Effect.gen(function* () {
      yield* untilActive(name)
      if (isInlineActive(name)) return true
      const generation = activeGeneration.get(name)
      const ref = generation === undefined ? undefined : progress.get(`${name}:${generation}`)
      if (ref === undefined) return false
      return yield* SubscriptionRef.changes(ref).pipe(
        Stream.filter((p) => LogPosition.compare(p.checkpoint, position) >= 0),
        Stream.take(1),
        Stream.runDrain,
        Effect.as(true)
      )
    }).pipe(Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.succeed(false) }))

  const caughtUp = Effect.gen(function* () {
    for (const projection of projections) {
      if (isInlineActive(projection.name)) continue
      const generation = activeGeneration.get(projection.name)
      const ref = generation === undefined ? undefined : progress.get(`${projection.name}:${generation}`)
      if (ref === undefined || !(yield* SubscriptionRef.get(ref)).caughtUp) return false
    }
    return true
  })

  for (const projection of projections) {
    const generations = yield* prepare(projection)
    for (const generation of generations) yield* startGeneration(projection, generation)
  }

  return ProjectionRunner.of({
    status: Effect.forEach(projections, statusOf),
    rebuild,
    awaitPosition,
    caughtUp
  })
})

export const ProjectionRunnerLive = Layer.effect(ProjectionRunner, make)
