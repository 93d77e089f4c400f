import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Option, Ref, Result, Schedule } from "effect"
import { TestClock } from "effect/testing"
import {
  DEFAULT_RETRY_SCHEDULE,
  nextAttemptDelay,
  nextAttemptDelayWithRetryAfter,
  parseRetryAfter,
  parseRetrySchedule,
  retrySchedule
} from "../../../src/domain/retry-policy.js"

const low = () => 0
const mid = () => 0.5
const high = () => 0.999999

describe("nextAttemptDelay", () => {
  it.each([
    // attemptsMade, random, expected ms
    [1, mid, Option.some(5_000)],
    [1, low, Option.some(4_000)],
    [1, high, Option.some(6_000)],
    [2, mid, Option.some(300_000)],
    [3, low, Option.some(1_440_000)],
    [4, high, Option.some(8_639_997)],
    [7, mid, Option.some(36_000_000)],
    [8, mid, Option.none()],
    [0, mid, Option.none()]
  ] as const)("after %i attempts -> %o", (attemptsMade, random, expected) => {
    expect(nextAttemptDelay(DEFAULT_RETRY_SCHEDULE, attemptsMade, random)).toEqual(expected)
  })

  it("stays within ±20 % for any random value", () => {
    for (let i = 0; i < 1000; i++) {
      const r = Math.random()
      const delay = Option.getOrThrow(nextAttemptDelay([10], 1, () => r))
      expect(delay).toBeGreaterThanOrEqual(8_000)
      expect(delay).toBeLessThanOrEqual(12_000)
    }
  })

  it("gives no retries for an empty schedule", () => {
    expect(nextAttemptDelay([], 1, mid)).toEqual(Option.none())
  })

  it("lets Retry-After replace the scheduled delay but not add attempts", () => {
    expect(nextAttemptDelayWithRetryAfter(DEFAULT_RETRY_SCHEDULE, 2, mid, Option.some(60_000)))
      .toEqual(Option.some(60_000))
    expect(nextAttemptDelayWithRetryAfter(DEFAULT_RETRY_SCHEDULE, 1, mid, Option.some(60_000)))
      .toEqual(Option.some(60_000))
    expect(nextAttemptDelayWithRetryAfter(DEFAULT_RETRY_SCHEDULE, 2, mid, Option.none()))
      .toEqual(Option.some(300_000))
    expect(nextAttemptDelayWithRetryAfter(DEFAULT_RETRY_SCHEDULE, 8, mid, Option.some(60_000)))
      .toEqual(Option.none())
  })
})

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-01-01T00:00:00Z")
  it.each([
    ["120", Option.some(120_000)],
    [" 30 ", Option.some(30_000)],
    ["0", Option.some(1_000)],
    ["86400", Option.some(3_600_000)],
    ["Thu, 01 Jan 2026 00:02:00 GMT", Option.some(120_000)],
    ["Wed, 31 Dec 2025 23:00:00 GMT", Option.some(1_000)],
    ["Fri, 02 Jan 2026 00:00:00 GMT", Option.some(3_600_000)],
    ["Thursday, 01-Jan-26 00:00:10 GMT", Option.some(10_000)],
    [undefined, Option.none()],
    ["", Option.none()],
    ["-5", Option.none()],
    ["1.5", Option.none()],
    ["soon", Option.none()],
    ["Xyz, 99 Foo 2026 99:99:99 GMT", Option.none()]
  ] as const)("%o -> %o", (header, expected) => {
    expect(parseRetryAfter(header, now)).toEqual(expected)
  })
})

describe("parseRetrySchedule", () => {
  it("parses the default setting", () => {
    expect(parseRetrySchedule("5,300,1800,7200,18000,36000,36000")).toEqual(Result.succeed(DEFAULT_RETRY_SCHEDULE))
    expect(parseRetrySchedule(" 1, 2 ,3 ")).toEqual(Result.succeed([1, 2, 3]))
    expect(parseRetrySchedule("0")).toEqual(Result.succeed([0]))
  })

  it.each([
    ["", "empty"],
    ["5,,300", "item 2"],
    ["5,abc", "item 2 (\"abc\")"],
    ["5,-1", "item 2"],
    ["1.5", "item 1"],
    ["5,999999999", "one week"],
    [Array.from({ length: 21 }, () => "1").join(","), "at most 20"]
  ])("rejects %o with a clear message", (input, fragment) => {
    const result = parseRetrySchedule(input)
    expect(Result.isFailure(result)).toBe(true)
    if (Result.isFailure(result)) {
      expect(result.failure._tag).toBe("InvalidRetrySchedule")
      expect(result.failure.message).toContain(fragment)
    }
  })
})

describe("retrySchedule", () => {
  const attemptsWith = (delays: ReadonlyArray<number>) =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const fiber = yield* Effect.forkChild(
        Ref.update(attempts, (n) => n + 1).pipe(Effect.andThen(Effect.fail("down")), Effect.retry(retrySchedule(delays)))
      )
      yield* TestClock.adjust(Duration.days(30))
      const exit = yield* Fiber.await(fiber)
      return { attempts: yield* Ref.get(attempts), failed: Exit.isFailure(exit) }
    })

  it.effect("retries once per delay, then gives up", () =>
    Effect.gen(function*() {
      expect(yield* attemptsWith([5, 300, 1800])).toEqual({ attempts: 4, failed: true })
      expect(yield* attemptsWith(DEFAULT_RETRY_SCHEDULE)).toEqual({ attempts: 8, failed: true })
      expect(yield* attemptsWith([])).toEqual({ attempts: 1, failed: true })
    }))

  it.effect("sleeps on the clock between attempts: nothing is retried before the jittered delay", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const fiber = yield* Effect.forkChild(
        Ref.update(attempts, (n) => n + 1).pipe(Effect.andThen(Effect.fail("down")), Effect.retry(retrySchedule([10, 10])))
      )
      // The first attempt runs at once; the retry comes 8–12 s later (±20 %), never sooner.
      yield* TestClock.adjust(Duration.millis(7_999))
      expect(yield* Ref.get(attempts)).toBe(1)
      yield* TestClock.adjust(Duration.millis(4_002))
      expect(yield* Ref.get(attempts)).toBe(2)
      yield* TestClock.adjust(Duration.seconds(12))
      expect(yield* Ref.get(attempts)).toBe(3)
      expect(Exit.isFailure(yield* Fiber.await(fiber))).toBe(true)
    }))

  it.effect("waits each delay with ±20 % jitter", () =>
    Effect.gen(function*() {
      const delays = [5, 300, 1800]
      // Effect 4 has no Schedule.run/delays: step the schedule by hand and keep each step's delay.
      const step = yield* Schedule.toStep(retrySchedule(delays))
      const ms: Array<number> = []
      for (const input of [1, 2, 3]) {
        const [, delay] = yield* step(0, input)
        ms.push(Duration.toMillis(delay))
      }
      delays.forEach((d, i) => {
        expect(ms[i]).toBeGreaterThanOrEqual(d * 800)
        expect(ms[i]).toBeLessThanOrEqual(d * 1200)
      })
      expect(ms.some((m, i) => m !== delays[i]! * 1000)).toBe(true)
    }))
})
