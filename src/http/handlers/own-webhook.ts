import { Effect, Option } from "effect"
import { WebhookAlreadyDeleted, WebhookNotFound } from "../../domain/errors.js"
import { findWebhook, type WebhookRow } from "../../projections/webhooks.js"
import { CurrentAccount } from "../auth.js"
import { orApiError } from "../error-mapping.js"
import { Forbidden } from "../errors.js"

/**
 * A portal session may be limited to some of the account's webhooks: it sees no other, and a webhook
 * outside its scope is a 404 exactly like another account's. API keys (no portal) see the whole account.
 */
export const scopeOf = Effect.map(Effect.serviceOption(CurrentAccount), (account) =>
  Option.isSome(account) && account.value.portal !== undefined ? account.value.portal.webhookIds : null
)

export const isInScope = (scope: ReadonlyArray<string> | null, webhookId: string) => scope === null || scope.includes(webhookId)

const inScope = (webhookId: string) =>
  Effect.flatMap(scopeOf, (scope) => (isInScope(scope, webhookId) ? Effect.void : Effect.fail(new WebhookNotFound({ webhookId }))))

/** For commands that resolve the webhook themselves: refuses one outside the session's scope first. */
export const webhookInScope = (webhookId: string) => orApiError(inScope(webhookId))

/** What only a session over the whole account may do, e.g. create a webhook. */
export const wholeAccount = Effect.flatMap(scopeOf, (scope) =>
  scope === null
    ? Effect.void
    : Effect.fail(new Forbidden({ code: "forbidden", message: "this portal link is limited to some webhooks" }))
)

/**
 * The one rule for deleted webhooks, which every route follows: a deleted webhook answers 410
 * `webhook_deleted` to anything that reads its settings or acts on it (`ownWebhook`), and stays readable
 * where it is audited: its history, its delivery log, each delivery (`auditedWebhook`). Another account's
 * webhook is a 404, exactly like a missing one.
 */
const found = (accountId: string, webhookId: string) =>
  Effect.andThen(
    inScope(webhookId),
    Effect.flatMap(findWebhook(accountId, webhookId), (row) =>
      Option.isNone(row) ? Effect.fail(new WebhookNotFound({ webhookId })) : Effect.succeed(row.value)
    )
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
