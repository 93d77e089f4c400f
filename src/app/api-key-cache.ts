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
}

/**
 * Active API keys recently seen, by hash: the authentication of every request otherwise costs a database
 * round trip. Entries live `ttlMs`, so a key revoked through another process stops working within that
 * time; one revoked here is evicted at once. Bounded: the oldest entries go first.
 */
export class ApiKeyCache extends Context.Service<ApiKeyCache, ApiKeyCacheShape>()("hookline/ApiKeyCache") {
  static readonly make = (options: { readonly ttlMs: number; readonly maxEntries: number }): ApiKeyCacheShape => {
    const entries = new Map<string, CachedKey & { readonly expiresAt: number }>()
    return {
      get: (keyHash) => {
        const entry = entries.get(keyHash)
        if (entry === undefined) return undefined
        if (entry.expiresAt <= Date.now()) {
          entries.delete(keyHash)
          return undefined
        }
        return entry
      },
      put: (keyHash, key) => {
        if (entries.size >= options.maxEntries) {
          const oldest = entries.keys().next()
          if (oldest.done !== true) entries.delete(oldest.value)
        }
        entries.set(keyHash, { ...key, expiresAt: Date.now() + options.ttlMs })
      },
      evict: (keyId) => {
        for (const [hash, entry] of entries) if (entry.keyId === keyId) entries.delete(hash)
      }
    }
  }

  static readonly layer = Layer.sync(ApiKeyCache, () => ApiKeyCache.make({ ttlMs: 2_000, maxEntries: 10_000 }))
}
