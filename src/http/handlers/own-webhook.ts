import { Effect, Option } from "effect"
import { WebhookAlreadyDeleted, WebhookNotFound } from "../../domain/errors.js"
import { findWebhook, type WebhookRow } from "../../projections/webhooks.js"
import { orApiError } from "../error-mapping.js"

/**
 * The one rule for deleted webhooks, which every route follows: a deleted webhook answers 410
 * `webhook_deleted` to anything that reads its settings or acts on it (`ownWebhook`), and stays readable
 * where it is audited: its history, its delivery log, each delivery (`auditedWebhook`). Another account's
 * webhook is a 404, exactly like a missing one.
 */
const found = (accountId: string, webhookId: string) =>
  Effect.flatMap(findWebhook(accountId, webhookId), (row) =>
    Option.isNone(row) ? Effect.fail(new WebhookNotFound({ webhookId })) : Effect.succeed(row.value)
  )

export const ownWebhook = (accountId: string, webhookId: string) =>
  orApiError(
    Effect.flatMap(
      found(accountId, webhookId),
      (row): Effect.Effect<WebhookRow, WebhookAlreadyDeleted> =>
        row.status === "deleted" ? Effect.fail(new WebhookAlreadyDeleted({ webhookId })) : Effect.succeed(row)
    )
  )

export const auditedWebhook = (accountId: string, webhookId: string) => orApiError(found(accountId, webhookId))
