import { Result, Schema } from "effect"

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | ReadonlyArray<JsonValue>
  | { readonly [key: string]: JsonValue }

const isPlainObject = (value: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * True when `value` survives a JSON round trip unchanged. Values stored in the log must, or a replayed
 * event would differ from the one decided on. Cycles are refused (`seen` holds the current path only).
 */
export const isJsonValue = (value: unknown, seen: Set<object> = new Set()): value is JsonValue => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true
  if (typeof value === "number") return Number.isFinite(value)
  if (typeof value !== "object") return false
  if (seen.has(value)) return false
  seen.add(value)
  try {
    if (Array.isArray(value)) return value.every((item) => isJsonValue(item, seen))
    if (!isPlainObject(value)) return false
    return Object.values(value).every((item) => isJsonValue(item, seen))
  } finally {
    seen.delete(value)
  }
}

/**
 * A refinement rather than a recursive union: a union reports one issue per member at every level, which
 * buries the useful message. The JSON Schema comes from the check. On `Any`, not `Unknown`: Effect 4's JSON
 * codec (which JSON Schema generation goes through) replaces an `Unknown` with its own JSON encoding and
 * drops the check with its JSON Schema; `Any` it leaves alone.
 */
export const JsonValue: Schema.Codec<JsonValue, unknown> = Schema.Any.pipe(
  Schema.refine((value: unknown): value is JsonValue => isJsonValue(value), {
    message: "must be a JSON value (null, boolean, finite number, string, array or object)",
    toJsonSchema: () => ({
      anyOf: [
        { type: "null" },
        { type: "boolean" },
        { type: "number" },
        { type: "string" },
        { type: "array" },
        { type: "object" }
      ]
    })
  })
).annotate({ identifier: "JsonValue", description: "any JSON value" })

export const JsonObject = Schema.Record(Schema.String, JsonValue)
export type JsonObject = typeof JsonObject.Type

/** Size of `value` serialized as UTF-8 JSON; a failure when it cannot be serialized (cycle, BigInt). */
export const jsonByteLength = (value: unknown): Result.Result<number, string> =>
  Result.try({
    try: () => {
      const text = JSON.stringify(value)
      if (text === undefined) throw new Error("not serializable")
      return Buffer.byteLength(text, "utf8")
    },
    catch: () => "must be serializable as JSON"
  })

/**
 * True when `a` and `b` are the same JSON: object keys in any order (a value read back from the database
 * need not keep the order it was written in), and a property holding `undefined` counts as absent, as in
 * its JSON text.
 */
export const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((item, i) => jsonEqual(item, b[i]))
  }
  const left = definedEntries(a)
  const right = new Map(definedEntries(b))
  if (left.length !== right.size) return false
  return left.every(([key, value]) => right.has(key) && jsonEqual(value, right.get(key)))
}

const definedEntries = (value: object): Array<[string, unknown]> =>
  Object.entries(value).filter(([, item]) => item !== undefined)
