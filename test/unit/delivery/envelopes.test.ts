import { describe, expect, it } from "vitest"
import { envelope, makeEnvelopeCache } from "../../../src/delivery/envelopes.js"

const source = (eventId: string) => ({ eventId, type: "message.created", occurredAt: "2026-01-01T00:00:00.000Z", data: { eventId } })

describe("envelope cache", () => {
  it("hands each body over once, and keeps only the newest when the dispatcher is far behind", () => {
    const cache = makeEnvelopeCache(2)
    cache.put("e1", { source: source("e1"), correlationId: "c1" })
    expect(cache.take("e1")).toEqual({ source: source("e1"), correlationId: "c1" })
    expect(cache.take("e1")).toBeUndefined()
    cache.put("e2", { source: source("e2"), correlationId: undefined })
    cache.put("e3", { source: source("e3"), correlationId: undefined })
    cache.put("e4", { source: source("e4"), correlationId: undefined })
    // e2 was pushed out: the dispatcher reads it from the log instead.
    expect(cache.take("e2")).toBeUndefined()
    expect(cache.take("e3")?.source.eventId).toBe("e3")
    expect(cache.take("e4")?.source.eventId).toBe("e4")
  })

  it("a cache of no capacity holds nothing", () => {
    const cache = makeEnvelopeCache(0)
    cache.put("e1", { source: source("e1"), correlationId: undefined })
    expect(cache.take("e1")).toBeUndefined()
  })

  it("the envelope is {id, type, timestamp, data}", () => {
    const body = envelope({ eventId: "evt_1", type: "message.created", occurredAt: "2026-01-01T00:00:00.000Z", data: { a: 1 } })
    expect(JSON.parse(body)).toEqual({ id: "evt_1", type: "message.created", timestamp: "2026-01-01T00:00:00.000Z", data: { a: 1 } })
  })
})
