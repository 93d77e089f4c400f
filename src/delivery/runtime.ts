import { SqlClient } from "effect/sql/SqlClient"
import { Context, Duration, Effect, FiberMap, Layer, Result, Semaphore } from "effect"
import { Settings } from "../config.js"
import { endpointCodec, webhookEventTypes } from "../domain/codecs.js"
import { endpointStream, idInStream } from "../domain/streams.js"
import { EventStore } from "../eventstore/event-store.js"
import { LogNotifications } from "../eventstore/notifications.js"
import { LogPosition } from "../eventstore/types.js"
import { ProjectionRunner } from "../projections/runner.js"
import { supervised } from "../supervise.js"
import { cancelDeliveries, webhookDeletedReason } from "./cancellation.js"
import type { FailureEvidence } from "../domain/attempt.js"
import * as Circuit from "../domain/circuit-breaker.js"
import {
  type ActorEnvironment,
  type DeliveryJob,
  type EndpointActor,
  makeEndpointActor
} from "./endpoint-actor.js"
import { HttpSender } from "./http-sender.js"
import { DeliveryRecorder } from "./recorder.js"
import { WebhookDisabling } from "./webhook-disabling.js"
import { envelope, loadEnvelopes } from "./envelopes.js"
import { makeWebhookDirectory, type WebhookDirectory } from "./webhook-directory.js"
import { replayPage, webhookEventFields } from "./webhook-index.js"

export interface EndpointBacklog {
  readonly webhookId: string
  readonly backlog: number
  /** Worker fibers running: as many as the backlog needs, up to the concurrency limit; one when idle. */
  readonly workers: number
  /** The most worker fibers the actor has run at once. */
  readonly peakWorkers: number
}

export interface DeliveryRuntimeShape {
  /** Hands freshly scheduled deliveries to their endpoints; what does not fit waits in the log. */
  readonly submit: (jobs: ReadonlyArray<DeliveryJob>) => Effect.Effect<void>
  /** Deliveries held in memory per running endpoint actor. */
  readonly backlogs: Effect.Effect<ReadonlyArray<EndpointBacklog>>
  /** The runtime's view of the webhooks, at the head of the log. */
  readonly directory: WebhookDirectory
}

export class DeliveryRuntime extends Context.Service<DeliveryRuntime, DeliveryRuntimeShape>()("hookline/DeliveryRuntime") {}

/** Rows the scanner loads per round, across all endpoints. */
const scanLimit = 2000
/** A fresh delivery is the dispatcher's to hand over; the scanner takes it only if still untouched after this. */
const freshGraceSeconds = 2

interface DueRow {
  readonly delivery_id: string
  readonly webhook_id: string
  readonly event_id: string
  readonly attempts: number
  readonly schedule_base: number
  readonly next_trigger: "schedule" | "redeliver" | "recover"
}

export const make = Effect.gen(function* () {
  const settings = yield* Settings
  const sql = yield* SqlClient
  const store = yield* EventStore
  const notifications = yield* LogNotifications
  const sender = yield* HttpSender
  const recorder = yield* DeliveryRecorder
  const runner = yield* ProjectionRunner
  const disabling = yield* WebhookDisabling
  const actorFibers = yield* FiberMap.make<string>()
  const globalLimit = yield* Semaphore.make(settings.globalConcurrency)

  const startHead = yield* store.head
  const directory = makeWebhookDirectory(store)
  const actors = new Map<string, EndpointActor>()
  /**
   * Deliveries this process has taken: null while in memory (mailbox or in flight), else the position of
   * the outcome that let them go. The scanner skips them until the delivery projection has reached that
   * position, so a delivery is never picked up again while its last outcome is still on its way.
   */
  const held = new Map<string, LogPosition | null>()
  // The released ones in the order their outcomes committed (positions only grow): the scanner lets go of
  // a prefix each round instead of walking every delivery held.
  const released: Array<{ readonly deliveryId: string; readonly after: LogPosition }> = []

  let draining = false

  /** Circuit state and failing streak from the log, so a restarted actor picks up where the last left off. */
  const restore = (webhookId: string) =>
    Effect.gen(function* () {
      const transitions = yield* store.readStream(endpointStream(webhookId))
      let circuit = Circuit.initialState<FailureEvidence>()
      let openedFor: string | undefined
      for (const event of transitions) {
        const decoded = endpointCodec.decode(event)
        if (Result.isFailure(decoded)) continue
        const t = decoded.success
        // A recovery is no transition of the circuit's.
        if (t._tag === "EndpointRecovered") continue
        if (t._tag === "CircuitOpened") openedFor = t.url
        circuit = Circuit.evolve(
          circuit,
          t._tag === "CircuitOpened"
            ? { _tag: "CircuitOpened", failures: t.failures, cooldownMs: t.cooldownMs, until: Date.parse(t.until) }
            : { _tag: t._tag },
          env.circuit
        )
      }
      const health = yield* sql<{ first_failure_at: Date | null; consecutive_failures: number }>`
        SELECT first_failure_at, consecutive_failures FROM endpoint_health WHERE webhook_id = ${webhookId}`
      const first = health[0]?.first_failure_at
      return {
        circuit,
        circuitUrl: circuit._tag === "Closed" ? undefined : openedFor,
        failingSince: first === null || first === undefined ? undefined : first.getTime(),
        failuresInStreak: health[0]?.consecutive_failures ?? 0
      }
    }).pipe(
      Effect.catchCause((cause) =>
        Effect.as(Effect.logWarning(`could not restore endpoint ${webhookId}; starting closed`, cause), {
          circuit: Circuit.initialState<FailureEvidence>(),
          circuitUrl: undefined,
          failingSince: undefined,
          failuresInStreak: 0
        })
      )
    )

  const disable = (webhookId: string, reason: string, deliveryId?: string) =>
    disabling.disable(webhookId, reason).pipe(
      Effect.flatMap((changed) =>
        changed
          ? Effect.logWarning("webhook disabled").pipe(
            Effect.annotateLogs({ webhookId, deliveryId: deliveryId ?? null, reason })
          )
          : Effect.void
      ),
      Effect.catchCause((cause) => Effect.logError(`could not disable webhook ${webhookId}`, cause))
    )

  const env: ActorEnvironment = {
    directory,
    sender,
    recorder,
    globalLimit,
    timeoutMs: settings.deliveryTimeoutMs,
    defaultRetrySchedule: settings.retrySchedule,
    defaultConcurrency: settings.endpointConcurrency,
    idleTimeout: Duration.millis(settings.actorIdleMs),
    mailboxCapacity: settings.mailboxCapacity,
    circuit: {
      failureThreshold: settings.circuitFailureThreshold,
      baseCooldownMs: settings.circuitCooldownMs,
      maxCooldownMs: settings.circuitMaxCooldownMs,
      probeTimeoutMs: Math.max(60_000, settings.deliveryTimeoutMs * 2)
    },
    release: (job, after) => {
      if (after === null) held.delete(job.deliveryId)
      else {
        held.set(job.deliveryId, after)
        released.push({ deliveryId: job.deliveryId, after })
      }
    },
    disable,
    disableAfterFailingMs: settings.disableAfterFailingMs,
    restore: (webhookId) => restore(webhookId),
    draining: () => draining
  }

  const actorFor = Effect.fnUntraced(function* (webhookId: string) {
    const existing = actors.get(webhookId)
    if (existing !== undefined) return existing
    const actor = yield* makeEndpointActor(webhookId, env)
    actors.set(webhookId, actor)
    yield* FiberMap.run(
      actorFibers,
      webhookId,
      Effect.scoped(actor.run).pipe(
        Effect.catchDefect((defect) => Effect.logError(`endpoint actor ${webhookId} crashed; it restarts with new work`, defect)),
        Effect.ensuring(Effect.sync(() => {
          if (actors.get(webhookId) === actor) actors.delete(webhookId)
        }))
      )
    )
    return actor
  })

  /** True when the job is in memory now (taken, or already there). */
  const offer = Effect.fnUntraced(function* (job: DeliveryJob) {
    if (held.has(job.deliveryId)) return true
    let actor = yield* actorFor(job.webhookId)
    if (!actor.offer(job)) {
      if (actors.get(job.webhookId) === actor) return false
      // It stopped between lookup and offer: a new one takes the job.
      actor = yield* actorFor(job.webhookId)
      if (!actor.offer(job)) return false
    }
    held.set(job.deliveryId, null)
    return true
  })

  const submit = (jobs: ReadonlyArray<DeliveryJob>) => Effect.forEach(jobs, offer, { discard: true })

  /** Keeps `directory` at the head of the log: replays every webhook event, then follows. */
  const followWebhooks = Effect.gen(function* () {
    let checkpoint = LogPosition.start
    for (;;) {
      // Types and streams are all the directory folds: the payloads stay in the database.
      const { events, scannedTo } = yield* store.readAllOfTypes(checkpoint, replayPage, webhookEventTypes, webhookEventFields)
      const stale = new Set<string>()
      for (const event of events) {
        if (directory.apply(event)) stale.add(idInStream(event.streamId))
      }
      for (const webhookId of stale) yield* directory.refresh(webhookId)
      if (LogPosition.compare(scannedTo, checkpoint) > 0) {
        checkpoint = scannedTo
        continue
      }
      yield* notifications.awaitBeyond(
        checkpoint.transactionId,
        webhookEventTypes,
        Duration.millis(settings.pollIntervalMs),
        Duration.millis(10)
      )
    }
  })

  /**
   * Loads what is due and not in memory: retries whose time has come, deliveries that did not fit a
   * mailbox, were waiting on a paused webhook, asked for again, or were in flight when a process died.
   */
  const scan = Effect.gen(function* () {
    // Outcomes recorded by a process before this one (killed, say) count too: until the projection has
    // applied them, their deliveries would look due.
    const committed = yield* recorder.lastCommitted
    const recorded = LogPosition.later(startHead, committed)
    const projected = yield* runner.awaitPosition("deliveries", recorded, Duration.seconds(10))
    if (!projected) return
    let done = 0
    while (done < released.length && LogPosition.compare(released[done]!.after, recorded) <= 0) {
      const { deliveryId, after } = released[done]!
      // Only if nothing took it again meanwhile (a redelivery puts it back in memory).
      if (held.get(deliveryId) === after) held.delete(deliveryId)
      done++
    }
    released.splice(0, done)
    // A deleted webhook's deliveries are taken, to be cancelled: those its deletion did not see (scheduled
    // for an event published just before it) or could not finish (the process died).
    const skip = directory.inactive().filter((webhookId) => directory.status(webhookId) !== "deleted")
    for (const [webhookId, actor] of actors) {
      if (actor.backlog() >= settings.mailboxCapacity) skip.push(webhookId)
    }
    const rows = yield* sql.unsafe<DueRow>(
      `SELECT d.delivery_id, d.webhook_id, d.event_id, d.attempts, d.schedule_base, d.next_trigger
         FROM deliveries_due q JOIN deliveries d ON d.delivery_id = q.delivery_id
        WHERE q.next_attempt_at <= now() - (CASE WHEN q.fresh THEN $1::int ELSE 0 END) * interval '1 second'
          AND NOT (q.webhook_id = ANY($2::text[]))
        ORDER BY q.next_attempt_at
        LIMIT $3`,
      [freshGraceSeconds, skip, scanLimit]
    )
    const orphans = rows.filter((r) => directory.status(r.webhook_id) === "deleted")
    if (orphans.length > 0) {
      yield* cancelDeliveries(
        store,
        orphans.map((r) => ({ deliveryId: r.delivery_id, webhookId: r.webhook_id })),
        webhookDeletedReason,
        { actor: { kind: "system" } }
      )
    }
    const candidates = rows.filter((r) => !held.has(r.delivery_id) && directory.status(r.webhook_id) === "active")
    if (candidates.length === 0) return
    const envelopes = yield* loadEnvelopes([...new Set(candidates.map((r) => r.event_id))]).pipe(
      Effect.provideService(SqlClient, sql)
    )
    for (const row of candidates) {
      const published = envelopes.get(row.event_id)
      if (published === undefined) continue
      yield* offer({
        deliveryId: row.delivery_id,
        webhookId: row.webhook_id,
        eventId: row.event_id,
        body: envelope(published.source),
        attempt: row.attempts + 1,
        retryAttempt: row.attempts - row.schedule_base + 1,
        trigger: row.next_trigger,
        correlationId: published.correlationId
      })
    }
  })

  // One timer for every actor's upkeep (see EndpointActor.tick): a thousand actors each sleeping a second
  // at a time promoted megabytes a second of short-lived timers and continuations into the old space.
  const upkeep = Effect.suspend(() => {
    const now = Date.now()
    const work: Array<Effect.Effect<void>> = []
    for (const actor of actors.values()) {
      const due = actor.tick(now)
      if (due !== undefined) work.push(due)
    }
    return work.length === 0 ? Effect.void : Effect.all(work, { discard: true })
  })

  yield* supervised("following webhooks", followWebhooks).pipe(Effect.forkScoped)
  yield* supervised("endpoint actor upkeep", Effect.forever(Effect.andThen(Effect.sleep(Duration.seconds(1)), upkeep))).pipe(
    Effect.forkScoped
  )
  yield* supervised(
    "scanning for due deliveries",
    Effect.forever(Effect.andThen(scan, Effect.sleep(Duration.millis(settings.scanIntervalMs))))
  ).pipe(Effect.forkScoped)

  // Registered last, so it runs first on shutdown: before the actors are interrupted, let the requests
  // already sent finish (bounded) so their outcomes are recorded rather than repeated after the restart.
  // Workers waiting at a circuit or a rate limit, and jobs in mailboxes, were never attempted: they are
  // interrupted with the actors and left to the log, which the next start reads again.
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      draining = true
      const sendingNow = () => [...actors].filter(([, actor]) => actor.sending() > 0)
      const awaited = sendingNow()
      if (awaited.length === 0) return
      yield* Effect.logInfo("stopping: waiting for the attempts in flight").pipe(
        Effect.annotateLogs({
          attempts: awaited.reduce((n, [, actor]) => n + actor.sending(), 0),
          webhookIds: awaited.map(([webhookId]) => webhookId).join(",")
        })
      )
      const deadline = Date.now() + Math.min(settings.deliveryTimeoutMs + 1000, 20_000)
      while (Date.now() < deadline && sendingNow().length > 0) {
        yield* Effect.sleep(Duration.millis(20))
      }
    })
  )

  return DeliveryRuntime.of({
    submit,
    backlogs: Effect.sync(() =>
      [...actors].map(([webhookId, actor]) => ({
        webhookId,
        backlog: actor.backlog(),
        workers: actor.workers(),
        peakWorkers: actor.peakWorkers()
      }))
    ),
    directory
  })
})

export const DeliveryRuntimeLive = Layer.effect(DeliveryRuntime, make)
