import { Result, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  ConversationUpdatedPayload,
  decodePayload,
  MessageCreatedPayload,
  SessionUpdatedPayload,
  UserUpdatedPayload
} from "../../../src/domain/event-types.js"
import { compileGuard } from "../../../src/domain/fast-guard.js"
import { samplePayloads } from "./fixtures.js"

const payloads = [
  ["message.created", MessageCreatedPayload],
  ["conversation.updated", ConversationUpdatedPayload],
  ["session.updated", SessionUpdatedPayload],
  ["user.updated", UserUpdatedPayload]
] as const

/** Every object and array inside `root`, depth first. */
const containers = (root: unknown): Array<Record<string, unknown> | Array<unknown>> => {
  const found: Array<Record<string, unknown> | Array<unknown>> = []
  const visit = (node: unknown) => {
    if (typeof node !== "object" || node === null) return
    found.push(node as Record<string, unknown>)
    for (const child of Object.values(node)) visit(child)
  }
  visit(root)
  return found
}

const mutate = (root: unknown, at: number, kind: "drop" | "add" | "replace", value: unknown) => {
  const all = containers(root)
  const target = all[at % all.length]
  if (target === undefined) return
  const keys = Object.keys(target)
  const key = keys.length === 0 ? undefined : keys[at % keys.length]
  if (Array.isArray(target)) {
    if (kind === "add") target.push(value)
    else if (key !== undefined) target[Number(key)] = kind === "drop" ? undefined : value
    return
  }
  if (kind === "add") target[`extra${at}`] = value
  else if (key !== undefined) {
    if (kind === "drop") delete target[key]
    else target[key] = value
  }
}

describe("compiled payload guard", () => {
  for (const [type, schema] of payloads) {
    const guard = compileGuard(schema)!
    const keeping = compileGuard(schema, { unknownKeys: "keep" })!
    const decode = Schema.decodeUnknownResult(schema as Schema.Decoder<unknown>)

    it(`${type}: accepts only what the decoder accepts, and the decoder gives back the same value`, () => {
      expect(guard).toBeTypeOf("function")
      expect(guard(samplePayloads[type])).toBe(true)
      // The sample, mutated at random places: properties dropped, added, replaced by other JSON values.
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(), fc.constantFrom("drop", "add", "replace"), fc.jsonValue()), { maxLength: 3 }), (mutations) => {
          const input: unknown = JSON.parse(JSON.stringify(samplePayloads[type]))
          for (const [at, kind, value] of mutations) mutate(input, at, kind, value)
          const decoded = decode(input)
          if (guard(input)) {
            expect(Result.isSuccess(decoded)).toBe(true)
            expect(Result.getOrThrow(decoded)).toEqual(input)
          }
          // The guard that keeps unknown keys accepts only what the decoder accepts.
          if (keeping(input)) expect(Result.isSuccess(decoded)).toBe(true)
          // decodePayload accepts what the decoder accepts, and returns the data as sent, unknown keys included.
          const viaPayload = decodePayload(type, input)
          expect(Result.isSuccess(viaPayload)).toBe(Result.isSuccess(decoded))
          if (Result.isSuccess(viaPayload)) expect(viaPayload.success).toEqual(input)
        }),
        { numRuns: 500 }
      )
    })
  }

  it("leaves to the decoder whatever the decoder would change or refuse", () => {
    const guard = compileGuard(MessageCreatedPayload)!
    const valid = {
      message: { id: "m1", text: "hi", sender: { type: "user", id: "u1", name: "Ann" }, createdAt: "2026-01-01T00:00:00Z" },
      conversation: { id: "c1", status: "open", channelId: "ch1" },
      customer: { id: "u1", name: "Ann" },
      channel: { id: "ch1", type: "web", name: "Site" }
    }
    expect(guard(valid)).toBe(true)
    // An unknown property: the decoder drops it, so the value would change.
    expect(guard({ ...valid, extra: 1 })).toBe(false)
    // Told to keep them, it lets unknown properties pass at any depth; decodePayload keeps them.
    const keeping = compileGuard(MessageCreatedPayload, { unknownKeys: "keep" })!
    const extended = { ...valid, extra: 1, customer: { ...valid.customer, tier: { level: "gold" } } }
    expect(keeping(extended)).toBe(true)
    expect(keeping({ ...extended, customer: { id: "u1", tier: "gold" } })).toBe(false)
    expect(Result.getOrThrow(decodePayload("message.created", extended))).toEqual(extended)
    // An optional property present as undefined, a wrong type, a refinement, a missing property.
    expect(guard({ ...valid, customer: { ...valid.customer, email: undefined } })).toBe(false)
    expect(guard({ ...valid, channel: { ...valid.channel, type: "fax" } })).toBe(false)
    expect(guard({ ...valid, message: { ...valid.message, createdAt: "yesterday" } })).toBe(false)
    expect(guard({ ...valid, customer: { id: "u1" } })).toBe(false)
    expect(guard(null)).toBe(false)
    expect(Result.isFailure(decodePayload("message.created", { ...valid, customer: { id: "u1" } }))).toBe(true)
  })

  it("compiles no guard for a schema that transforms", () => {
    expect(compileGuard(Schema.Struct({ n: Schema.NumberFromString }))).toBeUndefined()
    expect(compileGuard(Schema.Struct({ a: Schema.String, d: Schema.optional(Schema.DateFromString) }))).toBeUndefined()
  })
})
