/**
 * Realistic payloads, the same for Hookline and for the raw ceilings it is compared with: a
 * `message.created` event of about 1 KB, as a customer would publish it.
 */
import type { EventMetadata } from "../src/eventstore/types.js"

const text =
  "Hi team, the shipment for order 48213 left the warehouse this morning and should arrive on Thursday. " +
  "Tracking is attached; please confirm the delivery address for the second parcel, the customer moved " +
  "last month and the old address is still on the invoice. Thanks for the quick turnaround on this one."

/**
 * The customer's own event body: what `POST /v1/events` receives in `data`. It follows the catalogue's
 * `message.created` schema (src/domain/event-types.ts) field for field, since unknown properties are
 * dropped on decode and a missing one is refused.
 */
export const messageCreated = (n: number) => ({
  message: {
    id: `msg_${n.toString(36).padStart(10, "0")}`,
    text,
    sender: { type: "user", id: "usr_7Q2M4K8P", name: "Alice Martin" },
    attachments: [
      {
        id: "att_9f8e7d6c",
        type: "file",
        url: "https://files.example.com/a/9f8e7d6c/tracking.pdf",
        name: "tracking.pdf",
        mimeType: "application/pdf",
        sizeBytes: 48213
      }
    ],
    createdAt: "2026-03-14T09:26:53.589Z"
  },
  conversation: {
    id: "conv_01HZX8K2Q4M7T9V3B6N1C5D8F0",
    status: "open",
    channelId: "ch_email_01HZX8",
    subject: "Re: Shipment for order 48213"
  },
  customer: { id: "cus_3B9N6C1D", name: "Alice Martin", email: "alice.martin@example.com", phone: "+33 6 12 34 56 78" },
  channel: { id: "ch_email_01HZX8", type: "email", name: "Support inbox" }
})

/** The data of the `EventPublished` that stores such an event (stream `event-<id>`). */
export const eventPublishedData = (eventId: string, n: number) => ({
  eventId,
  accountId: "acc_01HZX8J6W3R5",
  type: "message.created",
  data: messageCreated(n),
  occurredAt: "2026-03-14T09:26:53.589Z",
  publishedAt: "2026-03-14T09:26:53.612Z"
})

export const eventMetadata: EventMetadata = {
  actor: { kind: "account", accountId: "acc_01HZX8J6W3R5", keyId: "key_5T7Y9U1I" },
  correlationId: "req_01HZX8M0A2S4D6F8G0H2J4K6"
}

/** The envelope Hookline sends for the same event (src/delivery/envelopes.ts `envelope`): the body of every delivery. */
export const webhookEnvelope = (n: number): string =>
  JSON.stringify({
    id: `evt_${n.toString(36).padStart(10, "0")}`,
    type: "message.created",
    timestamp: "2026-03-14T09:26:53.612Z",
    data: messageCreated(n)
  })

/** Headers of a delivery (the signature is a fixed, well-formed stand-in: the ceiling does not sign). */
export const webhookHeaders = (n: number): Record<string, string> => ({
  "content-type": "application/json",
  "webhook-id": `msg_${n}`,
  "webhook-timestamp": "1773480413",
  "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="
})
