import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { Webhook } from "standardwebhooks"
import { randomBytes } from "node:crypto"
import { decodeSigningSecrets, sign } from "../../../src/delivery/signer.js"
import { signingSecretFromBytes } from "../../../src/domain/credentials.js"

const generateSigningSecret = () => signingSecretFromBytes(randomBytes(32))
import type { SigningKeys } from "../../../src/delivery/signer.js"

const keysOf = (secrets: ReadonlyArray<string>): SigningKeys => Result.getOrThrow(decodeSigningSecrets(secrets))

const headersFor = (msgId: string, timestamp: number, signature: string) => ({
  "webhook-id": msgId,
  "webhook-timestamp": String(timestamp),
  "webhook-signature": signature
})

describe("sign", () => {
  const body = JSON.stringify({ id: "evt_1", type: "message.created", data: { text: "héllo ✓" } })
  const now = Math.floor(Date.now() / 1000)

  it("produces a signature the standardwebhooks package verifies", () => {
    const secret = generateSigningSecret()
    const signature = sign({ msgId: "msg_1", timestamp: now, body, keys: keysOf([secret]) })
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
    expect(new Webhook(secret).verify(body, headersFor("msg_1", now, signature))).toEqual(JSON.parse(body))
  })

  it("matches the package's own signature byte for byte", () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    const signature = sign({ msgId: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body, keys: keysOf([secret]) })
    expect(signature).toBe(new Webhook(secret).sign("msg_p5jXN8AQM9LWM0D4loKWxJek", new Date(1614265330_000), body))
  })

  it("signs with every secret during a rotation, and either secret verifies", () => {
    const oldSecret = generateSigningSecret()
    const newSecret = generateSigningSecret()
    const signature = sign({ msgId: "msg_2", timestamp: now, body, keys: keysOf([newSecret, oldSecret]) })
    expect(signature.split(" ")).toHaveLength(2)
    const headers = headersFor("msg_2", now, signature)
    expect(() => new Webhook(newSecret).verify(body, headers)).not.toThrow()
    expect(() => new Webhook(oldSecret).verify(body, headers)).not.toThrow()
    expect(() => new Webhook(generateSigningSecret()).verify(body, headers)).toThrow()
  })

  it("does not verify when the body, id or timestamp changed", () => {
    const secret = generateSigningSecret()
    const signature = sign({ msgId: "msg_3", timestamp: now, body, keys: keysOf([secret]) })
    const wh = new Webhook(secret)
    expect(() => wh.verify(body + " ", headersFor("msg_3", now, signature))).toThrow()
    expect(() => wh.verify(body, headersFor("msg_4", now, signature))).toThrow()
    expect(() => wh.verify(body, headersFor("msg_3", now + 1, signature))).toThrow()
  })
})

describe("decodeSigningSecrets", () => {
  it.each([
    ["no secrets", []],
    ["a missing prefix", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]],
    ["invalid base64", ["whsec_not base64!!"]],
    ["a key that is too short", ["whsec_" + Buffer.alloc(8).toString("base64")]],
    ["a key that is too long", ["whsec_" + Buffer.alloc(100).toString("base64")]],
    ["one bad secret among good ones", [generateSigningSecret(), "whsec_"]]
  ] as const)("rejects %s without echoing the secret", (_label, secrets) => {
    const result = decodeSigningSecrets(secrets)
    expect(Result.isFailure(result)).toBe(true)
    if (Result.isFailure(result)) {
      expect(result.failure._tag).toBe("InvalidSigningSecret")
      for (const secret of secrets) if (secret.length > 6) expect(result.failure.message).not.toContain(secret)
    }
  })

  it("decodes generated secrets", () => {
    expect(keysOf([generateSigningSecret(), generateSigningSecret()]).keys).toHaveLength(2)
  })
})
