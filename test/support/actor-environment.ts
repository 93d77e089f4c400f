/**
 * An endpoint actor's environment in memory, for tests of the actor on its own: a directory that knows
 * one webhook, a recorder that keeps what it is given, and a sender that answers 200 unless told otherwise.
 */
import { Duration, Effect, Semaphore } from "effect"
import { DEFAULT_CIRCUIT_BREAKER_CONFIG, initialState } from "../../src/domain/circuit-breaker.js"
import type { ActorEnvironment } from "../../src/delivery/endpoint-actor.js"
import type { SendOutcome } from "../../src/domain/outcome.js"
import type { Recording } from "../../src/delivery/recorder.js"
import type { WebhookDirectory } from "../../src/delivery/webhook-directory.js"
import type * as Webhook from "../../src/domain/webhook.js"

export const okOutcome: SendOutcome = { kind: "response", status: 200, headers: {}, bodyExcerpt: "", durationMs: 1 }

/** An active webhook to 127.0.0.1:1, with `overrides`. */
export const testWebhook = (overrides: Partial<Webhook.Webhook> & Pick<Webhook.Webhook, "webhookId">): Webhook.Webhook => ({
  status: "active",
  accountId: "acc_actor",
  name: "actor",
  url: "http://127.0.0.1:1/hook",
  events: ["message.created"],
  headers: {},
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  previousSecret: null,
  retrySchedule: null,
  maxConcurrency: 10,
  rateLimit: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  disabledReason: null,
  ...overrides
})

/** The environment of an actor for `settings`; `recorded` collects what its attempts record. */
export const inMemoryActorEnvironment = (settings: Webhook.Webhook, overrides: Partial<ActorEnvironment> = {}) => {
  const recorded: Array<Recording> = []
  const directory: WebhookDirectory = {
    apply: () => false,
    refresh: () => Effect.void,
    status: () => "active",
    inactive: () => [],
    settings: () => settings,
    load: () => Effect.void,
    unload: () => {}
  }
  const env: ActorEnvironment = {
    directory,
    sender: { send: () => Effect.succeed(okOutcome) },
    recorder: {
      record: (recording) => Effect.sync(() => void recorded.push(recording)),
      lastCommitted: Effect.succeed({ transactionId: 0n, globalPosition: 0n }),
      pending: Effect.succeed(0)
    },
    globalLimit: Semaphore.makeUnsafe(100),
    timeoutMs: 1_000,
    defaultRetrySchedule: [0],
    defaultConcurrency: 10,
    idleTimeout: Duration.zero,
    mailboxCapacity: 100,
    circuit: DEFAULT_CIRCUIT_BREAKER_CONFIG,
    release: () => {},
    disable: () => Effect.void,
    disableAfterFailingMs: 3_600_000,
    restore: () => Effect.succeed({ circuit: initialState(), circuitUrl: undefined, failingSince: undefined, failuresInStreak: 0 }),
    draining: () => false,
    ...overrides
  }
  return { env, recorded }
}
