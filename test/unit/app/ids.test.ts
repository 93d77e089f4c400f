import { describe, expect, it } from "@effect/vitest"
import { mintEventId } from "../../../src/app/ids.js"

describe("minted ids", () => {
  it("are a prefix and 16 base64url characters, all distinct", () => {
    const ids = Array.from({ length: 10_000 }, mintEventId)
    for (const id of ids) expect(id).toMatch(/^evt_[A-Za-z0-9_-]{16}$/)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("carry 6 random bits in every character (no fixed UUID version or variant bits among them)", () => {
    const ids = Array.from({ length: 5_000 }, mintEventId)
    for (let position = 4; position < 20; position++) {
      const seen = new Set(ids.map((id) => id[position]))
      // 5,000 draws of 64 equally likely characters miss one with odds of about 64 × (63/64)^5000.
      expect(seen.size).toBe(64)
    }
  })
})
