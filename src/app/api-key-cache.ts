import { Context, Layer } from "effect"

export interface CachedKey {
  readonly accountId: string
  readonly keyId: string
}

export interface ApiKeyCacheShape {
  readonly get: (keyHash: string) => CachedKey | undefined
  readonly put: (keyHash: string, key: CachedKey) => void
  /** Forgets a key at once (its revocation in this process). */
  readonly evict: (keyId: string) => void
  /** The last uses (a hit or a put) noted since the last `takeUsed`, by key id (epoch ms); leaves them if `keep`. */
  readonly takeUsed: (options?: { readonly keep: boolean }) => ReadonlyMap<string, number>
}

/**
 * Active API keys recently seen, by hash: the authentication of every request otherwise costs a database
 * round trip. Entries live `ttlMs`, so a key revoked through another process stops working within that
 * time; one revoked here is evicted at once. Bounded: the oldest entries go first.
 * It also notes when each key was last used (a cache hit or a fresh lookup is one authenticated request).
 */
export class ApiKeyCache extends Context.Service<ApiKeyCache, ApiKeyCacheShape>()("hookline/ApiKeyCache") {
  static readonly make = (options: { readonly ttlMs: number; readonly maxEntries: number }): ApiKeyCacheShape => {
    const entries = new Map<string, CachedKey & { readonly expiresAt: number }>()
    // One number per key used since the last flush: bounded by the keys in use, not by the requests.
    let lastUsed = new Map<string, number>()
    return {
      get: (keyHash) => {
        const entry = entries.get(keyHash)
        if (entry === undefined) return undefined
        const now = Date.now()
        if (entry.expiresAt <= now) {
          entries.delete(keyHash)
          return undefined
        }
        lastUsed.set(entry.keyId, now)
        return entry
      },
      takeUsed: (options) => {
        const taken = lastUsed
        if (options?.keep !== true) lastUsed = new Map()
        return taken
      },
      put: (keyHash, key) => {
        if (entries.size >= options.maxEntries) {
          const oldest = entries.keys().next()
          if (oldest.done !== true) entries.delete(oldest.value)
        }
        const now = Date.now()
        entries.set(keyHash, { ...key, expiresAt: now + options.ttlMs })
        // A key is put after its lookup for a request: that request uses it.
        lastUsed.set(key.keyId, now)
      },
      evict: (keyId) => {
        for (const [hash, entry] of entries) if (entry.keyId === keyId) entries.delete(hash)
      }
    }
  }

  static readonly layer = Layer.sync(ApiKeyCache, () => ApiKeyCache.make({ ttlMs: 2_000, maxEntries: 10_000 }))
}
