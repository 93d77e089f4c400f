import { describe, expect, it } from "vitest"
import { collapse } from "../../src/eventstore/notifications.js"

describe("announcements folded while an old transaction holds the xmin", () => {
  it("become one entry: the newest transaction, every type", () => {
    const folded = collapse([
      { transactionId: 10n, types: new Set(["A"]) },
      { transactionId: 30n, types: new Set(["B"]) },
      { transactionId: 20n, types: new Set(["A", "C"]) }
    ])
    expect(folded.transactionId).toBe(30n)
    expect([...(folded.types ?? [])].sort()).toEqual(["A", "B", "C"])
  })

  it("an announcement of unknown types (another process) makes the fold wake every reader", () => {
    const folded = collapse([
      { transactionId: 5n, types: new Set(["A"]) },
      { transactionId: 6n, types: null }
    ])
    expect(folded).toEqual({ transactionId: 6n, types: null })
  })
})
