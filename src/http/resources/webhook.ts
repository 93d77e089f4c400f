import { Schema } from "effect"
import type { Webhook } from "../../domain/index.js"
import type { WebhookRow } from "../../projections/webhooks.js"

/** A webhook as the API shows it. Never the signing secret: only create and rotate-secret return that. */
export const WebhookResource = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  url: Schema.String,
  events: Schema.Array(Schema.String),
  headers: Schema.Record(Schema.String, Schema.String),
  status: Schema.Literals(["active", "paused", "disabled"]),
  disabledReason: Schema.NullOr(Schema.String),
  retrySchedule: Schema.NullOr(Schema.Array(Schema.Number)),
  maxConcurrency: Schema.NullOr(Schema.Number),
  rateLimit: Schema.NullOr(Schema.Number),
  previousSecretExpiresAt: Schema.NullOr(Schema.String).annotate({
    description: "until when the secret replaced by the last rotation still signs"
  }),
  createdAt: Schema.String
}).annotate({ identifier: "Webhook" })
export type WebhookResource = typeof WebhookResource.Type

export const WebhookWithSecretResource = Schema.Struct({
  ...WebhookResource.fields,
  secret: Schema.String.annotate({ description: "the whsec_ signing secret; shown only in this response" })
}).annotate({ identifier: "WebhookWithSecret" })

const visibleStatus = (status: Webhook.WebhookStatus): WebhookResource["status"] =>
  status === "deleted" ? "disabled" : status

/** From the state a command produced. */
export const fromState = (webhook: Webhook.Webhook): WebhookResource => ({
  id: webhook.webhookId,
  name: webhook.name,
  url: webhook.url,
  events: webhook.events,
  headers: webhook.headers,
  status: visibleStatus(webhook.status),
  disabledReason: webhook.disabledReason,
  retrySchedule: webhook.retrySchedule,
  maxConcurrency: webhook.maxConcurrency,
  rateLimit: webhook.rateLimit,
  previousSecretExpiresAt: webhook.previousSecret?.expiresAt ?? null,
  createdAt: webhook.createdAt
})

/** From the read model; must agree with `fromState` for the same webhook. */
export const fromRow = (row: WebhookRow): WebhookResource => ({
  id: row.webhook_id,
  name: row.name,
  url: row.url,
  events: row.events,
  headers: row.headers,
  status: visibleStatus(row.status),
  disabledReason: row.disabled_reason,
  retrySchedule: row.retry_schedule,
  maxConcurrency: row.max_concurrency,
  rateLimit: row.rate_limit,
  previousSecretExpiresAt: row.previous_secret_expires_at,
  createdAt: row.created_at.toISOString()
})
