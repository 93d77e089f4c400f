import { describe, expect, it } from "vitest"
import { isEventId } from "../../../src/domain/published-event.js"
import {
  failureClasses,
  noticeOfExhaustion,
  operationalEventId,
  operatorAccountId,
  recipientsOf
} from "../../../src/domain/operational.js"

describe("operational event ids", () => {
  it("are the same for the same source and account, so a repeat after a crash is a duplicate", () => {
    expect(operationalEventId("src-1", "acc_a")).toBe(operationalEventId("src-1", "acc_a"))
    expect(isEventId(operationalEventId("src-1", "acc_a"))).toBe(true)
  })

  it("differ per source and per recipient account (an event's stream is keyed by its id alone)", () => {
    const ids = new Set([
      operationalEventId("src-1", "acc_a"),
      operationalEventId("src-2", "acc_a"),
      operationalEventId("src-1", operatorAccountId),
      // The separator keeps ("ab", "c") and ("a", "bc") apart.
      operationalEventId("src-1a", "cc_a")
    ])
    expect(ids.size).toBe(4)
  })
})

describe("recipients", () => {
  it("are the operator and the owning account, once each", () => {
    expect(recipientsOf("acc_a")).toEqual([operatorAccountId, "acc_a"])
    expect(recipientsOf(operatorAccountId)).toEqual([operatorAccountId])
    expect(recipientsOf(undefined)).toEqual([operatorAccountId])
  })
})

describe("the loop rule", () => {
  it("tells of exhausted deliveries of published events, never of operational ones", () => {
    expect(noticeOfExhaustion("message.created")).toBe(true)
    expect(noticeOfExhaustion("webhook.test")).toBe(true)
    for (const type of ["endpoint.disabled", "endpoint.circuit_opened", "endpoint.circuit_closed", "delivery.exhausted", "endpoint.recovered"]) {
      expect(noticeOfExhaustion(type)).toBe(false)
    }
  })
})

describe("failure classes", () => {
  it("are distinct, in first order", () => {
    expect(failureClasses([{ errorClass: "timeout" }, { errorClass: "http_500" }, { errorClass: "timeout" }])).toEqual([
      "timeout",
      "http_500"
    ])
  })
})
