import { Option } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  accountStream,
  categoryPrefix,
  deliveryStream,
  endpointStream,
  eventStream,
  parseStreamId,
  streamCategories,
  webhookStream
} from "../../../src/domain/streams.js"

describe("stream ids", () => {
  it("are <category>-<id>", () => {
    expect(accountStream("a1")).toBe("account-a1")
    expect(webhookStream("w1")).toBe("webhook-w1")
    expect(eventStream("e1")).toBe("event-e1")
    expect(deliveryStream("d1")).toBe("delivery-d1")
    expect(endpointStream("w1")).toBe("endpoint-w1")
    expect(categoryPrefix("webhook")).toBe("webhook-")
  })

  it("parse back, keeping dashes inside the id", () => {
    expect(parseStreamId("webhook-0190d7a2-6c1e-7b3a-9f00-1234567890ab")).toEqual(
      Option.some({ category: "webhook", id: "0190d7a2-6c1e-7b3a-9f00-1234567890ab" })
    )
  })

  it.each(["", "webhook", "webhook-", "-abc", "unknown-abc", "Webhook-abc"])("refuse %j", (text) => {
    expect(parseStreamId(text)).toEqual(Option.none())
  })

  it("round-trip for every category and any non-empty id", () => {
    const makers = { account: accountStream, webhook: webhookStream, event: eventStream, delivery: deliveryStream, endpoint: endpointStream }
    fc.assert(fc.property(fc.constantFrom(...streamCategories), fc.string({ minLength: 1 }), (category, id) => {
      expect(parseStreamId(makers[category](id))).toEqual(Option.some({ category, id }))
    }))
  })
})
