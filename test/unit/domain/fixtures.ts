import { Result } from "effect"
import { signingSecretFromBytes } from "../../../src/domain/credentials.js"
import type { EventTypeName } from "../../../src/domain/event-types.js"
import {
  validateCreateWebhook,
  validateWebhookPatch,
  type ValidWebhookPatch,
  type ValidWebhookSettings
} from "../../../src/domain/webhook-input.js"

export const at = (iso: string): Date => new Date(iso)

/** A distinct, well-formed signing secret per seed. */
export const secret = (seed: number): string => signingSecretFromBytes(new Uint8Array(32).fill(seed))

export const channel = { id: "ch_1", type: "whatsapp", name: "Support WhatsApp" } as const
export const customer = { id: "cus_1", name: "Ada Lovelace", email: "ada@example.com", phone: "+441234567" }

/** One valid payload per catalogue type. */
export const samplePayloads: { readonly [N in EventTypeName]: unknown } = {
  "message.created": {
    message: {
      id: "msg_1",
      text: "Hello, my order is late",
      sender: { type: "user", id: "cus_1", name: "Ada Lovelace" },
      attachments: [{ id: "att_1", type: "image", url: "https://cdn.example.com/a.png", sizeBytes: 1024 }],
      createdAt: "2025-03-01T10:00:00.000Z"
    },
    conversation: { id: "conv_1", status: "open", channelId: "ch_1", subject: "Late order" },
    customer,
    channel
  },
  "conversation.updated": {
    conversation: {
      id: "conv_1",
      status: "closed",
      channelId: "ch_1",
      assignee: { type: "agent", id: "ag_1", name: "Grace" },
      tags: ["vip"],
      createdAt: "2025-03-01T10:00:00Z",
      updatedAt: "2025-03-01T11:00:00Z"
    },
    customer,
    channel,
    changes: [{ field: "status", from: "open", to: "closed" }]
  },
  "session.updated": {
    session: { id: "ses_1", status: "ended", startedAt: "2025-03-01T10:00:00Z", endedAt: "2025-03-01T10:30:00Z" },
    visitor: { id: "vis_1", name: "Visitor 1", country: "TR" },
    metadata: { utm: { source: "newsletter" }, pages: 3, returning: true, note: null }
  },
  "user.updated": {
    user: {
      id: "usr_1",
      name: "Ada King",
      email: "ada@example.com",
      attributes: { tier: "gold" },
      updatedAt: "2025-03-01T10:00:00+03:00"
    },
    changes: [{ field: "name", from: "Ada Lovelace", to: "Ada King" }]
  },
  "webhook.test": { webhookId: "wh_1", message: "hello" },
  "endpoint.disabled": { webhookId: "wh_1", reason: "failing for 5 days", at: "2025-03-01T10:00:00.000Z" },
  "endpoint.circuit_opened": {
    webhookId: "wh_1",
    at: "2025-03-01T10:00:00.000Z",
    until: "2025-03-01T10:01:00.000Z",
    failures: 5,
    failureClasses: ["http_500"]
  },
  "endpoint.circuit_closed": { webhookId: "wh_1", at: "2025-03-01T10:01:01.000Z", reason: "url changed" },
  "delivery.exhausted": {
    deliveryId: "dlv_1",
    webhookId: "wh_1",
    eventId: "evt_1",
    eventType: "message.created",
    attempts: 8,
    lastError: "HTTP 500",
    at: "2025-03-01T10:00:00.000Z"
  },
  "endpoint.recovered": { webhookId: "wh_1", at: "2025-03-01T10:00:00.000Z", failuresBefore: 2 }
}

export const settings = (input: unknown, allowPrivateTargets = false): ValidWebhookSettings => {
  const result = validateCreateWebhook(input, { allowPrivateTargets })
  if (Result.isFailure(result)) throw new Error(`fixture is invalid: ${result.failure.message}`)
  return result.success
}

export const patch = (input: unknown): ValidWebhookPatch => {
  const result = validateWebhookPatch(input, { allowPrivateTargets: false })
  if (Result.isFailure(result)) throw new Error(`fixture is invalid: ${result.failure.message}`)
  return result.success
}

export const validInput = {
  name: "Orders",
  url: "https://hooks.example.com/vivollo",
  events: ["message.created"]
}
