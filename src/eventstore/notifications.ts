import { PgClient } from "@effect/sql-pg"
import { Cause, Context, Deferred, Duration, Effect, Exit, Layer, Option, Queue, Redacted, Schedule, Schema, Stream } from "effect"
import { randomUUID } from "node:crypto"
import pg from "pg"

export const eventsChannel = "hookline_events"

export interface LogNotificationsShape {
  /**
   * Waits until the log may hold events of `types` after a reader whose last event came from transaction
   * `seenTransaction`: until an announced transaction that appended such events (any events, when it was
   * announced by another process) has become readable, that is, fell below the snapshot's xmin. Wakes
   * after `pollInterval` regardless, in case an announcement was missed.
   *
   * Readers used to poll with growing pauses while an announced commit was not readable yet: under a
   * steady load five readers then ran thousands of empty queries a second. Now one watcher learns when
   * announced commits become readable, and a reader wakes only for the event types it reads.
   */
  readonly awaitBeyond: (
    seenTransaction: bigint,
    types: ReadonlyArray<string> | "all",
    pollInterval: Duration.Duration,
    /**
     * After a wake-up, wait this much longer so the appends that follow are read together: under load a
     * reader woken by every append would run a query per append.
     */
    settle?: Duration.Duration
  ) => Effect.Effect<void>
  /**
   * Tells readers in this process, and other processes through one coalesced `pg_notify`, that a
   * transaction appended events of `types`. Called by the EventStore after an append.
   */
  readonly announce: (transactionId: bigint, types: Iterable<string>) => Effect.Effect<void>
  /**
   * A write transaction of this process ended: the snapshot's xmin may have moved, so announced commits
   * waiting behind it may be readable now. Any writer that holds transactions open should say so.
   */
  readonly transactionEnded: Effect.Effect<void>
}

export class LogNotifications extends Context.Service<LogNotifications, LogNotificationsShape>()(
  "hookline/LogNotifications"
) {}

/** The longest pause between two looks at the xmin while announced commits wait behind it. */
const maxXminPauseMs = 20
/** The shortest: in-process transaction ends can come every few microseconds; one look covers them all. */
const minXminPauseMs = 1
/** The least time between two pg_notify: other processes' readers settle for about as long anyway. */
const notifySpacing = Duration.millis(5)

interface Waiter {
  readonly seenTransaction: bigint
  readonly types: ReadonlyArray<string> | "all"
  readonly woken: Deferred.Deferred<void>
}

export class ListenConnectionLost extends Schema.TaggedError<ListenConnectionLost>()("ListenConnectionLost", {
  cause: Schema.Defect()
}) {}

/**
 * The pool's connection settings, for connections Hookline opens through `pg` directly. An effect: the
 * pool's password may be given as an effect that yields it.
 */
export const clientConfig = (config: PgClient.PgClientConfig): Effect.Effect<pg.ClientConfig> =>
  Effect.gen(function* () {
    const password = Effect.isEffect(config.password) ? yield* config.password : config.password
    return {
      ...(config.url === undefined ? {} : { connectionString: Redacted.value(config.url) }),
      ...(config.host === undefined ? {} : { host: config.host }),
      ...(config.port === undefined ? {} : { port: config.port }),
      ...(config.database === undefined ? {} : { database: config.database }),
      ...(config.username === undefined ? {} : { user: config.username }),
      ...(password === undefined ? {} : { password: Redacted.value(password) }),
      application_name: "hookline-listen",
      keepAlive: true
    }
  })

/**
 * Notifications on `channel` until the connection fails, on a connection of its own (hookline-listen)
 * rather than one held out of the pool, as sql-pg's `listen` would. A lost connection ends the stream
 * with an error and the caller listens again.
 */
const listenOnce = (config: pg.ClientConfig, channel: string) =>
  Stream.callback<string, ListenConnectionLost>((queue) =>
    Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const client = new pg.Client(config)
          const lost = (cause: unknown) => Queue.failCauseUnsafe(queue, Cause.fail(new ListenConnectionLost({ cause })))
          client.on("error", lost)
          client.on("end", () => lost("connection ended"))
          client.on("notification", (message) => {
            if (message.channel === channel && message.payload !== undefined) Queue.offerUnsafe(queue, message.payload)
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

export interface Announced {
  readonly transactionId: bigint
  /** The event types it appended; null when unknown (another process announced it). */
  readonly types: ReadonlySet<string> | null
}

const maxWaiting = 1_000

/** Announcements folded into one: the newest transaction, every type. */
export const collapse = (entries: ReadonlyArray<Announced>): Announced => {
  let transactionId = 0n
  let types: Set<string> | null = new Set()
  for (const entry of entries) {
    if (entry.transactionId > transactionId) transactionId = entry.transactionId
    if (entry.types === null) types = null
    else if (types !== null) for (const type of entry.types) types.add(type)
  }
  return { transactionId, types }
}

export const make = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const config = yield* clientConfig(sql.config)
  // Names this process in its notifications, so it can ignore its own.
  const instance = randomUUID()

  // Announced commits not yet readable, and per event type the highest announced transaction that is.
  // Mutated only by synchronous code on the one JavaScript thread.
  let waiting: Array<Announced> = []
  const readableByType = new Map<string, bigint>()
  let readableAny = 0n
  // Readers waiting for their types, each woken (its Deferred completed) once something it reads is
  // readable. A Deferred per wait, not a stream of changes: readers wait after nearly every read, and a
  // subscription per wait cost more than the wait.
  const waiters = new Set<Waiter>()
  const wakeReaders = () => {
    for (const waiter of waiters) {
      if (readableFor(waiter.types) > waiter.seenTransaction) {
        waiters.delete(waiter)
        Deferred.doneUnsafe(waiter.woken, Exit.void)
      }
    }
  }
  // Wakes the xmin watcher: something was announced, or a transaction of this process ended.
  const wake = yield* Queue.sliding<void>(1)

  const remember = (transactionId: bigint, types: ReadonlySet<string> | null) => {
    waiting.push({ transactionId, types })
    // A transaction held open for long (someone's idle session) keeps everything waiting: fold the list
    // into one entry that becomes readable with the newest, so memory stays bounded. Readers then wake a
    // little later than they could have, never earlier than they should.
    if (waiting.length > maxWaiting) waiting = [collapse(waiting)]
    Queue.offerUnsafe(wake, undefined)
  }

  const readableFor = (types: ReadonlyArray<string> | "all"): bigint => {
    let max = readableAny
    if (types === "all") {
      for (const value of readableByType.values()) if (value > max) max = value
      return max
    }
    for (const type of types) {
      const value = readableByType.get(type)
      if (value !== undefined && value > max) max = value
    }
    return max
  }

  /** Moves every announced commit below `xmin` to readable; true when any did. */
  const release = (xmin: bigint) => {
    const still: Array<Announced> = []
    let moved = false
    for (const entry of waiting) {
      if (entry.transactionId >= xmin) {
        still.push(entry)
        continue
      }
      moved = true
      if (entry.types === null) {
        if (entry.transactionId > readableAny) readableAny = entry.transactionId
        continue
      }
      for (const type of entry.types) {
        if ((readableByType.get(type) ?? 0n) < entry.transactionId) readableByType.set(type, entry.transactionId)
      }
    }
    waiting = still
    return moved
  }

  // The watcher asks on a connection of its own, through pg directly: it asks hundreds of times a
  // second under load, and a statement through the pool costs about three times the CPU.
  let xminClient: pg.Client | undefined
  const dropXminClient = () => {
    const client = xminClient
    xminClient = undefined
    if (client !== undefined) client.end().catch(() => undefined)
  }
  yield* Effect.addFinalizer(() => Effect.sync(dropXminClient))
  const currentXmin = Effect.tryPromise(async () => {
    if (xminClient === undefined) {
      // Bounded waits: a connection that hangs (rather than fails) must not stall every reader's wake-up.
      const client = new pg.Client({
        ...config,
        application_name: "hookline-xmin",
        connectionTimeoutMillis: 5_000,
        query_timeout: 5_000
      })
      client.on("error", () => {
        if (xminClient === client) dropXminClient()
      })
      await client.connect()
      xminClient = client
    }
    const result = await xminClient.query<{ xmin: string }>("SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin")
    return BigInt(result.rows[0]!.xmin)
  }).pipe(Effect.tapError(() => Effect.sync(dropXminClient)))

  // The xmin watcher: while announced commits wait, it looks at the xmin after every transaction end in
  // this process (at most once a millisecond) and otherwise with growing pauses (commits of other
  // processes), and tells the readers when something became readable.
  yield* Effect.gen(function* () {
    let pause = minXminPauseMs
    for (;;) {
      if (waiting.length === 0) {
        yield* Queue.take(wake)
        pause = minXminPauseMs
      }
      // Whatever else woke it meanwhile is covered by this one look. Queue.clear, not takeAll: in
      // Effect 4 takeAll waits for a value when the queue is empty.
      yield* Queue.clear(wake)
      // The database away: nothing becomes readable; look again after a pause.
      const xmin = yield* Effect.orElseSucceed(currentXmin, () => 0n)
      if (release(xmin)) {
        wakeReaders()
        pause = minXminPauseMs
      }
      if (waiting.length === 0) continue
      yield* Effect.sleep(Duration.millis(minXminPauseMs))
      yield* Effect.raceFirst(Queue.take(wake), Effect.sleep(Duration.millis(pause)))
      pause = Math.min(maxXminPauseMs, pause * 2)
    }
  }).pipe(Effect.forkScoped)

  yield* listenOnce(config, eventsChannel).pipe(
    Stream.runForEach((payload) =>
      Effect.sync(() => {
        // Our own announcements went to the readers directly, with their event types.
        const [from, transactionId] = payload.split(":")
        if (from !== instance && transactionId !== undefined && /^[0-9]+$/.test(transactionId)) {
          remember(BigInt(transactionId), null)
        }
      })
    ),
    // A dropped LISTEN connection is re-opened; readers poll meanwhile, so nothing is missed.
    Effect.tapCause((cause) => Effect.logWarning("event notifications lost; listening again", cause)),
    Effect.retry(Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced("5 seconds")])),
    Effect.forkScoped
  )

  // Announcements to pass on to other processes; whatever piles up during one pg_notify goes in the next.
  const outgoing = yield* Queue.unbounded<bigint>()
  yield* Queue.takeBetween(outgoing, 1, Number.MAX_SAFE_INTEGER).pipe(
    Effect.flatMap((ids) => {
      let max = 0n
      for (const id of ids) if (id > max) max = id
      return Effect.andThen(sql`SELECT pg_notify(${eventsChannel}, ${`${instance}:${max}`})`, Effect.sleep(notifySpacing))
    }),
    Effect.catchCause((cause) => Effect.logDebug("pg_notify failed; other processes will poll", cause)),
    Effect.forever,
    Effect.forkScoped
  )

  const announce = (transactionId: bigint, types: Iterable<string>) =>
    Effect.suspend(() => {
      remember(transactionId, new Set(types))
      return Queue.offer(outgoing, transactionId)
    })

  const transactionEnded = Effect.sync(() => {
    if (waiting.length > 0) Queue.offerUnsafe(wake, undefined)
  })

  const awaitBeyond = (
    seenTransaction: bigint,
    types: ReadonlyArray<string> | "all",
    pollInterval: Duration.Duration,
    settle: Duration.Duration = Duration.zero
  ): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (readableFor(types) > seenTransaction) return Effect.void
      const waiter: Waiter = { seenTransaction, types, woken: Deferred.makeUnsafe<void>() }
      waiters.add(waiter)
      return Deferred.await(waiter.woken).pipe(
        Effect.timeoutOption(pollInterval),
        Effect.flatMap((woken) =>
          Option.isSome(woken) && Duration.toMillis(settle) > 0 ? Effect.sleep(settle) : Effect.void
        ),
        Effect.ensuring(Effect.sync(() => waiters.delete(waiter)))
      )
    })

  return LogNotifications.of({ awaitBeyond, announce, transactionEnded })
})

export const LogNotificationsLive = Layer.effect(LogNotifications, make)
