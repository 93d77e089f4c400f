import { SqlClient } from "effect/sql/SqlClient"
import { Effect, Option, Result } from "effect"
import { webhookCodec } from "../domain/codecs.js"
import type { Webhook } from "../domain/index.js"
import { Streams } from "../domain/index.js"
import type { LogPosition, RecordedEvent } from "../eventstore/types.js"
import type { Projection, TableName } from "./projection.js"

/**
 * Every webhook's current settings and status, listed per account. Signing secrets are deliberately
 * not kept here: nothing that serves reads can leak what it does not have. The list is ordered by the
 * log position of each webhook's creation, an immutable key, so a cursor never skips or repeats a
 * webhook whatever is created meanwhile.
 */
export const webhooksProjectionName = "webhooks"

const json = (value: unknown) => JSON.stringify(value)

const applyOne = (event: RecordedEvent, t: TableName) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const decoded = webhookCodec.decode(event)
    if (Result.isFailure(decoded)) {
      return yield* Effect.logError(`webhooks projection skips an undecodable event`, decoded.failure)
    }
    const webhookId = Option.match(Streams.parseStreamId(event.streamId), {
      onNone: () => "",
      onSome: (parsed) => parsed.id
    })
    const e: Webhook.WebhookEvent = decoded.success
    const update = (assignments: string, values: ReadonlyArray<unknown>) =>
      sql.unsafe(
        `UPDATE ${t("webhooks")} SET ${assignments}, updated_at = $2 WHERE webhook_id = $1`,
        [webhookId, event.recordedAt, ...values]
      )
    switch (e._tag) {
      case "WebhookCreated":
        yield* sql.unsafe(
          `INSERT INTO ${t("webhooks")} (webhook_id, account_id, name, url, events, headers, retry_schedule,
             max_concurrency, rate_limit, status, created_at, updated_at, created_transaction, created_position)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9, 'active', $10, $11, $12, $13)
           ON CONFLICT (webhook_id) DO NOTHING`,
          [
            e.webhookId,
            e.accountId,
            e.name,
            e.url,
            json(e.events),
            json(e.headers),
            e.retrySchedule === null ? null : json(e.retrySchedule),
            e.maxConcurrency,
            e.rateLimit,
            e.createdAt,
            event.recordedAt,
            event.position.transactionId.toString(),
            event.position.globalPosition.toString()
          ]
        )
        return
      case "WebhookRenamed":
        yield* update("name = $3", [e.name])
        return
      case "WebhookUrlChanged":
        yield* update("url = $3", [e.url])
        return
      case "WebhookEventsChanged":
        yield* update("events = $3::jsonb", [json(e.events)])
        return
      case "WebhookHeadersChanged":
        yield* update("headers = $3::jsonb", [json(e.headers)])
        return
      case "WebhookPolicyChanged":
        yield* update("retry_schedule = $3::jsonb, max_concurrency = $4, rate_limit = $5", [
          e.retrySchedule === null ? null : json(e.retrySchedule),
          e.maxConcurrency,
          e.rateLimit
        ])
        return
      case "WebhookPaused":
        yield* update("status = 'paused'", [])
        return
      case "WebhookResumed":
        yield* update("status = 'active', disabled_reason = NULL", [])
        return
      case "WebhookSecretRotated":
        yield* update("secret_rotated_at = $2, previous_secret_expires_at = $3", [e.previousSecretExpiresAt])
        return
      case "WebhookDisabled":
        yield* update("status = 'disabled', disabled_reason = $3", [e.reason])
        return
      case "WebhookDeleted":
        yield* update("status = 'deleted'", [])
        return
    }
  })

export const webhooksProjection: Projection = {
  name: webhooksProjectionName,
  version: 1,
  eventTypes: Array.from(webhookCodec.types),
  tables: ["webhooks"],
  createTables: (t) => [
    `CREATE TABLE ${t("webhooks")} (
       webhook_id      text PRIMARY KEY,
       account_id      text NOT NULL,
       name            text NOT NULL,
       url             text NOT NULL,
       events          jsonb NOT NULL,
       headers         jsonb NOT NULL,
       retry_schedule  jsonb,
       max_concurrency integer,
       rate_limit      integer,
       status          text NOT NULL,
       disabled_reason text,
       secret_rotated_at timestamptz,
       previous_secret_expires_at text,
       created_at      timestamptz NOT NULL,
       updated_at      timestamptz NOT NULL,
       created_transaction bigint NOT NULL,
       created_position    bigint NOT NULL)`,
    `CREATE INDEX ${t("webhooks")}_by_account ON ${t("webhooks")} (account_id, created_transaction, created_position)`
  ],
  apply: (events, t) => Effect.forEach(events, (event) => applyOne(event, t), { discard: true })
}

// Queries (through the stable names) ------------------------------------------------------------------

export interface WebhookRow {
  readonly webhook_id: string
  readonly account_id: string
  readonly name: string
  readonly url: string
  readonly events: ReadonlyArray<string>
  readonly headers: Readonly<Record<string, string>>
  readonly retry_schedule: ReadonlyArray<number> | null
  readonly max_concurrency: number | null
  readonly rate_limit: number | null
  readonly status: "active" | "paused" | "disabled" | "deleted"
  readonly disabled_reason: string | null
  readonly secret_rotated_at: Date | null
  readonly previous_secret_expires_at: string | null
  readonly created_at: Date
  readonly updated_at: Date
  readonly created_transaction: string
  readonly created_position: string
}

const columns = `webhook_id, account_id, name, url, events, headers, retry_schedule, max_concurrency, rate_limit,
  status, disabled_reason, secret_rotated_at, previous_secret_expires_at, created_at, updated_at,
  created_transaction::text AS created_transaction, created_position::text AS created_position`

/**
 * A webhook of this account, deleted ones included (the caller applies the rule for those, see
 * http/handlers/own-webhook.ts); another account's webhook is as absent as a missing one.
 */
export const findWebhook = (accountId: string, webhookId: string) =>
  Effect.flatMap(SqlClient, (sql) =>
    sql
      .unsafe<WebhookRow>(
        `SELECT ${columns} FROM webhooks WHERE webhook_id = $1 AND account_id = $2`,
        [webhookId, accountId]
      )
      .pipe(Effect.map((rows) => Option.fromNullishOr(rows[0])))
  )

/** The key a list cursor points after. */
export const rowPosition = (row: WebhookRow): LogPosition => ({
  transactionId: BigInt(row.created_transaction),
  globalPosition: BigInt(row.created_position)
})

/**
 * Up to `limit` webhooks of the account created after `after`, oldest first, and whether more follow.
 * ORDER BY names the table's columns: the text aliases in the select list would otherwise win and sort
 * the numbers as text.
 */
export const listWebhooks = (accountId: string, after: LogPosition | undefined, limit: number) =>
  Effect.flatMap(SqlClient, (sql) =>
    sql
      .unsafe<WebhookRow>(
        `SELECT ${columns} FROM webhooks
          WHERE account_id = $1 AND status <> 'deleted'
            AND (created_transaction, created_position) > ($2::bigint, $3::bigint)
          ORDER BY webhooks.created_transaction, webhooks.created_position
          LIMIT $4`,
        [
          accountId,
          (after?.transactionId ?? -1n).toString(),
          (after?.globalPosition ?? -1n).toString(),
          limit + 1
        ]
      )
      .pipe(Effect.map((rows) => ({ rows: rows.slice(0, limit), more: rows.length > limit })))
  )
