import { Effect } from "effect"
import fc from "fast-check"
import { createHash, createHmac } from "node:crypto"
import { Webhook as StandardWebhook } from "standardwebhooks"
import { describe, expect, it } from "vitest"
import {
  apiKeyFromBytes,
  apiKeyId,
  constantTimeEqual,
  generateAdminToken,
  generateApiKey,
  generateSigningSecret,
  hashApiKey,
  isAdminTokenFormat,
  isApiKeyFormat,
  isSigningSecretFormat,
  matchesHash,
  secretBytes,
  signingSecretFromBytes,
  signingSecretProblem
} from "../../../src/domain/credentials.js"

describe("API keys", () => {
  it("are hk_ followed by base64url of 32 bytes", () => {
    const issued = apiKeyFromBytes(new Uint8Array(32).fill(0xff))
    expect(issued.key).toBe(`hk_${"_".repeat(42)}8`)
    expect(isApiKeyFormat(issued.key)).toBe(true)
  })

  it("carry a display prefix, a sha256 hex hash and a derived id", () => {
    const issued = apiKeyFromBytes(new Uint8Array(32).fill(7))
    expect(issued.prefix).toBe(issued.key.slice(0, 10))
    expect(issued.keyHash).toBe(createHash("sha256").update(issued.key).digest("hex"))
    expect(issued.keyHash).toBe(hashApiKey(issued.key))
    expect(issued.keyId).toMatch(/^key_[0-9a-f]{24}$/)
    expect(issued.keyId).toBe(apiKeyId(issued.key))
    // The public id shares nothing with the stored hash.
    expect(issued.keyHash).not.toContain(issued.keyId.slice(4))
  })

  it("differ on every generation", () => {
    const [a, b] = Effect.runSync(Effect.all([generateApiKey, generateApiKey]))
    expect(a.key).not.toBe(b.key)
    expect(a.keyId).not.toBe(b.keyId)
    expect(isApiKeyFormat(a.key)).toBe(true)
  })

  it.each(["", "hk_", "hk_short", `hka_${"a".repeat(43)}`, `HK_${"a".repeat(43)}`, `hk_${"a".repeat(42)}!`])(
    "rejects the malformed key %j",
    (text) => expect(isApiKeyFormat(text)).toBe(false)
  )
})

describe("admin tokens", () => {
  it("are hka_ followed by base64url of 32 bytes", () => {
    const token = Effect.runSync(generateAdminToken)
    expect(isAdminTokenFormat(token)).toBe(true)
    expect(isApiKeyFormat(token)).toBe(false)
    expect(Effect.runSync(generateAdminToken)).not.toBe(token)
  })
})

describe("signing secrets", () => {
  it("are whsec_ followed by base64 of 32 bytes", () => {
    const secret = Effect.runSync(generateSigningSecret)
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(secretBytes(secret)).toHaveLength(32)
    expect(isSigningSecretFormat(secret)).toBe(true)
  })

  it("decode to the bytes they were made from", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 24, maxLength: 64 }), (bytes) => {
      expect(Buffer.compare(secretBytes(signingSecretFromBytes(bytes)), Buffer.from(bytes))).toBe(0)
    }))
  })

  it("sign exactly as the Standard Webhooks reference verifier expects", () => {
    const secret = signingSecretFromBytes(new Uint8Array(32).map((_, i) => i))
    const id = "msg_1"
    const timestamp = new Date("2025-03-01T12:00:00Z")
    const body = JSON.stringify({ hello: "world" })
    const seconds = Math.floor(timestamp.getTime() / 1000)
    const signature = createHmac("sha256", secretBytes(secret)).update(`${id}.${seconds}.${body}`).digest("base64")
    const verifier = new StandardWebhook(secret)
    const signed = verifier.sign(id, timestamp, body)
    expect(signed).toBe(`v1,${signature}`)
  })

  it.each([
    "",
    "whsec_",
    "whsec_!!!!",
    "hunter2",
    signingSecretFromBytes(new Uint8Array(16)),
    signingSecretFromBytes(new Uint8Array(65)),
    // Lenient decoders take these; the Standard Webhooks verifiers do not.
    signingSecretFromBytes(new Uint8Array(32)).replace(/=$/, ""),
    `${signingSecretFromBytes(new Uint8Array(24))}=`
  ])(
    "rejects the malformed secret %j",
    (secret) => expect(isSigningSecretFormat(secret)).toBe(false)
  )
})

describe("signing secret problems", () => {
  it("accept every secret made from 24 to 64 bytes, which the reference verifier also takes", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 24, maxLength: 64 }), (bytes) => {
      const secret = signingSecretFromBytes(bytes)
      expect(signingSecretProblem(secret)).toBeUndefined()
      expect(() => new StandardWebhook(secret)).not.toThrow()
    }))
  })

  it("name the form without repeating the secret", () => {
    const secret = signingSecretFromBytes(new Uint8Array(20).fill(9))
    const problem = signingSecretProblem(secret)
    expect(problem).toMatch(/^must be whsec_ followed by the base64 of 24 to 64/)
    expect(problem).not.toContain(secret.slice(6))
  })
})

describe("constant-time comparison", () => {
  it("is equality", () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => {
      expect(constantTimeEqual(a, b)).toBe(a === b)
    }))
    expect(constantTimeEqual("abc", "abc")).toBe(true)
    expect(constantTimeEqual("abc", "abd")).toBe(false)
    expect(constantTimeEqual("abc", "abcd")).toBe(false)
  })

  it("matches a presented key against its stored hash", () => {
    const issued = apiKeyFromBytes(new Uint8Array(32).fill(3))
    expect(matchesHash(issued.key, issued.keyHash)).toBe(true)
    expect(matchesHash(`${issued.key}x`, issued.keyHash)).toBe(false)
    expect(matchesHash(issued.key, hashApiKey("other"))).toBe(false)
  })
})
