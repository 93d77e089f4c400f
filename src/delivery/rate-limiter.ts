import { Duration, Effect } from "effect"

/**
 * One endpoint's rate limit. Spaces attempts 1/rate apart, then checks the hard bound: at most `rate`
 * sends in any one second. Spacing alone is not enough: workers woken late together (a busy event loop)
 * would send in a burst. Owned by one actor; its fibers share one JavaScript thread, so the state needs
 * no lock.
 */
export const makeRateLimiter = () => {
  let nextSlot = 0
  // Send times of the last `rate` attempts, oldest first: the hard bound behind the spacing.
  const recentSends: Array<number> = []

  /**
   * Waits for a send slot. Succeeds with the send time it counted: the attempt starts then, so the bound
   * holds on the times recorded in the log too, not only on the clock readings taken here.
   */
  const pass = (rate: number): Effect.Effect<number> => {
    const now = Date.now()
    const slot = Math.max(now, nextSlot)
    nextSlot = slot + 1000 / rate
    const spaced = slot > now ? Effect.sleep(Duration.millis(slot - now)) : Effect.void
    const window: Effect.Effect<number> = Effect.suspend(() => {
      const at = Date.now()
      const limit = Math.max(1, Math.floor(rate))
      while (recentSends.length > limit) recentSends.shift()
      if (recentSends.length === limit && at - recentSends[0]! < 1000) {
        return Effect.andThen(Effect.sleep(Duration.millis(1000 - (at - recentSends[0]!))), window)
      }
      if (recentSends.length === limit) recentSends.shift()
      recentSends.push(at)
      return Effect.succeed(at)
    })
    return Effect.andThen(spaced, window)
  }

  return { pass }
}
