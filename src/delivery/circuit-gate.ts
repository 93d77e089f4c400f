import { randomUUID } from "node:crypto"
import { Duration, Effect, Option } from "effect"
import { circuitEventData, type FailureEvidence } from "../domain/attempt.js"
import * as Circuit from "../domain/circuit-breaker.js"
import { endpointStream } from "../domain/streams.js"
import type { NewEvent } from "../eventstore/types.js"
import type { DeliveryRecorderShape } from "./recorder.js"

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * One endpoint's circuit, as its actor's workers meet it: the state, the URL that state is about, the
 * wait at an open circuit (and who gets the probe), and the recording and logging of every transition.
 * The decisions are the pure breaker's (domain/circuit-breaker.ts); this holds the state and does the IO.
 */
export const makeCircuitGate = (
  webhookId: string,
  env: {
    /** The webhook's URL now (its settings can change while a worker waits). */
    readonly currentUrl: () => string | undefined
    readonly recorder: DeliveryRecorderShape
    readonly config: Circuit.CircuitBreakerConfig
  }
) => {
  let circuit: Circuit.CircuitState<FailureEvidence> = Circuit.initialState()
  // The URL the circuit's state is about: a change of the webhook's URL closes the circuit.
  let circuitUrl: string | undefined

  const endpointEvent = (transition: Circuit.CircuitTransition<FailureEvidence>, now: number): NewEvent => ({
    eventId: randomUUID(),
    type: transition._tag,
    data: circuitEventData(webhookId, transition, now, circuitUrl),
    metadata: { actor: { kind: "system" } }
  })

  /**
   * One line per circuit transition, with the delivery whose attempt (or probe) caused it. An opening is
   * a warning: the endpoint's deliveries now wait.
   */
  const logTransition = (transition: Circuit.CircuitTransition<FailureEvidence>, deliveryId: string) =>
    transition._tag === "CircuitOpened"
      ? Effect.logWarning("circuit opened").pipe(
          Effect.annotateLogs({
            webhookId,
            deliveryId,
            failures: transition.failures.length,
            cooldownMs: transition.cooldownMs,
            until: iso(transition.until)
          })
        )
      : Effect.logInfo(transition._tag === "CircuitClosed" ? "circuit closed" : "circuit half-open").pipe(
          Effect.annotateLogs(
            transition._tag === "CircuitClosed" && transition.reason !== undefined
              ? { webhookId, deliveryId, reason: transition.reason }
              : { webhookId, deliveryId }
          )
        )

  const recordTransition = (
    step: { readonly transition: Option.Option<Circuit.CircuitTransition<FailureEvidence>> },
    now: number,
    deliveryId: string
  ) =>
    Option.isNone(step.transition)
      ? Effect.void
      : Effect.andThen(
          env.recorder.record({
            appends: [{ streamId: endpointStream(webhookId), expectedVersion: "any", events: [endpointEvent(step.transition.value, now)] }]
          }),
          logTransition(step.transition.value, deliveryId)
        )

  /**
   * Follows the webhook's current URL: a new one closes the circuit (recorded, with the delivery that
   * noticed). Checked before every attempt and on every turn of the wait at an open circuit, so a change
   * reaches a waiting delivery within a second.
   */
  const followUrl = (url: string | undefined, deliveryId: string): Effect.Effect<void> => {
    if (url === undefined || url === circuitUrl) return Effect.void
    const previous = circuitUrl
    circuitUrl = url
    if (previous === undefined) return Effect.void
    const step = Circuit.onUrlChanged(circuit, previous, url)
    circuit = step.state
    return recordTransition(step, Date.now(), deliveryId)
  }

  /**
   * Waits while the circuit is open (`deliveryId`: the delivery waiting, named if it gets the probe).
   * Succeeds with true when this attempt is the probe.
   */
  const passCircuit = (deliveryId: string): Effect.Effect<boolean> =>
    Effect.suspend(() => {
      const followed = followUrl(env.currentUrl(), deliveryId)
      if (circuit._tag === "Closed") return Effect.as(followed, false)
      const now = Date.now()
      const check = Circuit.canSend<FailureEvidence>(circuit, now, env.config)
      circuit = check.state
      const after: Effect.Effect<boolean> =
        check.decision._tag === "Wait"
          ? Effect.andThen(Effect.sleep(Duration.millis(Math.min(check.decision.ms, 1000))), passCircuit(deliveryId))
          : Effect.succeed(check.decision._tag === "Probe")
      return Effect.andThen(
        followed,
        Option.isNone(check.transition) ? after : Effect.andThen(recordTransition(check, now, deliveryId), after)
      )
    })

  return {
    state: () => circuit,
    url: () => circuitUrl,
    restore: (restored: Circuit.CircuitState<FailureEvidence>, url: string | undefined) => {
      circuit = restored
      circuitUrl = url
    },
    /** Closed and at the same URL, the common case: no Effect step at all. */
    needsCheck: (url: string) => circuit._tag !== "Closed" || url !== circuitUrl,
    pass: passCircuit,
    follow: followUrl,
    /** After an attempt: the breaker's step, whose transition the caller records with the outcome. */
    apply: (step: Circuit.CircuitStep<FailureEvidence>) => {
      circuit = step.state
    },
    transitionEvent: endpointEvent,
    logTransition
  }
}

export type CircuitGate = ReturnType<typeof makeCircuitGate>
