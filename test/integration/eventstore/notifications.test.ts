import { expect, layer } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer } from "effect"
import { Settings } from "../../../src/config.js"
import { EventStore, EventStoreLive } from "../../../src/eventstore/event-store.js"
import { LogNotifications, LogNotificationsLive } from "../../../src/eventstore/notifications.js"
import { TestDatabase } from "../../support/database.js"

const Store = EventStoreLive.pipe(
  Layer.provideMerge(LogNotificationsLive),
  Layer.provideMerge(Settings.layerWith({ pollIntervalMs: 30_000 })),
  Layer.provideMerge(TestDatabase())
)

layer(Store, { excludeTestServices: true })("log notifications: the xmin watcher", (it) => {
  // The watcher drains the wake-ups that piled up while it looked at the xmin. Effect 3's Queue.takeAll
  // answered at once when there were none; Effect 4's waits for one, which would leave the watcher (and
  // every reader) asleep after a lone append until the next one, or the poll interval.
  it.effect("wakes a reader after a lone append, each time, well before the poll interval", () =>
    Effect.gen(function* () {
      const store = yield* EventStore
      const notifications = yield* LogNotifications
      for (let round = 0; round < 3; round++) {
        const head = yield* store.head
        const waiting = yield* Effect.forkChild(
          notifications.awaitBeyond(head.transactionId, [`Lone${round}`], Duration.seconds(30))
        )
        yield* Effect.sleep(Duration.millis(100))
        const begin = Date.now()
        yield* store.append(`lone-${round}`, "any", [{ eventId: `lone-${round}`, type: `Lone${round}`, data: {} }])
        yield* Fiber.join(waiting).pipe(Effect.timeout(Duration.seconds(10)))
        expect(Date.now() - begin).toBeLessThan(10_000)
      }
    }))
})
