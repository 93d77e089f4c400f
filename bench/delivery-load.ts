/**
 * What the delivery cases share: accounts and webhooks made through Hookline's own API, events published
 * through the batch route, and the wait until the receiver holds the deliveries and the log holds their
 * outcomes.
 */
import { performance } from "node:perf_hooks"
import { Duration, Effect } from "effect"
import type pg from "pg"
import type { Receiver } from "./receiver-launcher.js"
import { type Account, type Hookline, HooklineFailed, waitUntil, type WebhookSpec } from "./hookline.js"
import { messageCreated } from "./payloads.js"

export interface Tenant {
  readonly account: Account
  readonly webhookIds: ReadonlyArray<string>
}

/**
 * `accounts` accounts with `webhooksPerAccount` webhooks each. A published event goes to every webhook of
 * its account subscribed to its type, so accounts are how a case chooses 1:1 or fan-out.
 */
export const makeTenants = (
  hookline: Hookline,
  options: {
    readonly label: string
    readonly accounts: number
    readonly webhooksPerAccount: number
    readonly webhook: (account: number, webhook: number) => WebhookSpec
  }
): Effect.Effect<ReadonlyArray<Tenant>, HooklineFailed> =>
  Effect.forEach(
    Array.from({ length: options.accounts }, (_, a) => a),
    (a) =>
      Effect.gen(function* () {
        const account = yield* hookline.createAccount(`${options.label} ${a}`)
        const webhookIds = yield* Effect.forEach(
          Array.from({ length: options.webhooksPerAccount }, (_, w) => w),
          (w) => hookline.createWebhook(account, options.webhook(a, w))
        )
        return { account, webhookIds }
      }),
    // Creating a webhook waits for its read model; a few at once keep that wait off the critical path.
    { concurrency: 6 }
  )

/** One customer event as the batch route takes it, with an id the receiver sees as `webhook-id`. */
export const publishedEvent = (id: string, n: number) => ({ id, type: "message.created", data: messageCreated(n) })

export interface PublishPlan {
  readonly account: Account
  readonly events: ReadonlyArray<unknown>
}

/**
 * Publishes every plan's events in batches of `batchSize`, taking the accounts in turn so every webhook
 * gets work from the start, with `concurrency` requests in flight.
 */
export const publishAll = (
  hookline: Hookline,
  plans: ReadonlyArray<PublishPlan>,
  options: { readonly batchSize: number; readonly concurrency: number }
): Effect.Effect<number, HooklineFailed> => {
  const batches: Array<{ readonly account: Account; readonly events: ReadonlyArray<unknown> }> = []
  const longest = Math.max(0, ...plans.map((p) => p.events.length))
  for (let from = 0; from < longest; from += options.batchSize) {
    for (const plan of plans) {
      const events = plan.events.slice(from, from + options.batchSize)
      if (events.length > 0) batches.push({ account: plan.account, events })
    }
  }
  return Effect.map(
    Effect.forEach(batches, (b) => hookline.publishBatch(b.account, b.events), { concurrency: options.concurrency }),
    (counts) => counts.reduce((a, b) => a + b, 0)
  )
}

/** Outcome events of each type in the log (the source of truth for "every attempt recorded"). */
export const countOutcomes = (pool: pg.Pool): Effect.Effect<{ succeeded: number; failed: number }, HooklineFailed> =>
  Effect.tryPromise({
    try: async () => {
      const result = await pool.query<{ event_type: string; n: string }>(
        `SELECT event_type, count(*)::text AS n FROM events
          WHERE event_type IN ('AttemptSucceeded', 'AttemptFailed') GROUP BY event_type`
      )
      const of = (type: string) => Number(result.rows.find((r) => r.event_type === type)?.n ?? 0)
      return { succeeded: of("AttemptSucceeded"), failed: of("AttemptFailed") }
    },
    catch: (error) => new HooklineFailed({ message: `counting outcomes: ${String(error)}` })
  })

export interface Delivered {
  /** From just before the first publish to the last delivery held by the receiver and recorded. */
  readonly seconds: number
  /** When the receiver alone held them all (the recording may trail a little). */
  readonly receivedSeconds: number
}

/**
 * Waits until the receiver has answered `expected` successful requests on `route` (all routes when
 * absent) and the log holds `expectedRecorded` AttemptSucceeded in total; times it from `start`
 * (a `performance.now()`).
 */
export const awaitDelivered = (
  receiver: Receiver,
  pool: pg.Pool,
  options: {
    readonly start: number
    readonly expected: number
    readonly expectedRecorded: number
    readonly route?: string
    readonly timeout: Duration.Input
  }
): Effect.Effect<Delivered, unknown> =>
  Effect.gen(function* () {
    let received = 0
    let recorded = 0
    yield* waitUntil(
      "the receiver to hold every delivery",
      Effect.map(receiver.stats, (s) => {
        received = options.route === undefined ? s.succeeded : (s.byRoute[options.route]?.succeeded ?? 0)
        return received >= options.expected
      }),
      { timeout: options.timeout, intervalMs: 25, describe: () => `${received} of ${options.expected}` }
    )
    const receivedAt = performance.now()
    // The log is only asked once the receiver is done: a count(*) per poll would compete with Hookline.
    yield* waitUntil(
      "every attempt to be recorded",
      Effect.map(countOutcomes(pool), (c) => {
        recorded = c.succeeded
        return recorded >= options.expectedRecorded
      }),
      { timeout: Duration.seconds(30), intervalMs: 25, describe: () => `${recorded} of ${options.expectedRecorded} AttemptSucceeded` }
    )
    const end = performance.now()
    return { seconds: (end - options.start) / 1000, receivedSeconds: (receivedAt - options.start) / 1000 }
  })

export const fail = (message: string) => Effect.fail(new HooklineFailed({ message }))
