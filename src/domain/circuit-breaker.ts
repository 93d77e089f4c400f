/**
 * An endpoint's circuit breaker, as a pure state machine: no clock, no IO. The endpoint actor owns the
 * state, passes the current time in, and appends every returned transition to `endpoint-<webhookId>` so
 * the breaker's history is in the log and can be restored after a restart (`evolve`).
 *
 *   Closed --(N consecutive failures)--> Open(until = now + cooldown)
 *   Open --(cooldown elapsed, on the next canSend)--> HalfOpen: one probe
 *   HalfOpen --(probe succeeds)--> Closed, cooldown back to base
 *   HalfOpen --(probe fails)--> Open with the cooldown doubled, up to the maximum
 *   any --(the webhook's URL changes)--> Closed, with no failures: it is a new endpoint
 *
 * Results of requests sent before the circuit opened can arrive while it is open: they are ignored (a late
 * failure must not extend the cooldown, a late success is weaker evidence than the probe). While the probe
 * is out, the next result is taken as the probe's.
 */
import { Option } from "effect"

export interface CircuitBreakerConfig {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number
  readonly baseCooldownMs: number
  readonly maxCooldownMs: number
  /**
   * A probe with no reported result after this long (its actor crashed, say) no longer blocks the next
   * one. Keep it above the delivery timeout.
   */
  readonly probeTimeoutMs: number
}

export const DEFAULT_CIRCUIT_BREAKER_CONFIG: CircuitBreakerConfig = {
  failureThreshold: 5,
  baseCooldownMs: 30_000,
  maxCooldownMs: 600_000,
  probeTimeoutMs: 60_000
}

/** `E` is whatever the caller records as evidence of a failure (delivery id, attempt, status or error). */
export type CircuitState<E> =
  | { readonly _tag: "Closed"; readonly failures: ReadonlyArray<E> }
  | { readonly _tag: "Open"; readonly until: number; readonly cooldownMs: number }
  | {
    readonly _tag: "HalfOpen"
    readonly cooldownMs: number
    /** undefined: no probe out (e.g. just restored from the log). */
    readonly probeStartedAt: number | undefined
  }

export type CircuitTransition<E> =
  | {
    readonly _tag: "CircuitOpened"
    /** The failures that opened it: the consecutive run from Closed, or the failed probe. */
    readonly failures: ReadonlyArray<E>
    readonly cooldownMs: number
    readonly until: number
  }
  | { readonly _tag: "CircuitHalfOpened" }
  /** `reason`: why it closed other than by a probe's success. */
  | { readonly _tag: "CircuitClosed"; readonly reason?: "url changed" }

export type SendDecision =
  | { readonly _tag: "Allowed" }
  /** Send nothing for this long, then ask again. */
  | { readonly _tag: "Wait"; readonly ms: number }
  /** Send exactly one delivery; its result decides the circuit. */
  | { readonly _tag: "Probe" }

export interface CircuitStep<E> {
  readonly state: CircuitState<E>
  readonly transition: Option.Option<CircuitTransition<E>>
}

export interface SendCheck<E> extends CircuitStep<E> {
  readonly decision: SendDecision
}

const CLOSED: CircuitState<never> = { _tag: "Closed", failures: [] }
const ALLOWED: SendDecision = { _tag: "Allowed" }
const PROBE: SendDecision = { _tag: "Probe" }
const HALF_OPENED: CircuitTransition<never> = { _tag: "CircuitHalfOpened" }
const CLOSED_TRANSITION: CircuitTransition<never> = { _tag: "CircuitClosed" }

export const initialState = <E>(): CircuitState<E> => CLOSED

const unchanged = <E>(state: CircuitState<E>): CircuitStep<E> => ({ state, transition: Option.none() })

/** Whether a delivery may be sent now. Entering half-open is itself a transition, hence the step. */
export const canSend = <E>(
  state: CircuitState<E>,
  now: number,
  config: CircuitBreakerConfig = DEFAULT_CIRCUIT_BREAKER_CONFIG
): SendCheck<E> => {
  switch (state._tag) {
    case "Closed":
      return { decision: ALLOWED, state, transition: Option.none() }
    case "Open":
      if (now < state.until) return { decision: { _tag: "Wait", ms: state.until - now }, state, transition: Option.none() }
      return {
        decision: PROBE,
        state: { _tag: "HalfOpen", cooldownMs: state.cooldownMs, probeStartedAt: now },
        transition: Option.some(HALF_OPENED)
      }
    case "HalfOpen": {
      const started = state.probeStartedAt
      if (started !== undefined && now - started < config.probeTimeoutMs) {
        return {
          decision: { _tag: "Wait", ms: started + config.probeTimeoutMs - now },
          state,
          transition: Option.none()
        }
      }
      return {
        decision: PROBE,
        state: { _tag: "HalfOpen", cooldownMs: state.cooldownMs, probeStartedAt: now },
        transition: Option.none()
      }
    }
  }
}

export const onSuccess = <E>(state: CircuitState<E>, _now: number): CircuitStep<E> => {
  switch (state._tag) {
    case "Closed":
      return state.failures.length === 0 ? unchanged(state) : unchanged(CLOSED)
    case "Open":
      return unchanged(state)
    case "HalfOpen":
      return { state: CLOSED, transition: Option.some(CLOSED_TRANSITION) }
  }
}

const open = <E>(failures: ReadonlyArray<E>, cooldownMs: number, now: number): CircuitStep<E> => {
  const until = now + cooldownMs
  return {
    state: { _tag: "Open", until, cooldownMs },
    transition: Option.some({ _tag: "CircuitOpened", failures, cooldownMs, until })
  }
}

export const onFailure = <E>(
  state: CircuitState<E>,
  now: number,
  evidence: E,
  config: CircuitBreakerConfig = DEFAULT_CIRCUIT_BREAKER_CONFIG
): CircuitStep<E> => {
  switch (state._tag) {
    case "Closed": {
      const failures = [...state.failures, evidence]
      return failures.length >= config.failureThreshold
        ? open(failures, config.baseCooldownMs, now)
        : unchanged({ _tag: "Closed", failures })
    }
    case "Open":
      return unchanged(state)
    case "HalfOpen":
      return open([evidence], Math.min(state.cooldownMs * 2, config.maxCooldownMs), now)
  }
}

const URL_CHANGED: CircuitTransition<never> = { _tag: "CircuitClosed", reason: "url changed" }

/**
 * The webhook's URL changed from `previousUrl` to `url`: a new endpoint, of which the old one's failures
 * and cooldown say nothing, so the circuit closes and the next attempt goes out at once. A closed circuit
 * only forgets its failing streak (no transition: nothing to record).
 */
export const onUrlChanged = <E>(state: CircuitState<E>, previousUrl: string, url: string): CircuitStep<E> => {
  if (previousUrl === url) return unchanged(state)
  return state._tag === "Closed" ? unchanged(CLOSED) : { state: CLOSED, transition: Option.some(URL_CHANGED) }
}

/**
 * Replays a recorded transition, to rebuild the state from `endpoint-<webhookId>` after a restart. A
 * restored half-open circuit has no probe out, so the next `canSend` sends one.
 */
export const evolve = <E>(
  state: CircuitState<E>,
  transition: CircuitTransition<E>,
  config: CircuitBreakerConfig = DEFAULT_CIRCUIT_BREAKER_CONFIG
): CircuitState<E> => {
  switch (transition._tag) {
    case "CircuitOpened":
      return { _tag: "Open", until: transition.until, cooldownMs: transition.cooldownMs }
    case "CircuitHalfOpened":
      return {
        _tag: "HalfOpen",
        cooldownMs: state._tag === "Closed" ? config.baseCooldownMs : state.cooldownMs,
        probeStartedAt: undefined
      }
    case "CircuitClosed":
      return CLOSED
  }
}
