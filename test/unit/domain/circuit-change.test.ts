import { describe, expect, it } from "vitest"
import { describeCircuitChange, type EndpointEvent } from "../../../src/domain/delivery.js"

describe("describeCircuitChange", () => {
  const cases: ReadonlyArray<readonly [string, EndpointEvent, RegExp, Record<string, unknown>]> = [
    [
      "an opening names the failures' classes and when the probe may go",
      {
        _tag: "CircuitOpened",
        webhookId: "wh",
        at: "2026-12-08T10:00:00Z",
        url: "https://example.com/hook",
        until: "2026-12-08T10:00:30Z",
        cooldownMs: 30_000,
        failures: [
          { deliveryId: "d1", attempt: 1, errorClass: "http_500" },
          { deliveryId: "d2", attempt: 1, errorClass: "timeout" },
          { deliveryId: "d3", attempt: 2, errorClass: "http_500" }
        ]
      },
      /^circuit opened after 3 failed attempts \(http_500, timeout\); nothing is sent until a probe at 2026-12-08T10:00:30Z$/,
      { until: "2026-12-08T10:00:30Z", cooldownMs: 30_000, url: "https://example.com/hook" }
    ],
    ["half-open: one probe", { _tag: "CircuitHalfOpened", webhookId: "wh", at: "t" }, /one probe/, {}],
    ["closed by a probe", { _tag: "CircuitClosed", webhookId: "wh", at: "t" }, /a probe succeeded/, {}],
    ["closed by a new URL", { _tag: "CircuitClosed", webhookId: "wh", at: "t", reason: "url changed" }, /url changed/, { reason: "url changed" }]
  ]
  it.each(cases)("%s", (_, event, summary, details) => {
    const change = describeCircuitChange(event)
    expect(change.type).toBe(event._tag)
    expect(change.summary).toMatch(summary)
    expect(change.details).toMatchObject(details)
  })
})
