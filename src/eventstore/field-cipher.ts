import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto"
import { promises as fs } from "node:fs"
import * as path from "node:path"
import { Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { Settings } from "../config.js"

/**
 * Encrypts chosen fields of chosen event types at rest (AES-256-GCM), at the event store's edge: the
 * log holds ciphertext, everything above the store sees plain values. Webhook signing secrets and custom
 * header values (usually credentials of the customer's endpoint) are the fields in question.
 *
 * A value is stored as `enc:v1:<key id>:<base64 iv|tag|ciphertext>`. Several keys may be configured:
 * the first encrypts, any decrypts, so a key is rotated by putting the new one first and keeping the
 * old one until nothing needs it (old events keep their old ciphertext: the log is never rewritten).
 */

export class EncryptionKeyInvalid extends Schema.TaggedError<EncryptionKeyInvalid>()("EncryptionKeyInvalid", {
  message: Schema.String
}) {}

export class UnknownEncryptionKey extends Schema.TaggedError<UnknownEncryptionKey>()("UnknownEncryptionKey", {
  keyId: Schema.String
}) {}

interface Key {
  readonly id: string
  readonly bytes: Buffer
}

/** Which fields of which event types are encrypted: a top-level field, or every value of a record field. */
export const encryptedFields: Readonly<Record<string, ReadonlyArray<{ readonly field: string; readonly kind: "value" | "record" }>>> = {
  WebhookCreated: [
    { field: "secret", kind: "value" },
    { field: "headers", kind: "record" }
  ],
  WebhookSecretRotated: [{ field: "secret", kind: "value" }],
  WebhookHeadersChanged: [{ field: "headers", kind: "record" }]
}

const prefix = "enc:v1:"

export interface FieldCipherShape {
  /** Encrypts the configured fields of a payload of this type (other types pass through untouched). */
  readonly seal: (type: string, data: unknown) => unknown
  /** Decrypts them back; throws UnknownEncryptionKey when no configured key fits (a deployment error). */
  readonly open: (type: string, data: unknown) => unknown
  readonly enabled: boolean
}

export class FieldCipher extends Context.Service<FieldCipher, FieldCipherShape>()("hookline/FieldCipher") {}

/** No encryption: values are stored as given. */
export const noCipher: FieldCipherShape = { seal: (_, data) => data, open: (_, data) => data, enabled: false }

export const keyId = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex").slice(0, 8)

/** Parses `HOOKLINE_ENCRYPTION_KEY`: comma-separated base64 keys of 32 bytes, the first one current. */
export const parseKeys = (text: string): ReadonlyArray<Key> | EncryptionKeyInvalid => {
  const keys: Array<Key> = []
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p.length > 0)) {
    const bytes = Buffer.from(part, "base64")
    if (bytes.length !== 32) {
      return new EncryptionKeyInvalid({
        message: `HOOKLINE_ENCRYPTION_KEY: each key must be 32 bytes in base64 (got ${bytes.length} bytes)`
      })
    }
    keys.push({ id: keyId(bytes), bytes })
  }
  if (keys.length === 0) return new EncryptionKeyInvalid({ message: "HOOKLINE_ENCRYPTION_KEY is empty" })
  return keys
}

export const generateKey = (): string => randomBytes(32).toString("base64")

export const makeFieldCipher = (keys: ReadonlyArray<Key>): FieldCipherShape => {
  const current = keys[0]!
  const byId = new Map(keys.map((k) => [k.id, k]))

  const encrypt = (plain: string): string => {
    if (plain.startsWith(prefix)) return plain
    const iv = randomBytes(12)
    const cipher = createCipheriv("aes-256-gcm", current.bytes, iv)
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()])
    return `${prefix}${current.id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`
  }

  const decrypt = (value: string): string => {
    if (!value.startsWith(prefix)) return value
    const rest = value.slice(prefix.length)
    const colon = rest.indexOf(":")
    const id = rest.slice(0, colon)
    const key = byId.get(id)
    if (key === undefined) throw new UnknownEncryptionKey({ keyId: id })
    const raw = Buffer.from(rest.slice(colon + 1), "base64")
    const decipher = createDecipheriv("aes-256-gcm", key.bytes, raw.subarray(0, 12))
    decipher.setAuthTag(raw.subarray(12, 28))
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8")
  }

  const transform = (type: string, data: unknown, f: (value: string) => string): unknown => {
    const fields = encryptedFields[type]
    if (fields === undefined || typeof data !== "object" || data === null) return data
    const copy: Record<string, unknown> = { ...(data as Record<string, unknown>) }
    for (const { field, kind } of fields) {
      const value = copy[field]
      if (kind === "value" && typeof value === "string") copy[field] = f(value)
      if (kind === "record" && typeof value === "object" && value !== null) {
        copy[field] = Object.fromEntries(
          Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, typeof v === "string" ? f(v) : v])
        )
      }
    }
    return copy
  }

  return {
    seal: (type, data) => transform(type, data, encrypt),
    open: (type, data) => transform(type, data, decrypt),
    enabled: true
  }
}

/**
 * The cipher from `HOOKLINE_ENCRYPTION_KEY`; unset with the embedded database, a key is generated once and
 * kept in the data dir; unset with an external database, values are stored as given, with a warning.
 */
export const FieldCipherLive = Layer.effect(
  FieldCipher,
  Effect.gen(function* () {
    const settings = yield* Settings
    if (Option.isSome(settings.encryptionKey)) {
      const parsed = parseKeys(Redacted.value(settings.encryptionKey.value))
      if (parsed instanceof EncryptionKeyInvalid) return yield* parsed
      return makeFieldCipher(parsed)
    }
    if (Option.isSome(settings.databaseUrl)) {
      yield* Effect.logWarning(
        "HOOKLINE_ENCRYPTION_KEY is not set: signing secrets and custom header values are stored unencrypted"
      )
      return noCipher
    }
    const file = path.join(path.resolve(settings.dataDir), "encryption.key")
    const text = yield* Effect.tryPromise({
      try: async () => {
        await fs.mkdir(path.dirname(file), { recursive: true })
        try {
          return (await fs.readFile(file, "utf8")).trim()
        } catch {
          const key = generateKey()
          await fs.writeFile(file, `${key}\n`, { mode: 0o600, flag: "wx" }).catch(() => undefined)
          return (await fs.readFile(file, "utf8")).trim()
        }
      },
      catch: (error) => new EncryptionKeyInvalid({ message: `cannot read or create ${file}: ${String(error)}` })
    })
    const parsed = parseKeys(text)
    if (parsed instanceof EncryptionKeyInvalid) return yield* parsed
    return makeFieldCipher(parsed)
  })
)
