import { describe, expect, it } from "vitest"
import { EncryptionKeyInvalid, generateKey, keyId, makeFieldCipher, parseKeys } from "../../src/eventstore/field-cipher.js"

const keysOf = (text: string) => {
  const parsed = parseKeys(text)
  if (parsed instanceof EncryptionKeyInvalid) throw parsed
  return parsed
}

describe("field cipher", () => {
  const created = {
    webhookId: "wh_1",
    secret: "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0MTI=",
    headers: { "X-Api-Key": "k3y-value", "X-Other": "two" },
    url: "https://example.com/hook"
  }

  it("encrypts secrets and header values, and only those, and decrypts them back", () => {
    const cipher = makeFieldCipher(keysOf(generateKey()))
    const sealed = cipher.seal("WebhookCreated", created) as typeof created
    expect(sealed.secret).toMatch(/^enc:v1:[0-9a-f]{8}:/)
    expect(Object.values(sealed.headers).every((v) => v.startsWith("enc:v1:"))).toBe(true)
    expect(Object.keys(sealed.headers)).toEqual(["X-Api-Key", "X-Other"])
    expect(sealed.url).toBe(created.url)
    expect(JSON.stringify(sealed)).not.toContain("k3y-value")
    expect(JSON.stringify(sealed)).not.toContain(created.secret)
    expect(cipher.open("WebhookCreated", sealed)).toEqual(created)
    // Other event types pass untouched.
    expect(cipher.seal("WebhookRenamed", { name: "x" })).toEqual({ name: "x" })
    // Two seals of the same value differ (random IV).
    expect((cipher.seal("WebhookSecretRotated", { secret: "a" }) as { secret: string }).secret).not.toBe(
      (cipher.seal("WebhookSecretRotated", { secret: "a" }) as { secret: string }).secret
    )
  })

  it("rotates keys: the first encrypts, every listed key decrypts; an unknown key is an error", () => {
    const oldKey = generateKey()
    const newKey = generateKey()
    const before = makeFieldCipher(keysOf(oldKey)).seal("WebhookCreated", created)
    const rotated = makeFieldCipher(keysOf(`${newKey},${oldKey}`))
    expect(rotated.open("WebhookCreated", before)).toEqual(created)
    const after = rotated.seal("WebhookCreated", created) as typeof created
    expect(after.secret).toContain(`:${keyId(Buffer.from(newKey, "base64"))}:`)
    expect(() => makeFieldCipher(keysOf(newKey)).open("WebhookCreated", before)).toThrow()
  })

  it("refuses keys that are not 32 bytes of base64", () => {
    expect(parseKeys("short")).toBeInstanceOf(EncryptionKeyInvalid)
    expect(parseKeys("")).toBeInstanceOf(EncryptionKeyInvalid)
    expect(parseKeys(`${generateKey()},nope`)).toBeInstanceOf(EncryptionKeyInvalid)
  })

  it("detects tampering (GCM authentication)", () => {
    const cipher = makeFieldCipher(keysOf(generateKey()))
    const sealed = cipher.seal("WebhookSecretRotated", { secret: "whsec_x" }) as { secret: string }
    const raw = Buffer.from(sealed.secret.split(":")[3]!, "base64")
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1
    const tampered = { secret: `${sealed.secret.split(":").slice(0, 3).join(":")}:${raw.toString("base64")}` }
    expect(() => cipher.open("WebhookSecretRotated", tampered)).toThrow()
  })
})
