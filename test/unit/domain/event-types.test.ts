import { Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import {
  decodePayload,
  EventTypeName,
  eventTypeList,
  eventTypes,
  isSubscribableEventType,
  payloadJsonSchema,
  subscribableEventTypes
} from "../../../src/domain/event-types.js"
import { samplePayloads } from "./fixtures.js"

const issuesOf = (type: string, data: unknown) => {
  const result = decodePayload(type, data)
  return Result.isFailure(result) ? result.failure.issues : []
}

describe("event catalogue", () => {
  it("lists the four published types, the internal test type and the five operational types", () => {
    expect(eventTypeList.map((definition) => definition.name)).toEqual([
      "message.created",
      "conversation.updated",
      "session.updated",
      "user.updated",
      "webhook.test",
      "endpoint.disabled",
      "endpoint.circuit_opened",
      "endpoint.circuit_closed",
      "delivery.exhausted",
      "endpoint.recovered"
    ])
    expect(subscribableEventTypes).toEqual(["message.created", "conversation.updated", "session.updated", "user.updated"])
    expect(eventTypes["webhook.test"].subscribable).toBe(false)
    expect(isSubscribableEventType("webhook.test")).toBe(false)
    expect(isSubscribableEventType("message.created")).toBe(true)
  })

  it("keys every definition by its own name and describes it", () => {
    for (const [key, definition] of Object.entries(eventTypes)) {
      expect(definition.name).toBe(key)
      expect(definition.description.length).toBeGreaterThan(10)
    }
  })

  it("EventTypeName refuses unknown names with the valid list", () => {
    const result = Schema.decodeUnknownResult(EventTypeName)("message.deleted")
    expect(Result.isFailure(result) && result.failure.message).toMatch(/valid types: message.created/)
  })
})

describe.each(eventTypeList.map((definition) => definition.name))("payload of %s", (type) => {
  it("decodes a complete sample and keeps it unchanged", () => {
    expect(decodePayload(type, samplePayloads[type])).toEqual(Result.succeed(samplePayloads[type]))
  })

  it("renders as JSON Schema", () => {
    const schema = payloadJsonSchema(type)
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#")
    // Round-trips through JSON: nothing in it is a function or undefined.
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema)
  })

  it("renders optional fields as optional, not as nullable, and resolves its references", () => {
    const schema = payloadJsonSchema(type)
    const text = JSON.stringify(schema)
    // Only `assignee` is documented as nullable; every other optional field is absent or a value.
    for (const definition of Object.values(schema.definitions ?? {})) {
      const required = new Set(Array.isArray(definition["required"]) ? definition["required"] : [])
      const properties = definition["properties"]
      if (typeof properties !== "object" || properties === null) continue
      for (const [name, property] of Object.entries(properties)) {
        if (required.has(name) || name === "assignee") continue
        expect(JSON.stringify(property), name).not.toContain("\"null\"")
      }
    }
    for (const [, ref] of text.matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) {
      expect(schema.definitions).toHaveProperty(ref!)
    }
  })

  it("refuses a non-object", () => {
    expect(issuesOf(type, "text")).toEqual([{ path: "data", message: expect.any(String) }])
    expect(issuesOf(type, null).length).toBe(1)
  })

  it("refuses an empty object with every missing field", () => {
    const issues = issuesOf(type, {})
    expect(issues.length).toBeGreaterThan(0)
    expect(issues.every((issue) => issue.path.startsWith("data.") && issue.message === "is missing")).toBe(true)
  })
})

describe("payload JSON Schemas", () => {
  it("keep the fields, their bounds and the JSON value alternatives", () => {
    const schema = payloadJsonSchema("user.updated")
    const user = schema.definitions?.["User"]
    expect(user).toMatchObject({
      type: "object",
      required: ["id", "name", "updatedAt"],
      properties: { id: { type: "string", minLength: 1, maxLength: 256 }, email: { type: "string" } }
    })
    expect(schema.definitions?.["IsoDateTime"]).toMatchObject({ type: "string", format: "date-time" })
    expect(JSON.stringify(schema.definitions?.["JsonValue"])).toContain("\"anyOf\"")
    expect(schema.definitions?.["UserUpdatedPayload"]).toMatchObject({
      properties: { changes: { type: "array", minItems: 1 } }
    })
  })
})

describe("payload decoding", () => {
  const message = samplePayloads["message.created"] as { message: Record<string, unknown> }

  it("keeps properties the schema does not know, at any depth, as sent", () => {
    const withExtra = { ...(samplePayloads["webhook.test"] as object), internal: "secret" }
    expect(decodePayload("webhook.test", withExtra)).toEqual(Result.succeed(withExtra))
    const nested = { ...message, message: { ...message.message, reactions: [{ emoji: "+1" }] }, source: "import" }
    expect(decodePayload("message.created", nested)).toEqual(Result.succeed(nested))
  })

  it("accepts optional fields left out", () => {
    const minimal = {
      message: { id: "m", text: "", sender: { type: "bot", id: "b", name: "Bot" }, createdAt: "2025-01-01T00:00:00Z" },
      conversation: { id: "c", status: "pending", channelId: "ch" },
      customer: { id: "u", name: "U" },
      channel: { id: "ch", type: "web", name: "Site" }
    }
    expect(Result.isSuccess(decodePayload("message.created", minimal))).toBe(true)
  })

  it("reports nested issues with their path under data, all at once", () => {
    const bad = {
      ...(samplePayloads["message.created"] as object),
      message: { ...message.message, sender: { type: "robot", id: "x", name: "X" }, createdAt: "yesterday" },
      channel: { id: "ch", type: "carrier-pigeon", name: "P" }
    }
    const paths = issuesOf("message.created", bad).map((issue) => issue.path).sort()
    expect(paths).toEqual(["data.channel.type", "data.message.createdAt", "data.message.sender.type"])
  })

  it.each(["2025-03-01", "2025-03-01T10:00:00", "2025-13-01T10:00:00Z", "March 1st"])(
    "refuses the date-time %s",
    (createdAt) => {
      expect(issuesOf("message.created", { ...(samplePayloads["message.created"] as object), message: { ...message.message, createdAt } }))
        .toContainEqual({ path: "data.message.createdAt", message: expect.stringMatching(/ISO 8601/) })
    }
  )

  it("refuses an empty change list and non-JSON values in changes", () => {
    const user = samplePayloads["user.updated"] as { user: unknown }
    expect(issuesOf("user.updated", { user: user.user, changes: [] }))
      .toEqual([{ path: "data.changes", message: "must list at least one change" }])
    expect(issuesOf("user.updated", { user: user.user, changes: [{ field: "x", from: 1, to: Number.NaN }] }))
      .toEqual([{ path: "data.changes[0].to", message: expect.stringMatching(/JSON value/) }])
  })

  it("refuses an unknown type at path type, listing the valid ones", () => {
    expect(issuesOf("message.deleted", {})).toEqual([
      { path: "type", message: expect.stringMatching(/unknown event type "message.deleted"; valid types: message.created/) }
    ])
  })

  it("does not treat inherited object keys as types", () => {
    expect(issuesOf("toString", {})).toEqual([{ path: "type", message: expect.any(String) }])
  })
})
