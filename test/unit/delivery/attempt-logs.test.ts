/**
 * The endpoint actor's log lines (issue 12): a failed attempt, a delivery's exhaustion and a circuit
 * transition each write one line with the webhook and delivery ids, captured here with a Logger layer;
 * a success writes none, and no line carries the URL, a header value, a secret or a body.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Logger, References, Semaphore } from "effect"
import { type DeliveryJob, makeEndpointActor } from "../../../src/delivery/endpoint-actor.js"
import type { SendOutcome } from "../../../src/domain/outcome.js"
import { inMemoryActorEnvironment, testWebhook } from "../../support/actor-environment.js"

const webhookId = "wh_logs"
const headerSecret = "my-endpoint-secret-value"
const signingSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

const settings = testWebhook({
  webhookId,
  accountId: "acc_logs",
  name: "logs",
  url: "http://127.0.0.1:1/hook?token=url-secret",
  headers: { "X-Api-Key": headerSecret },
  secret: signingSecret,
  retrySchedule: [60],
  maxConcurrency: 1
})

const job = (n: number, attempt: number): DeliveryJob => ({
  deliveryId: `dlv_${n}`,
  webhookId,
  eventId: `evt_${n}`,
  body: JSON.stringify({ id: `evt_${n}`, data: "body-content" }),
  attempt,
  retryAttempt: attempt,
  trigger: "schedule"
})

interface Line {
  readonly level: string
  readonly message: unknown
  readonly annotations: Record<string, unknown>
}

const run = (jobs: ReadonlyArray<DeliveryJob>, outcomes: (deliveryId: string) => SendOutcome) =>
  Effect.gen(function* () {
    const lines: Array<Line> = []
    const disabled: Array<{ readonly reason: string; readonly deliveryId: string | undefined }> = []
    const { env, recorded } = inMemoryActorEnvironment(settings, {
      sender: { send: (request) => Effect.succeed(outcomes(`dlv_${(request.headers["webhook-id"] ?? "").slice("evt_".length)}`)) },
      globalLimit: Semaphore.makeUnsafe(10),
      defaultRetrySchedule: [60],
      defaultConcurrency: 1,
      disable: (_, reason, deliveryId) => Effect.sync(() => void disabled.push({ reason, deliveryId }))
    })
    const capture = Logger.make((options) => {
      lines.push({
        level: options.logLevel,
        message: options.message,
        annotations: { ...options.fiber.getRef(References.CurrentLogAnnotations) }
      })
    })
    const actor = yield* makeEndpointActor(webhookId, env)
    for (const j of jobs) actor.offer(j)
    const fiber = yield* Effect.forkChild(Effect.scoped(actor.run).pipe(Effect.provide(Logger.layer([capture]))))
    for (let i = 0; i < 400 && recorded.length < jobs.length; i++) yield* Effect.sleep(Duration.millis(5))
    yield* Effect.sleep(Duration.millis(20))
    yield* Fiber.interrupt(fiber)
    return { lines, disabled }
  })

const messageOf = (line: Line) => (Array.isArray(line.message) ? line.message.join(" ") : String(line.message))
const withMessage = (lines: ReadonlyArray<Line>, message: string) => lines.filter((l) => messageOf(l) === message)

const failure: SendOutcome = { kind: "response", status: 500, headers: {}, bodyExcerpt: "response-body", durationMs: 1 }
const ok: SendOutcome = { kind: "response", status: 200, headers: {}, bodyExcerpt: "", durationMs: 1 }

const assertNoSecrets = (lines: ReadonlyArray<Line>) => {
  const text = JSON.stringify(lines.map((l) => ({ message: messageOf(l), annotations: l.annotations })))
  for (const secret of [headerSecret, signingSecret, "url-secret", "body-content", "response-body"]) {
    expect(text).not.toContain(secret)
  }
}

describe("delivery log lines", () => {
  it.live("a failed attempt is one info line with ids, a success none", () =>
    Effect.gen(function* () {
      const { lines } = yield* run([job(1, 1), job(2, 1)], (id) => (id === "dlv_1" ? failure : ok))
      const failed = withMessage(lines, "delivery attempt failed")
      expect(failed).toHaveLength(1)
      expect(failed[0]!.level).toBe("Info")
      expect(failed[0]!.annotations).toMatchObject({
        webhookId,
        deliveryId: "dlv_1",
        attempt: 1,
        errorClass: "http_500",
        status: 500
      })
      expect(typeof failed[0]!.annotations["nextAttemptAt"]).toBe("string")
      expect(withMessage(lines, "delivery exhausted")).toHaveLength(0)
      // The success wrote nothing.
      expect(lines.filter((l) => l.annotations["deliveryId"] === "dlv_2")).toHaveLength(0)
      assertNoSecrets(lines)
    }))

  it.live("exhaustion and the circuit opening are warnings with ids", () =>
    Effect.gen(function* () {
      // The last attempt of five deliveries: each fails for good, and the fifth failure opens the circuit.
      const jobs = [1, 2, 3, 4, 5].map((n) => job(n, 2))
      const { lines } = yield* run(jobs, () => failure)
      expect(withMessage(lines, "delivery attempt failed")).toHaveLength(5)
      const exhausted = withMessage(lines, "delivery exhausted")
      expect(exhausted.map((l) => l.annotations["deliveryId"]).sort()).toEqual(["dlv_1", "dlv_2", "dlv_3", "dlv_4", "dlv_5"])
      expect(exhausted.every((l) => l.level === "Warn" && l.annotations["webhookId"] === webhookId)).toBe(true)
      expect(exhausted[0]!.annotations).toMatchObject({ attempts: 2, errorClass: "http_500" })
      const opened = withMessage(lines, "circuit opened")
      expect(opened).toHaveLength(1)
      expect(opened[0]!.level).toBe("Warn")
      expect(opened[0]!.annotations).toMatchObject({ webhookId, deliveryId: "dlv_5", failures: 5, cooldownMs: 30_000 })
      assertNoSecrets(lines)
    }))

  it.live("a 410 Gone hands the deciding delivery's id to the disable", () =>
    Effect.gen(function* () {
      const gone: SendOutcome = { kind: "response", status: 410, headers: {}, bodyExcerpt: "", durationMs: 1 }
      const { lines, disabled } = yield* run([job(7, 1)], () => gone)
      expect(disabled).toEqual([{ reason: "the endpoint answered 410 Gone", deliveryId: "dlv_7" }])
      expect(withMessage(lines, "delivery attempt failed")[0]!.annotations).toMatchObject({ deliveryId: "dlv_7", errorClass: "gone" })
    }))
})
