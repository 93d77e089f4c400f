import { Result, Schema } from "effect"
import { decodeOptions, issuesFromParseError, ValidationFailed } from "./errors.js"

/**
 * The window of `POST /v1/webhooks/{id}/recover`. The schema serves as the HttpApi payload; the
 * validating function also takes the absent body (HttpApi reads it as null), so that a call without one
 * names the missing `since` like a call with `{}` does, and returns the bounds as ISO date-times.
 */

export const dateTimeProblem = (value: string): string | undefined =>
  Number.isNaN(Date.parse(value)) ? "must be an ISO 8601 date-time" : undefined

/** Why `until` does not close the window opened by `since`; both already parse as dates. */
export const windowProblem = (since: string, until: string | undefined): string | undefined =>
  until !== undefined && Date.parse(until) <= Date.parse(since) ? "must be after since" : undefined

const DateTime = Schema.String.check(
  Schema.makeFilter((value: string) => dateTimeProblem(value), { toJsonSchema: () => ({ format: "date-time" }) })
)

export const RecoverInput = Schema.Struct({
  since: DateTime.annotate({ description: "redeliver exhausted deliveries created at or after this time" }),
  until: Schema.optional(DateTime.annotate({ description: "and before this time, which must be after since (default: now)" })),
  dryRun: Schema.optional(Schema.Boolean.annotate({ description: "only count them" }))
}).check(
  Schema.makeFilter(({ since, until }) => {
    const problem = windowProblem(since, until)
    return problem === undefined ? undefined : { path: ["until"], issue: problem }
  })
).annotate({ identifier: "RecoverInput" })
export type RecoverInput = typeof RecoverInput.Type

export interface RecoverWindow {
  /** ISO 8601, normalized. */
  readonly since: string
  readonly until: string | undefined
  readonly dryRun: boolean
}

export const validateRecoverInput = (input: unknown): Result.Result<RecoverWindow, ValidationFailed> => {
  const decoded = Schema.decodeUnknownResult(RecoverInput, decodeOptions)(input ?? {})
  if (Result.isFailure(decoded)) {
    return Result.fail(new ValidationFailed({ issues: issuesFromParseError(decoded.failure) }))
  }
  const { since, until, dryRun } = decoded.success
  return Result.succeed({
    since: new Date(since).toISOString(),
    until: until === undefined ? undefined : new Date(until).toISOString(),
    dryRun: dryRun ?? false
  })
}
