import { Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import type { ValidationIssue } from "../../../src/domain/errors.js"
import { RecoverInput, validateRecoverInput, windowProblem } from "../../../src/domain/recover-window.js"

const issuesOf = (input: unknown): ReadonlyArray<ValidationIssue> => {
  const result = validateRecoverInput(input)
  return Result.isFailure(result) ? result.failure.issues : []
}

describe("recover window", () => {
  it("accepts since alone, and since before until, normalized to ISO date-times", () => {
    expect(Result.getOrThrow(validateRecoverInput({ since: "2025-01-01T00:00:00Z" }))).toEqual({
      since: "2025-01-01T00:00:00.000Z",
      until: undefined,
      dryRun: false
    })
    expect(
      Result.getOrThrow(validateRecoverInput({ since: "2025-01-01", until: "2025-01-01T00:00:01+00:00", dryRun: true }))
    ).toEqual({ since: "2025-01-01T00:00:00.000Z", until: "2025-01-01T00:00:01.000Z", dryRun: true })
  })

  it.each([
    ["before since", { since: "2025-01-02T00:00:00Z", until: "2025-01-01T00:00:00Z" }],
    ["equal to since", { since: "2025-01-01T00:00:00Z", until: "2025-01-01T00:00:00Z" }],
    ["the same instant in another offset", { since: "2025-01-01T01:00:00+01:00", until: "2025-01-01T00:00:00Z" }]
  ])("refuses until %s, naming until", (_, input) => {
    expect(issuesOf(input)).toEqual([{ path: "until", message: "must be after since" }])
  })

  it.each([null, undefined, {}])("names the missing since when the body is %j", (input) => {
    expect(issuesOf(input)).toEqual([{ path: "since", message: "is missing" }])
  })

  it("reports malformed dates by field, before comparing them", () => {
    expect(issuesOf({ since: "yesterday", until: "2025-01-01T00:00:00Z" })).toEqual([
      { path: "since", message: "must be an ISO 8601 date-time" }
    ])
    expect(issuesOf({ since: "2025-01-01T00:00:00Z", until: "later" })).toEqual([
      { path: "until", message: "must be an ISO 8601 date-time" }
    ])
    expect(issuesOf({ since: 5, dryRun: "yes" }).map((issue) => issue.path).sort()).toEqual(["dryRun", "since"])
  })

  it("compares instants", () => {
    expect(windowProblem("2025-01-01T00:00:00Z", undefined)).toBeUndefined()
    expect(windowProblem("2025-01-01T00:00:00Z", "2025-01-01T00:00:00.001Z")).toBeUndefined()
    expect(windowProblem("2025-01-01T00:00:00.001Z", "2025-01-01T00:00:00Z")).toBe("must be after since")
  })

  it("renders as JSON Schema for the OpenAPI document", () => {
    expect(JSON.stringify(Schema.toJsonSchemaDocument(RecoverInput))).toContain("\"since\"")
  })
})
