import { Result, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  decodeOptions,
  formatPath,
  issuesFromParseError,
  PayloadTooLarge,
  PlanLimitReached,
  prefixIssues,
  ValidationFailed
} from "../../../src/domain/errors.js"
import { isJsonValue, jsonByteLength, JsonValue } from "../../../src/domain/json.js"
import { isIsoDateTime } from "../../../src/domain/time.js"

describe("errors", () => {
  it("carry their data and a readable message", () => {
    const limit = new PlanLimitReached({ plan: "free", limit: 3, current: 3 })
    expect(limit._tag).toBe("PlanLimitReached")
    expect(limit.message).toBe("the free plan allows 3 webhooks and the account has 3")
    expect(new PayloadTooLarge({ limit: 10, size: 11 }).message).toMatch(/11 bytes; the limit is 10/)
    const failed = new ValidationFailed({ issues: [{ path: "url", message: "must use https" }, { path: "", message: "bad" }] })
    expect(failed.message).toBe("url: must use https; bad")
  })

  it("encode to JSON with their data", () => {
    const encoded = Schema.encodeSync(PlanLimitReached)(new PlanLimitReached({ plan: "pro", limit: 50, current: 50 }))
    expect(JSON.parse(JSON.stringify(encoded))).toEqual({ _tag: "PlanLimitReached", plan: "pro", limit: 50, current: 50 })
  })

  it("format paths with dots and indices", () => {
    expect(formatPath([])).toBe("")
    expect(formatPath(["events", 2])).toBe("events[2]")
    expect(formatPath(["data", "message", "sender", "type"])).toBe("data.message.sender.type")
    expect(formatPath(["headers", "X-Api-Key"])).toBe("headers.X-Api-Key")
    expect(prefixIssues("data", [{ path: "", message: "m" }, { path: "[0]", message: "n" }, { path: "a", message: "o" }]))
      .toEqual([{ path: "data", message: "m" }, { path: "data[0]", message: "n" }, { path: "data.a", message: "o" }])
  })

  it("turn a parse error into every distinct issue", () => {
    const schema = Schema.Struct({ a: Schema.Number, b: Schema.Array(Schema.String) })
    const result = Schema.decodeUnknownResult(schema, { errors: "all" })({ a: "x", b: [1, "ok", 2] })
    if (Result.isSuccess(result)) throw new Error("expected a failure")
    expect(issuesFromParseError(result.failure, "data").map((issue) => issue.path)).toEqual(["data.a", "data.b[0]", "data.b[2]"])
  })

  // Effect 4 words these "Missing key" and "Expected <identifier>"; the API keeps its own words.
  it("say 'is missing' and name the JSON kind expected, not the schema's identifier", () => {
    const Named = Schema.String.check(Schema.isMinLength(1)).annotate({ identifier: "Named" })
    const schema = Schema.Struct({ a: Named, b: Schema.NullOr(Schema.Number), c: Schema.Boolean })
    const result = Schema.decodeUnknownResult(schema, decodeOptions)({ a: 42, b: "x" })
    if (Result.isSuccess(result)) throw new Error("expected a failure")
    expect(issuesFromParseError(result.failure)).toEqual([
      { path: "a", message: "Expected string, got 42" },
      { path: "b", message: "Expected number | null, got \"x\"" },
      { path: "c", message: "is missing" }
    ])
  })

  // Effect 4 keeps the refused value only with `reportInput`; without it a message from the value falls
  // back to the schema's own `message`.
  it("write a message from the refused value when the decode reported it", () => {
    const Color = Schema.Literals(["red", "blue"]).annotate({
      message: "unknown color",
      messageFromInput: (input) => `unknown color ${JSON.stringify(input)}`
    })
    const schema = Schema.Struct({ colors: Schema.Array(Color) })
    const withInput = Schema.decodeUnknownResult(schema, decodeOptions)({ colors: ["red", "green", 3] })
    const without = Schema.decodeUnknownResult(schema, { errors: "all" })({ colors: ["green"] })
    if (Result.isSuccess(withInput) || Result.isSuccess(without)) throw new Error("expected failures")
    expect(issuesFromParseError(withInput.failure)).toEqual([
      { path: "colors[1]", message: "unknown color \"green\"" },
      { path: "colors[2]", message: "unknown color 3" }
    ])
    expect(issuesFromParseError(without.failure)).toEqual([{ path: "colors[0]", message: "unknown color" }])
  })
})

describe("JSON values", () => {
  it("accept what JSON round-trips", () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      expect(isJsonValue(value)).toBe(true)
    }))
  })

  it.each([
    ["undefined", undefined],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a function", () => 1],
    ["a bigint", 1n],
    ["a Date", new Date(0)],
    ["a Map", new Map()],
    ["undefined inside an array", [1, undefined]],
    ["a nested function", { a: { b: () => 1 } }]
  ])("refuse %s", (_, value) => {
    expect(isJsonValue(value)).toBe(false)
    expect(Result.isFailure(Schema.decodeUnknownResult(JsonValue)(value))).toBe(true)
  })

  it("refuse cycles but accept shared references", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    expect(isJsonValue(cyclic)).toBe(false)
    const shared = { x: 1 }
    expect(isJsonValue({ a: shared, b: shared })).toBe(true)
  })

  it("measure size in UTF-8 bytes", () => {
    expect(jsonByteLength({ a: "é" })).toEqual(Result.succeed(Buffer.byteLength('{"a":"é"}')))
    expect(Result.isFailure(jsonByteLength(undefined))).toBe(true)
  })
})

describe("ISO date-times", () => {
  it.each(["2025-03-01T10:00:00Z", "2025-03-01T10:00:00.123Z", "2025-03-01T10:00Z", "2025-03-01T10:00:00+03:00"])(
    "accept %s",
    (text) => expect(isIsoDateTime(text)).toBe(true)
  )
  it.each(["2025-03-01", "2025-03-01T10:00:00", "2025-02-30x", "2025-13-01T00:00:00Z", "", "now"])(
    "refuse %s",
    (text) => expect(isIsoDateTime(text)).toBe(false)
  )
})
