import { Effect } from "effect"
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"

/**
 * Credentials: account API keys (`hk_`), the operator token (`hka_`) and webhook signing secrets
 * (`whsec_`, the Standard Webhooks format). Generation draws randomness, so it is an Effect; everything
 * else is a deterministic function and may be used inside decide/evolve.
 */

const secretByteLength = 32

export const apiKeyPrefix = "hk_"
export const adminTokenPrefix = "hka_"
export const signingSecretPrefix = "whsec_"

/** How many leading characters of a key are stored and shown so a human can tell keys apart. */
export const displayPrefixLength = 10

// base64url of 32 bytes is 43 characters without padding.
const apiKeyPattern = /^hk_[A-Za-z0-9_-]{43}$/
const adminTokenPattern = /^hka_[A-Za-z0-9_-]{43}$/

export const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex")

/** What the store keeps instead of the key: a fast hash is enough because keys carry 256 random bits. */
export const hashApiKey = (key: string): string => sha256Hex(key)

/**
 * The key's public id, derived so the same key always has the same id. Hashed under its own label so
 * the id shares nothing with the stored `keyHash`.
 */
export const apiKeyId = (key: string): string => `key_${sha256Hex(`hookline-api-key-id:${key}`).slice(0, 24)}`

export const apiKeyDisplayPrefix = (key: string): string => key.slice(0, displayPrefixLength)

/** A cheap shape check before any lookup, so garbage bearer tokens never reach the database. */
export const isApiKeyFormat = (value: string): boolean => apiKeyPattern.test(value)
export const isAdminTokenFormat = (value: string): boolean => adminTokenPattern.test(value)

export interface IssuedApiKey {
  /** The key itself: shown to the caller once, never stored. */
  readonly key: string
  readonly keyId: string
  readonly prefix: string
  readonly keyHash: string
}

/** Builds an API key from 32 random bytes; split from generation so tests can pin the bytes. */
export const apiKeyFromBytes = (bytes: Uint8Array): IssuedApiKey => {
  const key = `${apiKeyPrefix}${Buffer.from(bytes).toString("base64url")}`
  return { key, keyId: apiKeyId(key), prefix: apiKeyDisplayPrefix(key), keyHash: hashApiKey(key) }
}

export const generateApiKey: Effect.Effect<IssuedApiKey> = Effect.sync(() =>
  apiKeyFromBytes(randomBytes(secretByteLength))
)

export const generateAdminToken: Effect.Effect<string> = Effect.sync(
  () => `${adminTokenPrefix}${randomBytes(secretByteLength).toString("base64url")}`
)

export const signingSecretFromBytes = (bytes: Uint8Array): string =>
  `${signingSecretPrefix}${Buffer.from(bytes).toString("base64")}`

export const generateSigningSecret: Effect.Effect<string> = Effect.sync(() =>
  signingSecretFromBytes(randomBytes(secretByteLength))
)

export const signingSecretMinBytes = 24
export const signingSecretMaxBytes = 64

/**
 * Why a text is not a `whsec_` secret whose key is 24 to 64 bytes (the range Standard Webhooks allows),
 * or undefined when it is one. The base64 must be canonical (padded, no stray bits), because receivers'
 * verifiers decode it strictly: a lenient decode here would sign with a key they never derive. The
 * message never repeats the secret.
 */
export const signingSecretProblem = (secret: string): string | undefined => {
  const message = `must be whsec_ followed by the base64 of ${signingSecretMinBytes} to ${signingSecretMaxBytes} random bytes`
  if (!secret.startsWith(signingSecretPrefix)) return message
  const encoded = secret.slice(signingSecretPrefix.length)
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return message
  const bytes = Buffer.from(encoded, "base64")
  if (bytes.toString("base64") !== encoded) return message
  return bytes.length < signingSecretMinBytes || bytes.length > signingSecretMaxBytes ? message : undefined
}

/** Guards the aggregate against a secret built wrongly at the edge, which would make every signature unverifiable. */
export const isSigningSecretFormat = (secret: string): boolean => signingSecretProblem(secret) === undefined

/**
 * The HMAC key of a `whsec_` secret: the base64 after the prefix, as Standard Webhooks verifiers decode
 * it. A secret without the prefix is taken as bare base64, which is what those verifiers accept too.
 */
export const secretBytes = (secret: string): Buffer =>
  Buffer.from(secret.startsWith(signingSecretPrefix) ? secret.slice(signingSecretPrefix.length) : secret, "base64")

/**
 * Compares two strings (hashes, tokens) in time independent of where they differ. Unequal lengths return
 * early: the length of a hash or token is public anyway.
 */
export const constantTimeEqual = (a: string, b: string): boolean => {
  const left = Buffer.from(a, "utf8")
  const right = Buffer.from(b, "utf8")
  return left.length === right.length && timingSafeEqual(left, right)
}

/** Checks a presented token against a stored sha256 hex hash without leaking timing. */
export const matchesHash = (presented: string, storedHash: string): boolean =>
  constantTimeEqual(sha256Hex(presented), storedHash)
