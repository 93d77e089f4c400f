/**
 * When to try a delivery again.
 *
 * A schedule is the list of delays, in seconds, before each retry; the first attempt is immediate, so a
 * schedule of n delays allows n + 1 attempts. Delays get ±20 % jitter so that an endpoint's failed
 * deliveries do not all come back at the same instant.
 *
 * Retry-After policy (429 and 503 only, see outcome.ts): a valid Retry-After REPLACES the schedule's delay
 * for that retry, as Svix does. The receiver knows when it can take traffic again, in both directions: a
 * shorter value brings the retry forward, a longer one pushes it back. It is clamped to [1 s, 1 h] so a
 * receiver can neither make us hammer it nor park a delivery for days, gets no jitter (the receiver asked
 * for that moment), and never adds attempts: the schedule's length still decides when a delivery is
 * exhausted.
 */
import { Cause, Duration, Effect, Option, Random, Result, Schedule, Schema } from "effect"

/** DESIGN.md §7: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE: ReadonlyArray<number> = [5, 300, 1800, 7200, 18000, 36000, 36000]

export const JITTER = 0.2
/** The one bound on retries, for the configured default and each webhook's own schedule alike. */
export const MAX_RETRIES = 20
/** One week: a longer single delay is almost certainly a typo (milliseconds for seconds). */
export const MAX_RETRY_DELAY_SECONDS = 7 * 24 * 3600
export const RETRY_AFTER_MIN_MS = 1_000
export const RETRY_AFTER_MAX_MS = 3_600_000

export class InvalidRetrySchedule extends Schema.TaggedError<InvalidRetrySchedule>()("InvalidRetrySchedule", {
  input: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid retry schedule "${this.input}": ${this.reason} ` +
      `(expected comma-separated whole seconds, e.g. "5,300,1800")`
  }
}

/** Parses a `HOOKLINE_RETRY_SCHEDULE`-style string: "5,300,1800". */
export const parseRetrySchedule = (input: string): Result.Result<ReadonlyArray<number>, InvalidRetrySchedule> => {
  const fail = (reason: string) => Result.fail(new InvalidRetrySchedule({ input, reason }))
  if (input.trim() === "") return fail("it is empty")
  const parts = input.split(",")
  if (parts.length > MAX_RETRIES) return fail(`at most ${MAX_RETRIES} retries are allowed, got ${parts.length}`)
  const delays: Array<number> = []
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!.trim()
    if (!/^\d+$/.test(part)) {
      return fail(`item ${i + 1} ("${part}") is not a whole number of seconds`)
    }
    const seconds = Number(part)
    if (seconds > MAX_RETRY_DELAY_SECONDS) {
      return fail(`item ${i + 1} (${seconds}) exceeds ${MAX_RETRY_DELAY_SECONDS} seconds (one week)`)
    }
    delays.push(seconds)
  }
  return Result.succeed(delays)
}

const jittered = (ms: number, random: () => number): number => Math.round(ms * (1 - JITTER + 2 * JITTER * random()))

/**
 * The delay before the next attempt, in milliseconds, after `attemptsMade` attempts (1 after the first
 * attempt failed), or none when the schedule is exhausted. `random` returns [0, 1) (Math.random, or a
 * seeded generator in tests). The runtime persists `now + delay` as the next attempt time instead of
 * sleeping, because delays run to hours.
 */
export const nextAttemptDelay = (
  schedule: ReadonlyArray<number>,
  attemptsMade: number,
  random: () => number
): Option.Option<number> => {
  if (attemptsMade < 1 || attemptsMade > schedule.length) return Option.none()
  return Option.some(jittered(schedule[attemptsMade - 1]! * 1000, random))
}

/**
 * `nextAttemptDelay` with the receiver's Retry-After (already parsed and clamped, see `parseRetryAfter`)
 * taking the place of the scheduled delay, per the policy at the top of this file.
 */
export const nextAttemptDelayWithRetryAfter = (
  schedule: ReadonlyArray<number>,
  attemptsMade: number,
  random: () => number,
  retryAfterMs: Option.Option<number>
): Option.Option<number> => {
  if (attemptsMade < 1 || attemptsMade > schedule.length) return Option.none()
  return Option.isSome(retryAfterMs) ? retryAfterMs : nextAttemptDelay(schedule, attemptsMade, random)
}

const clampRetryAfter = (ms: number): number =>
  ms < RETRY_AFTER_MIN_MS ? RETRY_AFTER_MIN_MS : ms > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : ms

/**
 * A Retry-After header (RFC 9110 §10.2.3: delta-seconds or an HTTP-date) as a delay in milliseconds from
 * `nowMs`, clamped to [1 s, 1 h]; none when absent or unparseable. A date in the past means "now", i.e. 1 s.
 */
export const parseRetryAfter = (headerValue: string | undefined, nowMs: number): Option.Option<number> => {
  if (headerValue === undefined) return Option.none()
  const value = headerValue.trim()
  if (value === "") return Option.none()
  if (/^\d+$/.test(value)) return Option.some(clampRetryAfter(Number(value) * 1000))
  // Only date-shaped values: Date.parse alone would accept things like "1.5" or "2".
  if (!/^[A-Za-z]{3,9},? /.test(value)) return Option.none()
  const at = Date.parse(value)
  return Number.isNaN(at) ? Option.none() : Option.some(clampRetryAfter(at - nowMs))
}

/**
 * The same policy as an Effect `Schedule`, for retries that run in-process (short schedules, tests, tools):
 * recurs once per delay, with ±20 % jitter drawn from Effect's `Random` service (so `TestRandom` and a
 * `TestClock` make it deterministic).
 */
export const retrySchedule = (delaysSeconds: ReadonlyArray<number>): Schedule.Schedule<Duration.Duration> => {
  const delays = delaysSeconds.map((s) => Duration.seconds(s))
  // Effect 4 has no `fromDelays`: a step that hands out the next delay, and is done after the last one.
  return Schedule.fromStep(
    Effect.sync(() => {
      let next = 0
      return (_now: number, _input: unknown) => {
        if (next >= delays.length) return Cause.done(Duration.zero)
        const delay = delays[next++]!
        return Effect.succeed([delay, delay] as [Duration.Duration, Duration.Duration])
      }
    })
  ).pipe(
    // Not `Schedule.jittered`: its ±20 % is hard-coded, while the bound here is JITTER, shared with the
    // runtime's `nextAttemptDelay`.
    Schedule.modifyDelay(({ duration }) =>
      Effect.map(Random.next, (r) => Duration.millis(Duration.toMillis(duration) * (1 - JITTER + 2 * JITTER * r)))
    )
  )
}
