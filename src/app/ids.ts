import { Effect } from "effect"
import { randomBytes, randomUUID } from "node:crypto"

/**
 * Identifiers minted by Hookline. Random rather than sequential so they reveal nothing about volume
 * and need no coordination between processes; prefixed so a human can tell what an id names.
 */

const mint = (prefix: string) => `${prefix}${randomBytes(12).toString("base64url")}`
const token = (prefix: string) => Effect.sync(() => mint(prefix))

export const newAccountId = token("acc_")
export const newWebhookId = token("wh_")
/** For a loop over many items, where an effect per id would cost more than the id. */
export const mintEventId = () => mint("evt_")
export const newEventId = Effect.sync(mintEventId)
export const newCorrelationId = token("req_")

/** The log's own id of one stored event (the store is idempotent on it). */
export const newLogEventId = Effect.sync(() => randomUUID())
