import { randomUUID } from "node:crypto"
import type { KeyObject } from "node:crypto"
import { Context, Deferred, Duration, Effect, Option, Queue, Result, Scope, Semaphore } from "effect"
import { attemptDuration, attemptFailed, attemptSucceeded, deliveryExhausted, webhookAttempts } from "../metrics.js"
import type { AttemptTrigger } from "../domain/delivery.js"
import * as Webhook from "../domain/webhook.js"
import { deliveryStream, endpointStream } from "../domain/streams.js"
import type { LogPosition, NewEvent, StreamAppend } from "../eventstore/types.js"
import { decideAttempt, type FailureEvidence } from "../domain/attempt.js"
import * as Circuit from "../domain/circuit-breaker.js"
import type { HttpSenderShape } from "./http-sender.js"
import { makeCircuitGate } from "./circuit-gate.js"
import { makeRateLimiter } from "./rate-limiter.js"
import type { DeliveryRecorderShape } from "./recorder.js"
import { decodeSigningSecrets, sign } from "./signer.js"
import type { WebhookDirectory } from "./webhook-directory.js"

/** One attempt to make: what to send, and which attempt of the delivery it is. */
export interface DeliveryJob {
  readonly deliveryId: string
  readonly webhookId: string
  readonly eventId: string
  /** The envelope, serialised once per event and shared by all its deliveries. */
  readonly body: string
  /** The attempt's number over the delivery's whole life, redeliveries included. */
  readonly attempt: number
  /** Its place in the retry schedule: 1 for the first attempt and for the first after a redelivery. */
  readonly retryAttempt: number
  /** What asked for it; an attempt let through a half-open circuit is recorded as the probe instead. */
  readonly trigger: Exclude<AttemptTrigger, "probe">
  /** The publishing request's correlation id, carried onto every attempt's event. */
  readonly correlationId?: string | undefined
}

export interface ActorEnvironment {
  readonly directory: WebhookDirectory
  readonly sender: HttpSenderShape
  readonly recorder: DeliveryRecorderShape
  readonly globalLimit: Semaphore.Semaphore
  readonly timeoutMs: number
  readonly defaultRetrySchedule: ReadonlyArray<number>
  readonly defaultConcurrency: number
  readonly idleTimeout: Duration.Duration
  readonly mailboxCapacity: number
  readonly circuit: Circuit.CircuitBreakerConfig
  /** The job left memory: held until `after` is projected (null: at once, nothing was recorded). */
  readonly release: (job: DeliveryJob, after: LogPosition | null) => void
  /** `deliveryId`: the attempt that decided it, for the log line. */
  readonly disable: (webhookId: string, reason: string, deliveryId?: string) => Effect.Effect<void>
  /** A webhook failing without a single success for this long is disabled. */
  readonly disableAfterFailingMs: number
  /** What the log says of the endpoint when its actor starts: circuit state and failing streak. */
  readonly restore: (webhookId: string) => Effect.Effect<{
    readonly circuit: Circuit.CircuitState<FailureEvidence>
    /** The URL the circuit last opened for, when recorded: a webhook found at another URL starts closed. */
    readonly circuitUrl: string | undefined
    readonly failingSince: number | undefined
    readonly failuresInStreak: number
  }>
  /**
   * True once the process is stopping: requests already sent are finished and recorded; nothing new is
   * sent (a worker at the circuit, the rate limit or the mailbox is interrupted and its job left to the log).
   */
  readonly draining: () => boolean
}

export interface EndpointActor {
  /** Non-blocking; false when the mailbox is full or the actor has stopped (the job stays in the log). */
  readonly offer: (job: DeliveryJob) => boolean
  readonly backlog: () => number
  readonly inFlight: () => number
  /** Attempts whose request has gone out: the only ones a stop waits for (see `draining`). */
  readonly sending: () => number
  /** Worker fibers running: as many as the backlog needs, up to the limit; one when idle. */
  readonly workers: () => number
  /** The most workers that ran at once. */
  readonly peakWorkers: () => number
  /** Runs until `tick` finds it idle for the idle timeout; then, or on any exit, hands its jobs back. */
  readonly run: Effect.Effect<void, never, Scope.Scope>
  /**
   * The actor's upkeep, called about once a second by the runtime for every actor (one timer for all, not
   * one sleeping fiber each): starts workers for jobs queued behind busy ones, and ends the actor once it
   * has been idle for the idle timeout. Undefined when there is nothing to do, which is nearly always.
   */
  readonly tick: (now: number) => Effect.Effect<void> | undefined
}

const systemActor = { kind: "system" as const }
const systemMetadata = { actor: systemActor }

/**
 * The endpoint actor: a bounded mailbox and up to K worker fibers (K = the webhook's concurrency limit)
 * that take from it. Workers pulling from a bounded mailbox keep the per-delivery cost flat whatever the
 * backlog (EFFECT3-NOTES.md); a slow endpoint only ever occupies its own workers. Workers start as the
 * backlog asks for them, not K at once: most endpoints see a delivery now and then, and a thousand
 * actors with ten parked workers each held ten thousand fibers (tens of megabytes) for nothing.
 */
export const makeEndpointActor = (webhookId: string, env: ActorEnvironment): Effect.Effect<EndpointActor> =>
  Effect.zipWith(
    Queue.dropping<DeliveryJob>(env.mailboxCapacity),
    Effect.context<never>(),
    (mailbox, context) => actorOn(webhookId, env, mailbox, context)
  )

const actorOn = (
  webhookId: string,
  env: ActorEnvironment,
  mailbox: Queue.Queue<DeliveryJob>,
  /** The creating fiber's context: where the metrics updated synchronously below find their registry. */
  context: Context.Context<never>
): EndpointActor => {
  const idleMs = Duration.toMillis(env.idleTimeout)
  // Mutable state owned by this actor's fibers alone (one JavaScript thread: no torn updates).
  let stopped = false
  let inFlight = 0
  // Deliveries whose request is out: a Set, not a count, so a worker's exit clears its own entry however
  // the attempt ended.
  const sending = new Set<string>()
  let workers = 0
  let idleWorkers = 0
  let peakWorkers = 0
  let lastActivity = Date.now()
  const gate = makeCircuitGate(webhookId, {
    currentUrl: () => env.directory.settings(webhookId)?.url,
    recorder: env.recorder,
    config: env.circuit
  })
  let failingSince: number | undefined
  let failuresInStreak = 0
  const keyCache = new Map<string, KeyObject>()
  // Resolved once per actor: the per-webhook series (or the shared "other" one past the bound).
  const perWebhook = webhookAttempts(webhookId)
  let parsedUrl: { readonly text: string; readonly url: URL } | undefined

  const urlOf = (text: string): URL => {
    if (parsedUrl?.text !== text) parsedUrl = { text, url: new URL(text) }
    return parsedUrl.url
  }

  const keysFor = (webhook: Webhook.Webhook, now: number) => {
    const secrets = Webhook.signingSecrets(webhook, new Date(now))
    const keys: Array<KeyObject> = []
    for (const secret of secrets) {
      let key = keyCache.get(secret)
      if (key === undefined) {
        const decoded = decodeSigningSecrets([secret])
        if (Result.isFailure(decoded)) continue
        key = decoded.success.keys[0]!
        keyCache.set(secret, key)
      }
      keys.push(key)
    }
    return { keys }
  }

  /**
   * A failed attempt's line, and the delivery's exhaustion if it was its last: ids, attempt, error class
   * and status only (never the URL, headers or bodies, which may carry secrets). Successes are not logged.
   */
  const logFailure = (job: DeliveryJob, errorClass: string, status: number | null, nextAttemptAt: string | null) => {
    const failed = Effect.logInfo("delivery attempt failed").pipe(
      Effect.annotateLogs({ webhookId, deliveryId: job.deliveryId, attempt: job.attempt, errorClass, status, nextAttemptAt })
    )
    return nextAttemptAt !== null
      ? failed
      : Effect.andThen(
          failed,
          Effect.logWarning("delivery exhausted").pipe(
            Effect.annotateLogs({ webhookId, deliveryId: job.deliveryId, attempts: job.attempt, errorClass })
          )
        )
  }

  const rateLimiter = makeRateLimiter()

  const attempt = Effect.fnUntraced(function* (job: DeliveryJob, taken: Webhook.Webhook) {
    // A closed circuit, the same URL and no rate limit, the common case, cost no Effect steps.
    const probe = gate.needsCheck(taken.url) ? yield* gate.pass(job.deliveryId) : false
    const startedAt = taken.rateLimit !== null ? yield* rateLimiter.pass(taken.rateLimit) : Date.now()
    // The settings again: a change made while this job waited at the circuit or the rate limit (URL,
    // headers, secret) applies to this attempt, not the next.
    const webhook = env.directory.settings(webhookId)
    if (webhook === undefined || webhook.status !== "active") {
      // Deleted, disabled or paused meanwhile: the delivery waits in the log.
      env.release(job, null)
      return
    }
    if (webhook.url !== gate.url()) yield* gate.follow(webhook.url, job.deliveryId)
    const headers: Record<string, string> = {
      ...webhook.headers,
      "webhook-id": job.eventId,
      "webhook-timestamp": String(Math.floor(startedAt / 1000)),
      "webhook-signature": sign({
        msgId: job.eventId,
        timestamp: Math.floor(startedAt / 1000),
        body: job.body,
        keys: keysFor(webhook, startedAt)
      })
    }
    // Stopping while it waited at the circuit or the rate limit: nothing was sent, so the job is left to
    // the log; the worker parks until the actor's scope interrupts it (which releases the job).
    if (env.draining()) return yield* Effect.never
    const outcome = yield* env.globalLimit.withPermit(
      Effect.suspend(() => {
        // Checked again once the permit is had: a worker queued at the global limit when the stop began
        // has sent nothing, so the stop does not wait for it.
        if (env.draining()) return Effect.never
        sending.add(job.deliveryId)
        return env.sender.send({ url: urlOf(webhook.url), headers, body: job.body, timeoutMs: env.timeoutMs })
      })
    )
    const now = Date.now()
    const decision = decideAttempt(
      {
        deliveryId: job.deliveryId,
        webhookId,
        attempt: job.attempt,
        retryAttempt: job.retryAttempt,
        trigger: probe ? "probe" : job.trigger,
        url: webhook.url,
        requestHeaders: headers,
        startedAt,
        outcome
      },
      {
        retrySchedule: Webhook.effectiveRetrySchedule(webhook, env.defaultRetrySchedule),
        circuit: gate.state(),
        circuitConfig: env.circuit,
        sameEndpoint: webhook.url === gate.url(),
        failingSince,
        failuresInStreak,
        disableAfterFailingMs: env.disableAfterFailingMs
      },
      now,
      Math.random
    )
    gate.apply(decision.circuit)
    failingSince = decision.failingSince
    failuresInStreak = decision.failuresInStreak
    const metadata = job.correlationId === undefined
      ? systemMetadata
      : { actor: systemActor, correlationId: job.correlationId }
    const appends: Array<StreamAppend> = [{
      streamId: deliveryStream(job.deliveryId),
      // A first scheduled attempt's stream is new unless a request or a cancellation came first: no
      // version lookup, and the store falls back to one if it exists after all.
      expectedVersion: job.attempt === 1 && job.trigger === "schedule" ? "new_or_any" : "any",
      events: decision.events.map((event) => ({ eventId: randomUUID(), type: event.type, data: event.data, metadata }))
    }]
    const transition = decision.circuit.transition
    const endpointEvents: Array<NewEvent> = []
    if (Option.isSome(transition)) endpointEvents.push(gate.transitionEvent(transition.value, now))
    if (decision.recovered !== undefined) {
      endpointEvents.push({
        eventId: randomUUID(),
        type: "EndpointRecovered",
        data: { webhookId, at: new Date(startedAt).toISOString(), failuresBefore: decision.recovered },
        metadata
      })
    }
    if (endpointEvents.length > 0) {
      appends.push({ streamId: endpointStream(webhookId), expectedVersion: "any", events: endpointEvents })
    }
    // Synchronous metric updates: three Effect steps per attempt cost more than the updates themselves.
    attemptDuration.updateUnsafe(outcome.durationMs / 1000, context)
    ;(decision.success ? attemptSucceeded : attemptFailed).updateUnsafe(1, context)
    ;(decision.success ? perWebhook.success : perWebhook.failure).updateUnsafe(1, context)
    if (decision.exhausted) deliveryExhausted.updateUnsafe(1, context)
    yield* env.recorder.record({ appends, onCommitted: (position) => env.release(job, position) })
    // Logged once the outcome is decided and queued; a success writes no line (the hot path stays quiet).
    if (!decision.success) yield* logFailure(job, decision.errorClass, decision.status, decision.nextAttemptAt)
    if (Option.isSome(transition)) yield* gate.logTransition(transition.value, job.deliveryId)
    if (decision.disable !== undefined) yield* env.disable(webhookId, decision.disable, job.deliveryId)
  })

  const limitNow = () => Math.max(env.directory.settings(webhookId)?.maxConcurrency ?? env.defaultConcurrency, 1)
  // Effect 4 counts only buffered jobs (never negative for waiting takers, as Effect 3's size was).
  const waiting = () => Queue.sizeUnsafe(mailbox)
  /** Jobs wait that no idle worker will take, and the limit allows another worker. */
  const shortOfWorkers = () => waiting() > idleWorkers && workers < limitNow()

  // The scope of `run`: workers live in it, whoever starts them (a worker, or the runtime's upkeep).
  let scope: Scope.Scope | undefined
  // Completed by the upkeep when the actor has been idle long enough: `run` then returns.
  const idle = Deferred.makeUnsafe<void>()

  // A started worker counts as idle at once, before it first runs: otherwise a loop starting workers
  // while jobs wait would start them up to the limit, none having taken a job yet.
  const startWorker: Effect.Effect<void> = Effect.suspend(() => {
    if (scope === undefined) return Effect.void
    idleWorkers++
    workers++
    if (workers > peakWorkers) peakWorkers = workers
    return Effect.forkIn(worker, scope)
  })

  /**
   * A worker that finds nothing waiting while another worker is already idle ends: a burst's workers do
   * not stay parked until the actor stops (a thousand endpoints after one burst each held five fibers
   * apiece). One idle worker stays, so the next job is taken without a fork.
   */
  const surplus = () => waiting() === 0 && idleWorkers > 0

  const exitWorker = Effect.sync(() => {
    workers--
  })

  // Built once: every worker's every take runs this same effect.
  const take = Queue.take(mailbox).pipe(Effect.ensuring(Effect.sync(() => idleWorkers--)))

  const worker: Effect.Effect<void> = Effect.gen(function* () {
    for (;;) {
      const job = yield* take
      lastActivity = Date.now()
      // More jobs wait than idle workers will take: a burst starts the workers it needs at once.
      if (shortOfWorkers()) yield* startWorker
      if (env.draining()) {
        // Stopping: this job stays in the log for the next start.
        env.release(job, null)
        return yield* Effect.never
      }
      const webhook = env.directory.settings(webhookId)
      if (webhook === undefined || webhook.status !== "active") {
        // Deleted, disabled or paused: the delivery waits in the log until the webhook takes it again.
        env.release(job, null)
      } else if (workers > (webhook.maxConcurrency ?? env.defaultConcurrency)) {
        // The limit was lowered while running: this worker hands its job to one within the limit and ends.
        if (!Queue.offerUnsafe(mailbox, job)) env.release(job, null)
        return
      } else {
        inFlight++
        yield* attempt(job, webhook).pipe(
          Effect.ensuring(Effect.sync(() => {
            inFlight--
            sending.delete(job.deliveryId)
            lastActivity = Date.now()
          })),
          Effect.onInterrupt(() => Effect.sync(() => env.release(job, null)))
        )
      }
      if (surplus()) return
      idleWorkers++
    }
  }).pipe(Effect.ensuring(exitWorker))

  const run = Effect.gen(function* () {
    // The settings stay loaded while the actor runs (released in the finalizer below).
    yield* Effect.acquireRelease(env.directory.load(webhookId), () =>
      Effect.sync(() => env.directory.unload(webhookId))
    )
    const restored = yield* env.restore(webhookId)
    // The first attempt's `follow` closes a restored circuit that opened for another URL.
    gate.restore(restored.circuit, restored.circuitUrl ?? env.directory.settings(webhookId)?.url)
    failingSince = restored.failingSince
    failuresInStreak = restored.failuresInStreak
    scope = yield* Effect.scope
    yield* startWorker
    // Until the upkeep finds the actor idle: quiet webhooks then cost no fiber.
    yield* Deferred.await(idle)
  }).pipe(
    Effect.ensuring(
      Effect.gen(function* () {
        stopped = true
        // `clear`, not `takeAll`: in Effect 4 `takeAll` waits for a first job, and an idle actor has none.
        const left = yield* Queue.clear(mailbox)
        for (const job of left) env.release(job, null)
      })
    )
  )

  return {
    offer: (job) => {
      if (stopped) return false
      lastActivity = Date.now()
      return Queue.offerUnsafe(mailbox, job)
    },
    backlog: () => waiting() + inFlight,
    inFlight: () => inFlight,
    sending: () => sending.size,
    workers: () => workers,
    peakWorkers: () => peakWorkers,
    run,
    tick: (now) => {
      if (stopped || scope === undefined) return undefined
      if (inFlight === 0 && waiting() === 0 && now - lastActivity > idleMs) {
        Deferred.doneUnsafe(idle, Effect.void)
        return undefined
      }
      // Jobs that arrived while every worker was busy (a slow endpoint) get another worker here.
      return shortOfWorkers() ? Effect.whileLoop({ while: shortOfWorkers, body: () => startWorker, step: () => {} }) : undefined
    }
  }
}
