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

const Time = Schema.NullOr(Schema.String)

export const WebhookHealthResource = Schema.Struct({
  webhookId: Schema.String,
  status: Schema.Literals(["active", "paused", "disabled"]),
  circuit: Schema.Struct({
    state: Schema.Literals(["closed", "open", "half_open"]).annotate({
      description: "open: nothing is sent until a probe; half_open: one probe is out and decides"
    }),
    since: Time.annotate({ description: "when it entered this state; null if it never opened" }),
    nextProbeAt: Time.annotate({ description: "while open, when the next probe may go" })
  }),
  consecutiveFailures: Schema.Number,
  failingSince: Time.annotate({ description: "the first failure since the last success" }),
  backlog: Schema.Number.annotate({ description: "deliveries still to be made (pending, retrying or waiting)" }),
  lastSuccessAt: Time,
  lastFailureAt: Time,
  last24h: Schema.Struct({
    succeeded: Schema.Number,
    failed: Schema.Number,
    successRate: Schema.NullOr(Schema.Number).annotate({ description: "succeeded / attempts, 0 to 1; null without attempts" })
  }).annotate({ description: "attempts over the last 24 hours, counted by the hour" })
}).annotate({ identifier: "WebhookHealth" })

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
