import { Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { EventIdConflict, PayloadTooLarge, ValidationFailed } from "../../../src/domain/errors.js"
import {
  decide,
  defaultMaxPayloadBytes,
  EventPublished,
  evolve,
  initialState,
  PublishedEventCommand,
  type PublishedEventState,
  PublishEventInput,
  testEventMessage
} from "../../../src/domain/published-event.js"
import { at, samplePayloads } from "./fixtures.js"

const now = at("2025-03-01T12:00:00.000Z")
const accountId = "acc_1"

const publish = (overrides: Partial<Omit<PublishedEventCommand & { _tag: "PublishEvent" }, "_tag">> = {}) =>
  PublishedEventCommand.PublishEvent({
    eventId: "evt_1",
    accountId,
    type: "message.created",
    data: samplePayloads["message.created"],
    occurredAt: undefined,
    now,
    maxPayloadBytes: defaultMaxPayloadBytes,
    ...overrides
  })

const published: EventPublished = {
  _tag: "EventPublished",
  eventId: "evt_1",
  accountId,
  type: "message.created",
  data: samplePayloads["message.created"],
  occurredAt: "2025-03-01T12:00:00.000Z",
  publishedAt: "2025-03-01T12:00:00.000Z"
}

const issuesOf = (result: Result.Result<unknown, unknown>) =>
  Result.isFailure(result) && result.failure instanceof ValidationFailed ? result.failure.issues : []

describe("publishing an event", () => {
  it("records EventPublished with publishedAt = now and occurredAt defaulting to now", () => {
    expect(decide(publish(), initialState)).toEqual(Result.succeed([published]))
  })

  it("keeps the publisher's occurredAt, normalized to UTC", () => {
    expect(decide(publish({ occurredAt: "2025-03-01T14:30:00+03:00" }), initialState)).toEqual(
      Result.succeed([{ ...published, occurredAt: "2025-03-01T11:30:00.000Z" }])
    )
  })

  it("stores the payload as published, unknown fields included", () => {
    const data = { ...(samplePayloads["user.updated"] as object), debug: { internal: true } }
    const result = Result.getOrThrow(decide(publish({ type: "user.updated", data }), initialState))
    expect(result[0]?.data).toEqual(data)
  })

  it("is idempotent on the event id for the same account and the same content", () => {
    const state: PublishedEventState = evolve(initialState, published)
    expect(decide(publish(), state)).toEqual(Result.succeed([]))
    // The same JSON with its keys in another order (as read back from the database) is the same event.
    const reordered = Object.fromEntries(Object.entries(samplePayloads["message.created"] as object).reverse())
    expect(decide(publish({ data: reordered, occurredAt: "2025-03-02T00:00:00Z" }), state)).toEqual(Result.succeed([]))
  })

  it("refuses the same id with another type or data from the same account", () => {
    const state: PublishedEventState = evolve(initialState, published)
    const conflict = Result.fail(new EventIdConflict({ eventId: "evt_1", differentContent: true }))
    expect(decide(publish({ data: { different: true } }), state)).toEqual(conflict)
    expect(decide(publish({ data: { ...(samplePayloads["message.created"] as object), extra: 1 } }), state)).toEqual(conflict)
    expect(decide(publish({ type: "user.updated" }), state)).toEqual(conflict)
    expect(new EventIdConflict({ eventId: "evt_1", differentContent: true }).message).toMatch(/different type or data/)
  })

  it("refuses the same id from another account instead of dropping its event", () => {
    const state = evolve(initialState, published)
    expect(decide(publish({ accountId: "acc_2" }), state)).toEqual(Result.fail(new EventIdConflict({ eventId: "evt_1" })))
  })

  it("refuses a payload over the limit with the limit and the size", () => {
    const data = { blob: "x".repeat(100) }
    const size = JSON.stringify(data).length
    expect(decide(publish({ data, maxPayloadBytes: size - 1 }), initialState))
      .toEqual(Result.fail(new PayloadTooLarge({ limit: size - 1, size })))
  })

  it("measures the size in UTF-8 bytes", () => {
    const data = { text: "ç".repeat(10) }
    const bytes = Buffer.byteLength(JSON.stringify(data))
    expect(bytes).toBeGreaterThan(JSON.stringify(data).length)
    expect(decide(publish({ data, maxPayloadBytes: bytes - 1 }), initialState))
      .toEqual(Result.fail(new PayloadTooLarge({ limit: bytes - 1, size: bytes })))
  })

  it("has a 256 KiB default limit", () => {
    expect(defaultMaxPayloadBytes).toBe(262_144)
  })

  it("refuses an unknown type with the valid list", () => {
    expect(issuesOf(decide(publish({ type: "message.deleted" }), initialState))).toEqual([
      { path: "type", message: expect.stringMatching(/valid types: message.created/) }
    ])
  })

  it("refuses the internal webhook.test type", () => {
    expect(issuesOf(decide(publish({ type: "webhook.test", data: samplePayloads["webhook.test"] }), initialState)))
      .toEqual([{ path: "type", message: expect.stringMatching(/only by POST \/v1\/webhooks\/\{id\}\/test/) }])
  })

  it("reports payload, occurredAt and id issues together", () => {
    const issues = issuesOf(decide(publish({ eventId: "bad id!", occurredAt: "yesterday", data: {} }), initialState))
    const paths = issues.map((issue) => issue.path)
    expect(paths).toContain("id")
    expect(paths).toContain("occurredAt")
    expect(paths.some((path) => path.startsWith("data."))).toBe(true)
  })

  it("refuses data that cannot be serialized", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    expect(issuesOf(decide(publish({ data: cyclic }), initialState))).toEqual([
      { path: "data", message: "must be serializable as JSON" }
    ])
    expect(issuesOf(decide(publish({ data: { n: 1n } }), initialState))).toEqual([
      { path: "data", message: "must be serializable as JSON" }
    ])
  })
})

describe("publishing a test event", () => {
  it("records a webhook.test event aimed at one webhook", () => {
    const result = decide(
      PublishedEventCommand.PublishTestEvent({ eventId: "evt_t", accountId, webhookId: "wh_1", now }),
      initialState
    )
    expect(result).toEqual(Result.succeed([{
      _tag: "EventPublished",
      eventId: "evt_t",
      accountId,
      type: "webhook.test",
      data: { webhookId: "wh_1", message: testEventMessage },
      occurredAt: "2025-03-01T12:00:00.000Z",
      publishedAt: "2025-03-01T12:00:00.000Z",
      targetWebhookId: "wh_1"
    }]))
  })
})

describe("EventPublished", () => {
  it("round-trips through its JSON encoding", () => {
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(EventPublished)(published)))
    expect(Schema.decodeUnknownSync(EventPublished)(json)).toEqual(published)
  })
})

describe("PublishEventInput", () => {
  it("accepts an optional id and refuses unsafe ones", () => {
    const decode = Schema.decodeUnknownResult(PublishEventInput)
    expect(Result.isSuccess(decode({ type: "message.created", data: {} }))).toBe(true)
    expect(Result.isSuccess(decode({ id: "order-42:v1", type: "message.created", data: {} }))).toBe(true)
    expect(Result.isFailure(decode({ id: "../etc", type: "message.created", data: {} }))).toBe(true)
    expect(Result.isFailure(decode({ id: "x".repeat(201), type: "message.created", data: {} }))).toBe(true)
  })
})
