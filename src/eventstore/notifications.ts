import { PgClient } from "@effect/sql-pg"
import { Context, Duration, Effect, Layer, Schedule, Stream, SubscriptionRef } from "effect"

export const eventsChannel = "hookline_events"

export interface LogNotificationsShape {
  /**
   * Waits until the log may hold something after a reader whose last event came from transaction
   * `seenTransaction`, and returns the count of consecutive short waits (pass it back next time).
   *
   * A commit that was announced but is not readable yet (an older transaction still runs, holding the
   * snapshot's xmin back) is retried after a short, growing pause rather than a full poll interval;
   * with nothing announced it waits for a notification, or `pollInterval` when one was missed.
   */
  readonly awaitBeyond: (
    seenTransaction: bigint,
    shortWaits: number,
    pollInterval: Duration.Duration
  ) => Effect.Effect<number>
}

export class LogNotifications extends Context.Tag("hookline/LogNotifications")<
  LogNotifications,
  LogNotificationsShape
>() {}

const maxShortWaitMs = 50

export const make = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  // The highest transaction id announced by the append trigger.
  const announced = yield* SubscriptionRef.make(0n)

  yield* sql.listen(eventsChannel).pipe(
    Stream.runForEach((payload) => {
      const transactionId = BigInt(payload)
      return SubscriptionRef.update(announced, (current) => (transactionId > current ? transactionId : current))
    }),
    // A dropped LISTEN connection is re-opened; readers poll meanwhile, so nothing is missed.
    Effect.tapErrorCause((cause) => Effect.logWarning("event notifications lost; listening again", cause)),
    Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")))),
    Effect.forkScoped
  )

  const awaitBeyond = (seenTransaction: bigint, shortWaits: number, pollInterval: Duration.Duration) =>
    Effect.flatMap(SubscriptionRef.get(announced), (latest) =>
      latest > seenTransaction
        ? Effect.as(
            Effect.sleep(Duration.millis(Math.min(maxShortWaitMs, 2 ** shortWaits))),
            shortWaits + 1
          )
        : announced.changes.pipe(
            Stream.filter((transactionId) => transactionId > seenTransaction),
            Stream.take(1),
            Stream.runDrain,
            Effect.timeout(pollInterval),
            Effect.ignore,
            Effect.as(0)
          )
    )

  return LogNotifications.of({ awaitBeyond })
})

export const LogNotificationsLive = Layer.scoped(LogNotifications, make)
