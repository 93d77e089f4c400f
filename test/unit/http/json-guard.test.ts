import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { exceedsJsonDepth, isStorableText, unstorableFields } from "../../../src/http/json-guard.js"

/** The nesting depth of a parsed value: what the scan must find in its text without parsing it. */
const depthOf = (value: unknown): number =>
  Array.isArray(value)
    ? 1 + Math.max(0, ...value.map(depthOf))
    : typeof value === "object" && value !== null
      ? 1 + Math.max(0, ...Object.values(value).map(depthOf))
      : 0

// Strings full of what the scan must skip: brackets, quotes, backslashes (escaped in the text).
const tricky = fc.string({ unit: fc.constantFrom("[", "]", "{", "}", '"', "\\", "a", " ", "é", "\n") })
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    tricky,
    fc.integer(),
    fc.constant(null),
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(tricky, tie("node"), { maxKeys: 4 })
  )
})).node

describe("exceedsJsonDepth", () => {
  it("finds exactly the depth JSON.parse gives, whatever the strings hold", () => {
    fc.assert(
      fc.property(value, fc.boolean(), (v, spaced) => {
        const text = spaced ? JSON.stringify(v, null, 2) : JSON.stringify(v)
        const depth = depthOf(JSON.parse(text))
        expect(exceedsJsonDepth(text, depth)).toBe(false)
        if (depth > 0) expect(exceedsJsonDepth(text, depth - 1)).toBe(true)
      }),
      { numRuns: 2000 }
    )
  })

  it("leaves an unterminated string to the parser", () => {
    // An escaped quote does not end the string, so the brackets after it are text...
    expect(exceedsJsonDepth('["abc\\"[[[[', 1)).toBe(false)
    // ...but an escaped backslash before the quote does, and they count.
    expect(exceedsJsonDepth('["abc\\\\"[[[[', 1)).toBe(true)
  })
})

describe("text PostgreSQL cannot store", () => {
  it("finds a NUL or an unpaired surrogate in any string or key of a JSON text, by path", () => {
    expect(unstorableFields('{"a":"x\\u0000","b":[1,"\\ud800"],"c":{"d":"\\udfff"}}')).toEqual(["a", "b[1]", "c.d"])
    // A pair is fine, and so is an escaped backslash followed by the letters u0000.
    expect(unstorableFields('{"a":"\\ud83d\\ude00","b":"\\\\u0000"}')).toEqual([])
    expect(unstorableFields('{"a":"\\u0000"')).toEqual([])
  })

  it("agrees with a direct check of every string a JSON value holds", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3, stringUnit: "binary" }), (value) => {
        const strings: Array<string> = []
        const collect = (v: unknown): void => {
          if (typeof v === "string") strings.push(v)
          else if (typeof v === "object" && v !== null) for (const [k, inner] of Object.entries(v)) (strings.push(k), collect(inner))
        }
        collect(value)
        expect(unstorableFields(JSON.stringify(value)).length === 0).toBe(strings.every(isStorableText))
      }),
      { numRuns: 300 }
    )
  })
})
