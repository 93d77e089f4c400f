import { Effect } from "effect"
import { randomBytes, randomUUID } from "node:crypto"

/**
 * Identifiers minted by Hookline. Random rather than sequential so they reveal nothing about volume
 * and need no coordination between processes; prefixed so a human can tell what an id names.
 */

const token = (prefix: string) => Effect.sync(() => `${prefix}${randomBytes(12).toString("base64url")}`)

export const newAccountId = token("acc_")
export const newWebhookId = token("wh_")
export const newEventId = token("evt_")
export const newCorrelationId = token("req_")

/** The log's own id of one stored event (the store is idempotent on it). */
export const newLogEventId = Effect.sync(() => randomUUID())
