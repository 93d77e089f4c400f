/**
 * What an attempt's outcome decides, as a pure function: the delivery's events, its next attempt time or
 * exhaustion, the circuit's step, and whether the webhook must be disabled. The endpoint actor sends,
 * then hands the outcome, the clock and a random source here, and only performs what comes back (append,
 * metrics, logs, disable).
 */
import { Option } from "effect"
import * as Circuit from "./circuit-breaker.js"
import type { AttemptTrigger, CircuitOpened } from "./delivery.js"
import { classifyOutcome, redactHeaders, type SendOutcome } from "./outcome.js"
import { nextAttemptDelayWithRetryAfter } from "./retry-policy.js"

/** A failure as the circuit keeps it: enough to say, when it opens, which attempts opened it. */
export interface FailureEvidence {
  readonly deliveryId: string
  readonly attempt: number
  readonly errorClass: string
}

export interface AttemptFacts {
  readonly deliveryId: string
  readonly webhookId: string
  /** Over the delivery's whole life. */
  readonly attempt: number
  /** Its place in the retry schedule (1 after the first attempt or a redelivery). */
  readonly retryAttempt: number
  readonly trigger: AttemptTrigger
  readonly url: string
  /** As sent; redacted here before anything is recorded. */
  readonly requestHeaders: Readonly<Record<string, string>>
  readonly startedAt: number
  readonly outcome: SendOutcome
}

export interface EndpointFacts {
  readonly retrySchedule: ReadonlyArray<number>
  readonly circuit: Circuit.CircuitState<FailureEvidence>
  readonly circuitConfig: Circuit.CircuitBreakerConfig
  /** False when the attempt went to a URL the circuit no longer watches (changed meanwhile). */
  readonly sameEndpoint: boolean
  /** Start of the current failing streak; undefined when the last attempt succeeded. */
  readonly failingSince: number | undefined
  /** Failed attempts in the current streak (0 when the last attempt succeeded). */
  readonly failuresInStreak: number
  readonly disableAfterFailingMs: number
}

/** An event for the log: its type and payload (the recorder adds id and metadata). */
export interface Decided {
  readonly type: "AttemptSucceeded" | "AttemptFailed" | "DeliveryExhausted"
  readonly data: object
}

export interface AttemptDecision {
  readonly events: ReadonlyArray<Decided>
  readonly success: boolean
  /** "" on success. */
  readonly errorClass: string
  readonly status: number | null
  readonly nextAttemptAt: string | null
  readonly exhausted: boolean
  readonly circuit: Circuit.CircuitStep<FailureEvidence>
  readonly failingSince: number | undefined
  readonly failuresInStreak: number
  /** A success that ended a failing streak: the number of attempts that had failed. */
  readonly recovered: number | undefined
  /** Set when the webhook must be disabled, with the reason recorded. */
  readonly disable: string | undefined
}

const iso = (ms: number) => new Date(ms).toISOString()

const describeError = (outcome: SendOutcome): { errorClass: string; error: string } =>
  outcome.kind === "error"
    ? { errorClass: outcome.errorClass, error: outcome.message }
    : { errorClass: outcome.status === 410 ? "gone" : `http_${outcome.status}`, error: `HTTP ${outcome.status}` }

const hours = (ms: number) => Math.round(ms / 3_600_000)

export const decideAttempt = (
  attempt: AttemptFacts,
  endpoint: EndpointFacts,
  now: number,
  random: () => number
): AttemptDecision => {
  const { outcome } = attempt
  const verdict = classifyOutcome(outcome, now)
  const status = outcome.kind === "response" ? outcome.status : null
  const base = {
    deliveryId: attempt.deliveryId,
    webhookId: attempt.webhookId,
    attempt: attempt.attempt,
    trigger: attempt.trigger,
    at: iso(attempt.startedAt),
    durationMs: Math.round(outcome.durationMs),
    url: attempt.url,
    requestHeaders: redactHeaders(attempt.requestHeaders),
    response: outcome.kind === "response"
      ? { status: outcome.status, headers: outcome.headers, body: outcome.bodyExcerpt }
      : null,
    status
  }
  const success = verdict._tag === "Success"
  const { errorClass, error } = success ? { errorClass: "", error: "" } : describeError(outcome)
  // A result from the URL before a change says nothing of the endpoint the circuit now watches.
  const circuit: Circuit.CircuitStep<FailureEvidence> = !endpoint.sameEndpoint
    ? { state: endpoint.circuit, transition: Option.none() }
    : success
    ? Circuit.onSuccess(endpoint.circuit, now)
    : Circuit.onFailure(endpoint.circuit, now, { deliveryId: attempt.deliveryId, attempt: attempt.attempt, errorClass }, endpoint.circuitConfig)
  const failingSince = success ? undefined : endpoint.failingSince ?? attempt.startedAt
  const failuresInStreak = success ? 0 : endpoint.failuresInStreak + 1
  if (success) {
    return {
      events: [{ type: "AttemptSucceeded", data: base }],
      success,
      errorClass,
      status,
      nextAttemptAt: null,
      exhausted: false,
      circuit,
      failingSince,
      failuresInStreak,
      recovered: endpoint.failuresInStreak > 0 ? endpoint.failuresInStreak : undefined,
      disable: undefined
    }
  }
  const delay = verdict._tag === "Disable"
    ? Option.none()
    : nextAttemptDelayWithRetryAfter(
      endpoint.retrySchedule,
      attempt.retryAttempt,
      random,
      verdict._tag === "RetryAfter" ? Option.some(verdict.retryAfterMs) : Option.none()
    )
  const nextAttemptAt = Option.isSome(delay) ? iso(now + delay.value) : null
  const events: Array<Decided> = [{ type: "AttemptFailed", data: { ...base, errorClass, error, nextAttemptAt } }]
  if (nextAttemptAt === null) {
    events.push({
      type: "DeliveryExhausted",
      data: { deliveryId: attempt.deliveryId, webhookId: attempt.webhookId, attempts: attempt.attempt, at: iso(now) }
    })
  }
  const failingFor = now - failingSince!
  const disable = verdict._tag === "Disable"
    ? verdict.reason
    : failingFor >= endpoint.disableAfterFailingMs
    ? `no successful delivery for ${hours(failingFor)} hours (limit ${hours(endpoint.disableAfterFailingMs)} hours)`
    : undefined
  return {
    events,
    success,
    errorClass,
    status,
    nextAttemptAt,
    exhausted: nextAttemptAt === null,
    circuit,
    failingSince,
    failuresInStreak,
    recovered: undefined,
    disable
  }
}

/** The payload of a circuit transition's event in `endpoint-<webhookId>`. */
export const circuitEventData = (
  webhookId: string,
  transition: Circuit.CircuitTransition<FailureEvidence>,
  now: number,
  url: string | undefined
): object =>
  transition._tag === "CircuitOpened"
    ? {
      webhookId,
      at: iso(now),
      ...(url === undefined ? {} : { url }),
      until: iso(transition.until),
      cooldownMs: transition.cooldownMs,
      failures: transition.failures
    } satisfies Omit<typeof CircuitOpened.Type, "_tag">
    : transition._tag === "CircuitClosed" && transition.reason !== undefined
    ? { webhookId, at: iso(now), reason: transition.reason }
    : { webhookId, at: iso(now) }
