import { randomUUID } from "node:crypto"
import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import type { DeliveryCancelled } from "../domain/delivery.js"
import { deliveryStream } from "../domain/streams.js"
import type { EventStoreShape } from "../eventstore/event-store.js"
import { type EventMetadata, LogPosition, type NewEvent } from "../eventstore/types.js"

/** What a delivery of a deleted webhook ends with: the reason recorded in its stream and shown in the log. */
export const webhookDeletedReason = "webhook deleted"

export interface OpenDelivery {
  readonly deliveryId: string
  readonly webhookId: string
}

/** Deliveries still to be attempted (pending or retrying) of one webhook, from the delivery log. */
export const openDeliveriesOf = (webhookId: string) =>
  Effect.map(
    Effect.flatMap(SqlClient, (sql) =>
      sql<{ delivery_id: string }>`
        SELECT delivery_id FROM deliveries_due WHERE webhook_id = ${webhookId}`
    ),
    (rows): ReadonlyArray<OpenDelivery> => rows.map((row) => ({ deliveryId: row.delivery_id, webhookId }))
  )

/**
 * Appends one event to each delivery's stream, 500 streams a transaction, with expected version "any":
 * these are requests about deliveries (redeliver, cancel), valid whatever the stream holds. Returns the
 * position of the last event written, for read-your-writes.
 */
export const appendToEachDelivery = <D extends OpenDelivery>(
  store: Pick<EventStoreShape, "appendBatch">,
  deliveries: ReadonlyArray<D>,
  event: (delivery: D) => Omit<NewEvent, "eventId">
) =>
  Effect.gen(function* () {
    let last: LogPosition | undefined
    for (let i = 0; i < deliveries.length; i += 500) {
      const results = yield* store.appendBatch(
        deliveries.slice(i, i + 500).map((delivery) => ({
          streamId: deliveryStream(delivery.deliveryId),
          expectedVersion: "any" as const,
          events: [{ eventId: randomUUID(), ...event(delivery) }]
        }))
      ).pipe(
        // Expected version "any" and fresh event ids: a conflict is a bug.
        Effect.catchTags({ WrongExpectedVersion: Effect.die, DuplicateEventId: Effect.die })
      )
      for (const result of results) {
        for (const recorded of result.events) {
          if (last === undefined || LogPosition.compare(recorded.position, last) > 0) last = recorded.position
        }
      }
    }
    return last
  })

/**
 * Ends each delivery with a `DeliveryCancelled` in its stream. A cancellation repeated (the delete's and
 * the scanner's met) is harmless: the delivery log reads it as the same end.
 */
export const cancelDeliveries = (
  store: Pick<EventStoreShape, "appendBatch">,
  deliveries: ReadonlyArray<OpenDelivery>,
  reason: string,
  metadata: EventMetadata
) => {
  const at = new Date().toISOString()
  return appendToEachDelivery(store, deliveries, ({ deliveryId, webhookId }) => ({
    type: "DeliveryCancelled",
    data: { deliveryId, webhookId, at, reason } satisfies Omit<DeliveryCancelled, "_tag">,
    metadata
  }))
}
