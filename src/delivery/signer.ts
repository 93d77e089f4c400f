/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
 * `${msgId}.${timestamp}.${body}`, sent as `v1,<base64>`, one per active secret so a receiver that still
 * holds the previous secret keeps verifying during a rotation.
 *
 * Hashing uses `node:crypto` (native) rather than the `standardwebhooks` package, which hashes in
 * JavaScript and is several times slower; the package is the independent verifier in tests.
 */
import { createHmac, createSecretKey } from "node:crypto"
import type { KeyObject } from "node:crypto"
import { Result, Schema } from "effect"

export const SECRET_PREFIX = "whsec_"

/** The spec recommends keys of 24 to 64 bytes; shorter keys are weak, longer ones a sign of a mix-up. */
const MIN_KEY_BYTES = 24
const MAX_KEY_BYTES = 64
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

export class InvalidSigningSecret extends Schema.TaggedError<InvalidSigningSecret>()("InvalidSigningSecret", {
  /** Never the secret itself: this error may be logged. */
  index: Schema.Number,
  reason: Schema.String
}) {
  override get message(): string {
    return `signing secret #${this.index} is invalid: ${this.reason}`
  }
}

/**
 * Decoded signing keys for one webhook. Decode once (when the webhook's secrets are loaded or rotated) and
 * keep it beside the webhook: decoding on every delivery would repeat base64 work and key setup.
 */
export interface SigningKeys {
  readonly keys: ReadonlyArray<KeyObject>
}

const decodeOne = (secret: string, index: number): Result.Result<KeyObject, InvalidSigningSecret> => {
  if (!secret.startsWith(SECRET_PREFIX)) {
    return Result.fail(new InvalidSigningSecret({ index, reason: `missing "${SECRET_PREFIX}" prefix` }))
  }
  const encoded = secret.slice(SECRET_PREFIX.length)
  if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) {
    return Result.fail(new InvalidSigningSecret({ index, reason: "key is not valid base64" }))
  }
  const bytes = Buffer.from(encoded, "base64")
  if (bytes.length < MIN_KEY_BYTES || bytes.length > MAX_KEY_BYTES) {
    return Result.fail(
      new InvalidSigningSecret({ index, reason: `key must be ${MIN_KEY_BYTES}–${MAX_KEY_BYTES} bytes` })
    )
  }
  return Result.succeed(createSecretKey(bytes))
}

/** Decodes `whsec_<base64>` secrets (newest first, by convention) into reusable keys. */
export const decodeSigningSecrets = (
  secrets: ReadonlyArray<string>
): Result.Result<SigningKeys, InvalidSigningSecret> => {
  if (secrets.length === 0) {
    return Result.fail(new InvalidSigningSecret({ index: 0, reason: "at least one secret is required" }))
  }
  const keys: Array<KeyObject> = []
  for (let i = 0; i < secrets.length; i++) {
    const decoded = decodeOne(secrets[i]!, i)
    if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
    keys.push(decoded.success)
  }
  return Result.succeed({ keys })
}


export interface SignInput {
  /** The `webhook-id` header: the same on every retry and redelivery. */
  readonly msgId: string
  /** The `webhook-timestamp` header, unix seconds, of this attempt. */
  readonly timestamp: number
  /** Exactly the bytes sent as the request body. */
  readonly body: string
  readonly keys: SigningKeys
}

/** The `webhook-signature` header value: `v1,<base64>` per key, space-separated. */
export const sign = (input: SignInput): string => {
  const content = `${input.msgId}.${Math.floor(input.timestamp)}.${input.body}`
  const keys = input.keys.keys
  let header = ""
  for (let i = 0; i < keys.length; i++) {
    const mac = createHmac("sha256", keys[i]!).update(content).digest("base64")
    header = i === 0 ? `v1,${mac}` : `${header} v1,${mac}`
  }
  return header
}
