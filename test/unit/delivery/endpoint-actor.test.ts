/**
 * The endpoint actor on its own, with an in-memory directory, sender and recorder: the parts of its life
 * that lean on Effect 4's Queue and fiber semantics (a dropping mailbox, the mailbox handed back when it
 * stops, workers forked into the actor's scope and interrupted with it).
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber } from "effect"
import { type DeliveryJob, makeEndpointActor } from "../../../src/delivery/endpoint-actor.js"
import type { SendOutcome } from "../../../src/domain/outcome.js"
import { inMemoryActorEnvironment, okOutcome as ok, testWebhook } from "../../support/actor-environment.js"
import type { LogPosition } from "../../../src/eventstore/types.js"

const webhookId = "wh_actor"

const job = (n: number): DeliveryJob => ({
  deliveryId: `d${n}`,
  webhookId,
  eventId: `evt_${n}`,
  body: JSON.stringify({ id: `evt_${n}` }),
  attempt: 1,
  retryAttempt: 1,
  trigger: "schedule"
})

const actorWith = (options: {
  readonly maxConcurrency: number
  readonly mailboxCapacity: number
  readonly send: Effect.Effect<SendOutcome>
}) => {
  const released: Array<{ readonly deliveryId: string; readonly after: LogPosition | null }> = []
  const { env, recorded } = inMemoryActorEnvironment(testWebhook({ webhookId, maxConcurrency: options.maxConcurrency }), {
    sender: { send: () => options.send },
    mailboxCapacity: options.mailboxCapacity,
    release: (released_, after) => void released.push({ deliveryId: released_.deliveryId, after })
  })
  return Effect.map(makeEndpointActor(webhookId, env), (actor) => ({ actor, released, recorded }))
}

/** Polls a condition the actor's fibers make true (bounded, so a hang fails the assertion after it). */
const until = (check: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 400 && !check(); i++) yield* Effect.sleep(Duration.millis(5))
  })

describe("endpoint actor", () => {
  it.live("refuses jobs beyond its mailbox: they stay in the log", () =>
    Effect.gen(function* () {
      const { actor } = yield* actorWith({ maxConcurrency: 1, mailboxCapacity: 2, send: Effect.succeed(ok) })
      expect([1, 2, 3].map((n) => actor.offer(job(n)))).toEqual([true, true, false])
      expect(actor.backlog()).toBe(2)
    }))

  it.live("an idle actor stops, and its run returns with an empty mailbox", () =>
    Effect.gen(function* () {
      const { actor, recorded } = yield* actorWith({ maxConcurrency: 1, mailboxCapacity: 10, send: Effect.succeed(ok) })
      actor.offer(job(1))
      actor.offer(job(2))
      // Detached: were the actor's exit to hang, the test fails on the timeout below instead of hanging
      // in its own scope's close.
      const run = yield* Effect.forkDetach(Effect.scoped(actor.run))
      yield* until(() => recorded.length === 2 && actor.inFlight() === 0)
      expect(recorded).toHaveLength(2)
      expect(actor.tick(Date.now() + 1)).toBeUndefined()
      // Effect 4's Queue.takeAll waits for a first job; the actor's exit must not (it uses Queue.clear).
      const exit = yield* Fiber.await(run).pipe(Effect.timeout(Duration.seconds(2)))
      expect(exit._tag).toBe("Success")
      expect(actor.workers()).toBe(0)
      expect(actor.offer(job(3))).toBe(false)
    }))

  it.live("stopping interrupts its workers: the attempts in flight and the jobs waiting are handed back", () =>
    Effect.gen(function* () {
      let started = 0
      let interrupted = 0
      const hanging = Effect.sync(() => started++).pipe(
        Effect.andThen(Effect.never),
        Effect.onInterrupt(() => Effect.sync(() => interrupted++))
      )
      const { actor, released } = yield* actorWith({ maxConcurrency: 2, mailboxCapacity: 10, send: hanging })
      for (let n = 1; n <= 5; n++) actor.offer(job(n))
      const run = yield* Effect.forkChild(Effect.scoped(actor.run))
      yield* until(() => started === 2)
      // Workers started as the backlog asked, up to the limit, and no further.
      expect(actor.workers()).toBe(2)
      expect(actor.inFlight()).toBe(2)
      expect(actor.backlog()).toBe(5)
      yield* Fiber.interrupt(run)
      expect(interrupted).toBe(2)
      expect(actor.workers()).toBe(0)
      expect(released.map((r) => r.deliveryId).sort()).toEqual(["d1", "d2", "d3", "d4", "d5"])
      expect(released.every((r) => r.after === null)).toBe(true)
      expect(actor.offer(job(6))).toBe(false)
    }))
})
