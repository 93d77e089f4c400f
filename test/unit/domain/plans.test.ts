import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  defaultPlanTable,
  formatPlanTable,
  makePlanTable,
  parsePlanTable,
  webhookLimit
} from "../../../src/domain/plans.js"

const issuesOf = (input: string) => {
  const result = parsePlanTable(input)
  return Result.isFailure(result) ? result.failure.issues : []
}

describe("plans", () => {
  it("defaults to free 3, pro 50, scale 1000", () => {
    expect(defaultPlanTable).toEqual({ free: 3, pro: 50, scale: 1000 })
    expect(webhookLimit(defaultPlanTable, "pro")).toBe(50)
  })

  it("overrides only the plans given", () => {
    expect(makePlanTable({ pro: 100 })).toEqual({ free: 3, pro: 100, scale: 1000 })
    expect(makePlanTable({ free: 0 })).toEqual({ free: 0, pro: 50, scale: 1000 })
  })

  it.each([
    ["", { free: 3, pro: 50, scale: 1000 }],
    ["free=3,pro=50,scale=1000", { free: 3, pro: 50, scale: 1000 }],
    ["pro=100", { free: 3, pro: 100, scale: 1000 }],
    [" free = 1 , scale=5 ,", { free: 1, pro: 50, scale: 5 }],
    ["free=0", { free: 0, pro: 50, scale: 1000 }]
  ])("parses %j", (input, table) => {
    expect(parsePlanTable(input)).toEqual(Result.succeed(table))
  })

  it.each([
    ["gold=5", /unknown plan "gold"; valid plans: free, pro, scale/],
    ["free", /not of the form plan=limit/],
    ["free=-1", /non-negative integer/],
    ["free=1.5", /non-negative integer/],
    ["free=many", /non-negative integer/],
    ["free=1,free=2", /more than once/],
    ["free=1 2", /not of the form/]
  ])("refuses %j", (input, message) => {
    expect(issuesOf(input)).toContainEqual(expect.stringMatching(message))
  })

  it("reports every problem at once and keeps the input", () => {
    const result = parsePlanTable("gold=1,free=x")
    expect(Result.isFailure(result) && result.failure.input).toBe("gold=1,free=x")
    expect(issuesOf("gold=1,free=x")).toHaveLength(2)
  })

  it("formats a table back into a string it parses to the same table", () => {
    const limit = fc.integer({ min: 0, max: 1_000_000 })
    fc.assert(fc.property(limit, limit, limit, (free, pro, scale) => {
      const table = { free, pro, scale }
      expect(parsePlanTable(formatPlanTable(table))).toEqual(Result.succeed(table))
    }))
  })

  it("never throws on arbitrary input", () => {
    fc.assert(fc.property(fc.string(), (input) => {
      expect(() => parsePlanTable(input)).not.toThrow()
    }))
  })
})
