import { PgClient } from "@effect/sql-pg"
import { Context, Duration, Effect, Layer, Queue, Redacted, Schedule, Schema, Stream, SubscriptionRef } from "effect"
import pg from "pg"

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
    pollInterval: Duration.Duration,
    /**
     * After an announcement wakes the reader, wait this much longer so the appends that follow are read
     * together: under load a reader woken by every append would run a query per append.
     */
    settle?: Duration.Duration
  ) => Effect.Effect<number>
  /**
   * Tells readers in this process at once, and other processes through one coalesced `pg_notify`, that
   * a transaction appended events. Called by the EventStore after an append.
   */
  readonly announce: (transactionId: bigint) => Effect.Effect<void>
}

export class LogNotifications extends Context.Tag("hookline/LogNotifications")<
  LogNotifications,
  LogNotificationsShape
>() {}

const maxShortWaitMs = 50
/** Short waits before concluding the announced transaction rolled back (or is long): then wait normally. */
const maxShortWaits = 10

export class ListenConnectionLost extends Schema.TaggedError<ListenConnectionLost>()("ListenConnectionLost", {
  cause: Schema.Defect
}) {}

/** The pool's connection settings, for the one dedicated LISTEN connection. */
const clientConfig = (config: PgClient.PgClientConfig): pg.ClientConfig => ({
  ...(config.url === undefined ? {} : { connectionString: Redacted.value(config.url) }),
  ...(config.host === undefined ? {} : { host: config.host }),
  ...(config.port === undefined ? {} : { port: config.port }),
  ...(config.database === undefined ? {} : { database: config.database }),
  ...(config.username === undefined ? {} : { user: config.username }),
  ...(config.password === undefined ? {} : { password: Redacted.value(config.password) }),
  application_name: "hookline-listen",
  keepAlive: true
})

/**
 * Notifications on `channel` until the connection fails. sql-pg's own `listen` neither reports a lost
 * connection nor reconnects, so a dead listener would go unnoticed; this one ends the stream with an
 * error and the caller listens again.
 */
const listenOnce = (config: pg.ClientConfig, channel: string) =>
  Stream.asyncPush<string, ListenConnectionLost>((emit) =>
    Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const client = new pg.Client(config)
          client.on("error", (error) => emit.fail(new ListenConnectionLost({ cause: error })))
          client.on("end", () => emit.fail(new ListenConnectionLost({ cause: "connection ended" })))
          client.on("notification", (message) => {
            if (message.channel === channel && message.payload !== undefined) emit.single(message.payload)
          })
          await client.connect()
          await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`)
          return client
        },
        catch: (cause) => new ListenConnectionLost({ cause })
      }),
      (client) =>
        Effect.promise(() => {
          client.removeAllListeners("end")
          client.removeAllListeners("error")
          client.on("error", () => undefined)
          return client.end().catch(() => undefined)
        }).pipe(Effect.timeoutOption(Duration.seconds(1)))
    )
  )

export const make = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  // The highest transaction id announced by the append trigger.
  const announced = yield* SubscriptionRef.make(0n)

  const config = clientConfig(sql.config)

  yield* listenOnce(config, eventsChannel).pipe(
    Stream.runForEach((payload) => {
      const transactionId = BigInt(payload)
      return SubscriptionRef.update(announced, (current) => (transactionId > current ? transactionId : current))
    }),
    // A dropped LISTEN connection is re-opened; readers poll meanwhile, so nothing is missed.
    Effect.tapErrorCause((cause) => Effect.logWarning("event notifications lost; listening again", cause)),
    Effect.retry(Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")))),
    Effect.forkScoped
  )

  // Announcements to pass on to other processes; whatever piles up during one pg_notify goes in the next.
  const outgoing = yield* Queue.unbounded<bigint>()
  yield* Queue.takeBetween(outgoing, 1, Number.MAX_SAFE_INTEGER).pipe(
    Effect.flatMap((ids) => {
      let max = 0n
      for (const id of ids) if (id > max) max = id
      return sql`SELECT pg_notify(${eventsChannel}, ${max.toString()})`
    }),
    Effect.catchAllCause((cause) => Effect.logDebug("pg_notify failed; other processes will poll", cause)),
    Effect.forever,
    Effect.forkScoped
  )

  const announce = (transactionId: bigint) =>
    Effect.zipRight(
      SubscriptionRef.update(announced, (current) => (transactionId > current ? transactionId : current)),
      Queue.offer(outgoing, transactionId)
    )

  const awaitBeyond = (
    seenTransaction: bigint,
    shortWaits: number,
    pollInterval: Duration.Duration,
    settle: Duration.Duration = Duration.zero
  ) =>
    Effect.flatMap(SubscriptionRef.get(announced), (latest) =>
      latest > seenTransaction && shortWaits < maxShortWaits
        ? Effect.as(
            Effect.sleep(Duration.millis(Math.min(maxShortWaitMs, 2 ** shortWaits))),
            shortWaits + 1
          )
        : announced.changes.pipe(
            // The first element is the current value: past the short waits, only a new announcement counts.
            Stream.drop(latest > seenTransaction ? 1 : 0),
            Stream.filter((transactionId) => transactionId > seenTransaction),
            Stream.take(1),
            Stream.runDrain,
            Effect.timeoutTo({
              duration: pollInterval,
              onSuccess: () => (Duration.toMillis(settle) > 0 ? Effect.sleep(settle) : Effect.void),
              onTimeout: () => Effect.void
            }),
            Effect.flatten,
            Effect.as(0)
          )
    )

  return LogNotifications.of({ awaitBeyond, announce })
})

export const LogNotificationsLive = Layer.scoped(LogNotifications, make)
