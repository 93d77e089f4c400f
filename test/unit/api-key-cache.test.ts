import { afterEach, describe, expect, it, vi } from "vitest"
import { ApiKeyCache } from "../../src/app/api-key-cache.js"

afterEach(() => vi.useRealTimers())

describe("API key cache", () => {
  it("answers within its time to live, then forgets", () => {
    vi.useFakeTimers()
    const cache = ApiKeyCache.make({ ttlMs: 1000, maxEntries: 10 })
    cache.put("h1", { accountId: "a", keyId: "k1" })
    expect(cache.get("h1")).toMatchObject({ accountId: "a", keyId: "k1" })
    vi.advanceTimersByTime(1001)
    expect(cache.get("h1")).toBeUndefined()
  })

  it("evicts a revoked key at once, and keeps at most maxEntries (oldest first out)", () => {
    const cache = ApiKeyCache.make({ ttlMs: 60_000, maxEntries: 2 })
    cache.put("h1", { accountId: "a", keyId: "k1" })
    cache.put("h2", { accountId: "a", keyId: "k2" })
    cache.evict("k1")
    expect(cache.get("h1")).toBeUndefined()
    expect(cache.get("h2")).toBeDefined()
    cache.put("h3", { accountId: "b", keyId: "k3" })
    cache.put("h4", { accountId: "b", keyId: "k4" })
    expect(cache.get("h2")).toBeUndefined()
    expect(cache.get("h3")).toBeDefined()
    expect(cache.get("h4")).toBeDefined()
  })
})
