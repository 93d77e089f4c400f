import { Effect } from "effect"
import { randomUUID } from "node:crypto"

/**
 * Identifiers minted by Hookline. Random rather than sequential so they reveal nothing about volume
 * and need no coordination between processes; prefixed so a human can tell what an id names.
 */

/**
 * 12 random bytes, base64url. Taken from a random UUID: Node draws those from a pooled buffer, while each
 * `randomBytes(12)` is a call into OpenSSL's generator of its own (about 3 µs, 11 µs on a loaded machine: a
 * twelfth of a bare publish request, which mints two ids). A v4 UUID's hex digits 0-12 and 24-36 are all
 * random; its version digit and variant bits sit outside them.
 */
const randomPart = () => {
  const uuid = randomUUID()
  return Buffer.from(uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(24, 36), "hex").toString("base64url")
}

const mint = (prefix: string) => `${prefix}${randomPart()}`
const token = (prefix: string) => Effect.sync(() => mint(prefix))

export const newAccountId = token("acc_")
export const newWebhookId = token("wh_")
/** For a loop over many items, where an effect per id would cost more than the id. */
export const mintEventId = () => mint("evt_")
export const newEventId = Effect.sync(mintEventId)
export const newCorrelationId = token("req_")

/** The log's own id of one stored event (the store is idempotent on it). */
export const newLogEventId = Effect.sync(() => randomUUID())
