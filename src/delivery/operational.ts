import { SqlClient } from "effect/sql/SqlClient"
import { Context, Duration, Effect, Layer, Schema } from "effect"
import { Settings } from "../config.js"
import { accountCodec, publishedEventCodec } from "../domain/codecs.js"
import * as Account from "../domain/account.js"
import {
  failureClasses,
  noticeOfExhaustion,
  type OperationalNotice,
  operationalEventId,
  operatorAccountId,
  operatorAccountName,
  recipientsOf
} from "../domain/operational.js"
import type { EventPublished } from "../domain/published-event.js"
import { accountStream, deliveryStream, eventStream, idInStream } from "../domain/streams.js"
import { EventStore } from "../eventstore/event-store.js"
import { LogNotifications } from "../eventstore/notifications.js"
import { LogPosition, makeStoredCheckpoint, type RecordedEvent, type StreamAppend } from "../eventstore/types.js"
import { supervised } from "../supervise.js"
import { loadReactorCheckpoint } from "../eventstore/reactor-checkpoint.js"

export class OperationalReactor extends Context.Service<
  OperationalReactor,
  { readonly checkpoint: Effect.Effect<LogPosition> }
>()("hookline/OperationalReactor") {}

/** The deliveries read model has not shown a delivery the log already exhausted: read again later. */
class DeliveryNotYetProjected extends Schema.TaggedError<DeliveryNotYetProjected>()("DeliveryNotYetProjected", {
  deliveryId: Schema.String
}) {}

/** The webhooks read model has not shown a webhook the log already names: read again later. */
class WebhookNotYetProjected extends Schema.TaggedError<WebhookNotYetProjected>()("WebhookNotYetProjected", {
  webhookId: Schema.String
}) {}

const reactorName = "operational"
const batchSize = 2_000
/**
 * How long a wake-up waits for more of the log before reading: nobody waits on an operational event to
 * the millisecond, and fewer, larger reads cost the database less.
 */
const settleMs = 50
/**
 * A checkpoint that passed nothing to publish is stored this seldom: the sources are rare, a restart
 * reads the skipped range again through the index by type and finds nothing again, and the dispatcher's
 * own idle writes should not double.
 */
const idleStoreMs = 30_000

/**
 * The sources: all rare (an endpoint's transitions, a disabling, an exhaustion). A recovery is recorded
 * by the actor that saw it (`EndpointRecovered`), so no attempt is read back here.
 */
const types = ["WebhookDisabled", "CircuitOpened", "CircuitClosed", "EndpointRecovered", "DeliveryExhausted"]
// Whatever no decision here reads: left in the database. `error` too: an exhaustion's last error is read
// from its delivery's stream, the rare time one is needed.
const omitFields = [
  "requestHeaders",
  "response",
  "url",
  "headers",
  "secret",
  "name",
  "events",
  "retrySchedule",
  "maxConcurrency",
  "rateLimit",
  "durationMs",
  "error",
  "nextAttemptAt"
]


/**
 * Publishes operational events: follows webhook disabling, circuit transitions, exhausted deliveries and
 * attempt outcomes in log order, and appends an `EventPublished` per notice and recipient account, which
 * the dispatcher then delivers like any event. As the dispatcher does, it appends what it decided with
 * its checkpoint in one statement (neither repeated nor skipped across a crash), and the event ids are
 * derived from the source event besides.
 */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient
  const store = yield* EventStore
  const notifications = yield* LogNotifications
  const settings = yield* Settings
  let current = LogPosition.start

  /** The operator's account, created once by whichever instance gets there first. */
  const ensureOperatorAccount = Effect.gen(function* () {
    const streamId = accountStream(operatorAccountId)
    if ((yield* store.readStream(streamId)).length > 0) return
    const created = Account.AccountCreated.make({ accountId: operatorAccountId, name: operatorAccountName, plan: "scale" })
    yield* store
      .append(streamId, "no_stream", [
        accountCodec.encode(created, `operator-account:${operatorAccountId}`, { actor: { kind: "system" } })
      ])
      .pipe(Effect.catchTags({ WrongExpectedVersion: () => Effect.void, DuplicateEventId: () => Effect.void }))
  })

  const loadCheckpoint = loadReactorCheckpoint(reactorName).pipe(Effect.provideService(SqlClient, sql))

  /** The account that owns a webhook, from the webhooks read model (an owner never changes). */
  const ownerOf = (webhookId: string) =>
    Effect.flatMap(
      sql<{ account_id: string }>`SELECT account_id FROM webhooks WHERE webhook_id = ${webhookId}`,
      (rows) => rows[0] === undefined ? Effect.fail(new WebhookNotYetProjected({ webhookId })) : Effect.succeed(rows[0].account_id)
    )

  /** An exhausted delivery's event and the last error of its attempts before the exhaustion. */
  const exhaustion = (event: RecordedEvent) =>
    Effect.gen(function* () {
      const data = event.data as { readonly deliveryId: string; readonly webhookId: string; readonly attempts: number; readonly at: string }
      const rows = yield* sql<{ event_id: string; event_type: string; account_id: string }>`
        SELECT event_id, event_type, account_id FROM deliveries WHERE delivery_id = ${data.deliveryId}`
      const row = rows[0]
      if (row === undefined) return yield* new DeliveryNotYetProjected({ deliveryId: data.deliveryId })
      const attempts = yield* store.readStream(deliveryStream(data.deliveryId))
      const lastFailure = attempts
        .filter((a) => a.type === "AttemptFailed" && a.streamVersion < event.streamVersion)
        .at(-1)
      const lastError = lastFailure === undefined ? null : String((lastFailure.data as { readonly error?: unknown }).error ?? "")
      return { data, row, lastError }
    })

  interface Told {
    readonly notice: OperationalNotice
    /** The account owning the webhook concerned, when known. */
    readonly owner: string | undefined
  }
  const told = (notice: OperationalNotice, owner: string | undefined): ReadonlyArray<Told> => [{ notice, owner }]
  const nothing: ReadonlyArray<Told> = []

  /** What one source event tells, and about whose webhook. */
  const noticesOf = (event: RecordedEvent) =>
    Effect.gen(function* () {
      const at = event.recordedAt.toISOString()
      switch (event.type) {
        case "WebhookDisabled": {
          const webhookId = idInStream(event.streamId)
          const reason = (event.data as { readonly reason: string }).reason
          return told({ type: "endpoint.disabled", webhookId, data: { webhookId, reason, at } }, yield* ownerOf(webhookId))
        }
        case "CircuitOpened": {
          const data = event.data as {
            readonly webhookId: string
            readonly at: string
            readonly until: string
            readonly failures: ReadonlyArray<{ readonly errorClass: string }>
          }
          const { webhookId } = data
          return told({
            type: "endpoint.circuit_opened",
            webhookId,
            data: {
              webhookId,
              at: data.at,
              until: data.until,
              failures: data.failures.length,
              failureClasses: failureClasses(data.failures)
            }
          }, yield* ownerOf(webhookId))
        }
        case "CircuitClosed": {
          const data = event.data as { readonly webhookId: string; readonly at: string; readonly reason?: string }
          const { webhookId } = data
          return told({
            type: "endpoint.circuit_closed",
            webhookId,
            data: { webhookId, at: data.at, ...(data.reason === undefined ? {} : { reason: data.reason }) }
          }, yield* ownerOf(webhookId))
        }
        case "DeliveryExhausted": {
          const { data, row, lastError } = yield* exhaustion(event)
          if (!noticeOfExhaustion(row.event_type)) return nothing
          return told({
            type: "delivery.exhausted",
            webhookId: data.webhookId,
            data: {
              deliveryId: data.deliveryId,
              webhookId: data.webhookId,
              eventId: row.event_id,
              eventType: row.event_type,
              attempts: data.attempts,
              lastError,
              at: data.at
            }
          }, row.account_id)
        }
        case "EndpointRecovered": {
          const data = event.data as { readonly webhookId: string; readonly at: string; readonly failuresBefore: number }
          const { webhookId } = data
          return told(
            { type: "endpoint.recovered", webhookId, data: { webhookId, at: data.at, failuresBefore: data.failuresBefore } },
            yield* ownerOf(webhookId)
          )
        }
        default:
          return nothing
      }
    })

  const appendsFor = (source: RecordedEvent, notice: OperationalNotice, owner: string | undefined): Array<StreamAppend> =>
    recipientsOf(owner).map((accountId) => {
      const eventId = operationalEventId(source.eventId, accountId)
      const published: EventPublished = {
        _tag: "EventPublished",
        eventId,
        accountId,
        type: notice.type,
        data: notice.data,
        occurredAt: source.recordedAt.toISOString(),
        publishedAt: new Date().toISOString()
      }
      return {
        streamId: eventStream(eventId),
        expectedVersion: "no_stream",
        events: [
          // The publish path's log id: a repeat of this append is a duplicate the store recognises.
          publishedEventCodec.encode(published, `published:${accountId}:${eventId}`, {
            actor: { kind: "system" },
            causationId: source.eventId,
            ...(source.metadata.correlationId === undefined ? {} : { correlationId: source.metadata.correlationId })
          })
        ]
      }
    })

  /**
   * Of the decided appends, those not in the log yet. Only a rewound checkpoint decides one again (the
   * checkpoint moves with the appends), and the store would refuse it: the dispatcher has added to the
   * event's stream since, so "no stream" no longer holds. Read before the append without a race: another
   * instance appending meanwhile would have moved the checkpoint, and this append is then overtaken.
   */
  const unpublished = (appends: ReadonlyArray<StreamAppend>) =>
    appends.length === 0
      ? Effect.succeed(appends)
      : Effect.map(
        sql.unsafe<{ stream_id: string }>("SELECT DISTINCT stream_id FROM events WHERE stream_id = ANY($1::text[])", [
          appends.map((a) => a.streamId)
        ]),
        (rows) => {
          const present = new Set(rows.map((r) => r.stream_id))
          return appends.filter((a) => !present.has(a.streamId))
        }
      )

  const run = Effect.gen(function* () {
    yield* ensureOperatorAccount
    let checkpoint = yield* loadCheckpoint
    current = checkpoint
    const stored = makeStoredCheckpoint(checkpoint)
    let lastStore = Date.now()
    const idleDue = (to: LogPosition) => stored.idleDue(to) && Date.now() - lastStore >= idleStoreMs
    const storeUpTo = (to: LogPosition, decided: ReadonlyArray<StreamAppend>) =>
      Effect.gen(function* () {
        const appends = yield* unpublished(decided)
        yield* store.appendAdvancingReactor(reactorName, stored.position(), to, appends).pipe(
          Effect.ensuring(notifications.transactionEnded)
        )
        stored.storedAs(to)
        lastStore = Date.now()
      })
    for (;;) {
      const { events, scannedTo } = yield* store.readAllOfTypes(checkpoint, batchSize, types, omitFields)
      if (LogPosition.compare(scannedTo, checkpoint) <= 0) {
        if (idleDue(checkpoint)) yield* storeUpTo(checkpoint, [])
        yield* notifications.awaitBeyond(
          checkpoint.transactionId,
          types,
          Duration.millis(settings.pollIntervalMs),
          Duration.millis(settleMs)
        )
        continue
      }
      const appends: Array<StreamAppend> = []
      for (const event of events) {
        for (const { notice, owner } of yield* noticesOf(event)) appends.push(...appendsFor(event, notice, owner))
      }
      if (appends.length > 0 || idleDue(scannedTo)) yield* storeUpTo(scannedTo, appends)
      checkpoint = scannedTo
      current = checkpoint
    }
  })

  // Any failure (the database away, a read model a moment behind) starts over from the stored checkpoint.
  yield* supervised("operational reactor", run).pipe(Effect.forkScoped)

  return OperationalReactor.of({ checkpoint: Effect.sync(() => current) })
})

export const OperationalReactorLive = Layer.effect(OperationalReactor, make)
