import { randomUUID } from "node:crypto"
import { SqlClient } from "effect/sql/SqlClient"
import { Context, Duration, Effect, Layer, Option } from "effect"
import { Settings } from "../config.js"
import { deliveryIdFor, type DeliveriesScheduled } from "../domain/delivery.js"
import { EventPublished } from "../domain/published-event.js"
import { eventStream } from "../domain/streams.js"
import { EventStore } from "../eventstore/event-store.js"
import { LogNotifications } from "../eventstore/notifications.js"
import { LogPosition, makeStoredCheckpoint, type RecordedEvent, type StreamAppend } from "../eventstore/types.js"
import type { DeliveryJob } from "./endpoint-actor.js"
import { supervised } from "../supervise.js"
import { DeliveryRuntime } from "./runtime.js"
import { EnvelopeCache, type Envelope, envelope, loadEnvelopes, makeEnvelopeCache } from "./envelopes.js"
import { makeWebhookIndex, replayPage, routeEventTypes, routeOmitFields, type WebhookIndex } from "./webhook-index.js"
import { loadReactorCheckpoint } from "../eventstore/reactor-checkpoint.js"

export class Dispatcher extends Context.Service<
  Dispatcher,
  { readonly checkpoint: Effect.Effect<LogPosition> }
>()("hookline/Dispatcher") {}

const reactorName = "dispatcher"
const batchSize = 500


const systemActor = { kind: "system" as const }

/**
 * Turns each published event into its deliveries: one `DeliveriesScheduled` in the event's stream naming
 * a delivery per webhook that was active (or paused) and subscribed at that point of the log. It folds
 * webhook events into its own index as it reads them, in log order, which is what "subscribed at publish
 * time" means. Its checkpoint moves in the transaction that appends the deliveries: after a crash it
 * neither repeats nor skips a dispatch, and the delivery ids are derived from (event, webhook) besides.
 * It is a reactor, not a projection: nothing rebuilds it.
 */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient
  const store = yield* EventStore
  const notifications = yield* LogNotifications
  const runtime = yield* DeliveryRuntime
  const settings = yield* Settings
  // Without the cache (a test wiring the dispatcher alone) every body is read from the log.
  const cache = Option.getOrElse(yield* Effect.serviceOption(EnvelopeCache), () => makeEnvelopeCache(0))
  // Of the webhook events, those that change a route; the runtime's follower reads the rest.
  const types = [...routeEventTypes, "EventPublished"]
  // Of a published event, what routing and scheduling do not read (its payload above all); of a webhook
  // event, whatever routing does not read.
  const omitFields = [
    "data",
    "occurredAt",
    "publishedAt",
    ...routeOmitFields.filter((field) => !(field in EventPublished.fields))
  ]
  let current = LogPosition.start

  const loadCheckpoint = loadReactorCheckpoint(reactorName).pipe(Effect.provideService(SqlClient, sql))

  /** The index as it stood at `checkpoint`: every webhook event up to it. */
  const indexAt = (checkpoint: LogPosition) =>
    Effect.gen(function* () {
      const index = makeWebhookIndex()
      let cursor = LogPosition.start
      for (;;) {
        const { events, scannedTo } = yield* store.readAllOfTypes(cursor, replayPage, routeEventTypes, routeOmitFields)
        for (const event of events) {
          if (LogPosition.compare(event.position, checkpoint) > 0) return index
          index.apply(event)
        }
        if (LogPosition.compare(scannedTo, cursor) <= 0 || LogPosition.compare(scannedTo, checkpoint) >= 0) return index
        cursor = scannedTo
      }
    })

  /** An event's first attempts, to hand to the endpoints once its body is at hand. */
  interface Handover {
    readonly eventId: string
    readonly deliveries: ReadonlyArray<{ readonly deliveryId: string; readonly webhookId: string }>
    readonly correlationId: string | undefined
  }

  const dispatch = (events: ReadonlyArray<RecordedEvent>, index: WebhookIndex) => {
    const appends: Array<StreamAppend> = []
    const handovers: Array<Handover> = []
    const scheduledAt = new Date().toISOString()
    for (const recorded of events) {
      if (recorded.type !== "EventPublished") {
        index.apply(recorded)
        continue
      }
      // Written by the publish path's own schema moments ago: read as such, without a decode pass on
      // the hot path (its payload was validated at publish, and is not read here: see `jobsFor`).
      const event = recorded.data as Omit<EventPublished, "_tag" | "data" | "occurredAt" | "publishedAt">
      const targets =
        event.targetWebhookId !== undefined
          ? index.get(event.targetWebhookId)?.accountId === event.accountId ? [event.targetWebhookId] : []
          : index.subscribers(event.accountId, event.type)
      if (targets.length === 0) continue
      const deliveries = targets.map((webhookId) => ({ deliveryId: deliveryIdFor(event.eventId, webhookId), webhookId }))
      const scheduled: Omit<DeliveriesScheduled, "_tag"> = {
        eventId: event.eventId,
        accountId: event.accountId,
        eventType: event.type,
        deliveries,
        scheduledAt
      }
      appends.push({
        streamId: eventStream(event.eventId),
        expectedVersion: recorded.streamVersion,
        events: [
          {
            eventId: randomUUID(),
            type: "DeliveriesScheduled",
            data: scheduled,
            // The engine decided it, because of the publish: not a copy of the publish's metadata (the
            // actor's account and key are in the event it points to), which was 40 % of the row.
            metadata: recorded.metadata.correlationId === undefined
              ? { actor: systemActor, causationId: recorded.eventId }
              : { actor: systemActor, correlationId: recorded.metadata.correlationId, causationId: recorded.eventId }
          }
        ]
      })
      // Paused webhooks' deliveries wait in the log until resumed.
      const active = deliveries.filter((d) => index.get(d.webhookId)?.status === "active")
      if (active.length > 0) {
        handovers.push({ eventId: event.eventId, deliveries: active, correlationId: recorded.metadata.correlationId })
      }
    }
    return { appends, handovers }
  }

  /**
   * The first attempts of the dispatched events, with their bodies: from the publisher's cache (every
   * published event's entry is taken, delivered to or not), the rest from the log in one query. An
   * event without a body (cannot happen: its row was just read) is left to the scanner.
   */
  const jobsFor = (events: ReadonlyArray<RecordedEvent>, handovers: ReadonlyArray<Handover>) =>
    Effect.gen(function* () {
      const cached = new Map<string, Envelope>()
      for (const recorded of events) {
        if (recorded.type !== "EventPublished") continue
        const eventId = (recorded.data as { readonly eventId: string }).eventId
        const entry = cache.take(eventId)
        if (entry !== undefined) cached.set(eventId, entry)
      }
      const missing = handovers.filter((h) => !cached.has(h.eventId)).map((h) => h.eventId)
      if (missing.length > 0) {
        const loaded = yield* loadEnvelopes(missing).pipe(Effect.provideService(SqlClient, sql))
        for (const [eventId, value] of loaded) cached.set(eventId, value)
      }
      const jobs: Array<DeliveryJob> = []
      for (const handover of handovers) {
        const entry = cached.get(handover.eventId)
        if (entry === undefined) continue
        const body = envelope(entry.source)
        for (const delivery of handover.deliveries) {
          jobs.push({
            deliveryId: delivery.deliveryId,
            webhookId: delivery.webhookId,
            eventId: handover.eventId,
            body,
            attempt: 1,
            retryAttempt: 1,
            trigger: "schedule",
            correlationId: handover.correlationId
          })
        }
      }
      return jobs
    })

  const run = Effect.gen(function* () {
    let checkpoint = yield* loadCheckpoint
    const index = yield* indexAt(checkpoint)
    current = checkpoint
    // The stored checkpoint: `checkpoint` runs ahead of it over events that went to no webhook. A restart
    // rebuilds the index as of the stored one and dispatches those events again, to nobody again.
    const stored = makeStoredCheckpoint(checkpoint)
    /** Appends what was decided and moves the stored checkpoint to `to`, in one statement. */
    const storeUpTo = (to: LogPosition, appends: ReadonlyArray<StreamAppend>) =>
      Effect.gen(function* () {
        // A failure (database away, overtaken by another instance) restarts the loop from the stored checkpoint.
        yield* store.appendAdvancingReactor(reactorName, stored.position(), to, appends).pipe(
          Effect.ensuring(notifications.transactionEnded)
        )
        stored.storedAs(to)
      })
    for (;;) {
      // Payloads stay in the database: the bodies come from the publisher's cache, or one query.
      const { events, scannedTo } = yield* store.readAllOfTypes(checkpoint, batchSize, types, omitFields)
      if (LogPosition.compare(scannedTo, checkpoint) <= 0) {
        if (stored.idleDue(checkpoint)) yield* storeUpTo(checkpoint, [])
        // A millisecond of settling lets a burst of publishes be dispatched in one transaction.
        yield* notifications.awaitBeyond(
          checkpoint.transactionId,
          types,
          Duration.millis(settings.pollIntervalMs),
          Duration.millis(1)
        )
        continue
      }
      const { appends, handovers } = dispatch(events, index)
      if (appends.length > 0 || stored.idleDue(scannedTo)) yield* storeUpTo(scannedTo, appends)
      checkpoint = scannedTo
      current = checkpoint
      // Taken even when nothing is delivered: the cache must let go of every event the dispatcher passed.
      const jobs = yield* jobsFor(events, handovers)
      if (jobs.length > 0) yield* runtime.submit(jobs)
    }
  })

  // Any failure (database away, overtaken by another instance) starts over from the stored checkpoint,
  // rebuilding the index: the in-memory index may have moved past what was committed.
  yield* supervised("dispatcher", run).pipe(Effect.forkScoped)

  return Dispatcher.of({ checkpoint: Effect.sync(() => current) })
})

export const DispatcherLive = Layer.effect(Dispatcher, make)
