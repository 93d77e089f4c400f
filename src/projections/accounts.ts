import { SqlClient } from "effect/sql/SqlClient"
import { Effect, Option, Result } from "effect"
import { accountCodec } from "../domain/codecs.js"
import type { Account } from "../domain/index.js"
import { Streams } from "../domain/index.js"
import type { RecordedEvent } from "../eventstore/types.js"
import type { Projection, TableName } from "./projection.js"

/**
 * Accounts and their API keys. Authentication looks keys up by hash here on every request, and the
 * account's webhook count is the usage the plan limit is about (the limit itself is enforced on the
 * account stream, not here: a read model may lag, a stream version may not).
 */
export const accountsProjectionName = "accounts"

const applyOne = (event: RecordedEvent, t: TableName) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const decoded = accountCodec.decode(event)
    if (Result.isFailure(decoded)) {
      return yield* Effect.logError(`accounts projection skips an undecodable event`, decoded.failure)
    }
    const accountId = Option.match(Streams.parseStreamId(event.streamId), {
      onNone: () => "",
      onSome: (parsed) => parsed.id
    })
    const at = event.recordedAt
    // The log position orders the operator's lists, newest first.
    const seq = event.position.globalPosition.toString()
    const e: Account.AccountEvent = decoded.success
    switch (e._tag) {
      case "AccountCreated":
        yield* sql.unsafe(
          `INSERT INTO ${t("accounts")} (account_id, name, plan, webhook_count, created_at, updated_at, seq)
           VALUES ($1, $2, $3, 0, $4, $4, $5) ON CONFLICT (account_id) DO NOTHING`,
          [e.accountId, e.name, e.plan, at, seq]
        )
        return
      case "PlanChanged":
        yield* sql.unsafe(`UPDATE ${t("accounts")} SET plan = $2, updated_at = $3 WHERE account_id = $1`, [
          accountId,
          e.plan,
          at
        ])
        return
      case "ApiKeyIssued":
        yield* sql.unsafe(
          `INSERT INTO ${t("api_keys")} (key_hash, key_id, account_id, prefix, name, status, created_at, seq)
           VALUES ($1, $2, $3, $4, $5, 'active', $6, $7) ON CONFLICT (key_hash) DO NOTHING`,
          [e.keyHash, e.keyId, accountId, e.prefix, e.name ?? null, at, seq]
        )
        return
      case "ApiKeyRevoked":
        yield* sql.unsafe(
          `UPDATE ${t("api_keys")} SET status = 'revoked', revoked_at = $3 WHERE account_id = $1 AND key_id = $2`,
          [accountId, e.keyId, at]
        )
        return
      case "WebhookRegistered":
      case "WebhookUnregistered":
        yield* sql.unsafe(
          `UPDATE ${t("accounts")} SET webhook_count = webhook_count + $2, updated_at = $3 WHERE account_id = $1`,
          [accountId, e._tag === "WebhookRegistered" ? 1 : -1, at]
        )
        return
    }
  })

export const accountsProjection: Projection = {
  name: accountsProjectionName,
  // 2: `seq` and the indexes of the operator's lists of accounts and keys.
  // 3: a key's optional `name`.
  version: 3,
  eventTypes: Array.from(accountCodec.types),
  tables: ["accounts", "api_keys"],
  createTables: (t) => [
    `CREATE TABLE ${t("accounts")} (
       account_id    text PRIMARY KEY,
       name          text NOT NULL,
       plan          text NOT NULL,
       webhook_count integer NOT NULL,
       created_at    timestamptz NOT NULL,
       updated_at    timestamptz NOT NULL,
       seq           bigint NOT NULL)`,
    `CREATE INDEX ${t("accounts")}_newest ON ${t("accounts")} (seq DESC, account_id DESC)`,
    `CREATE TABLE ${t("api_keys")} (
       key_hash   text PRIMARY KEY,
       key_id     text NOT NULL,
       account_id text NOT NULL,
       prefix     text NOT NULL,
       name       text,
       status     text NOT NULL,
       created_at timestamptz NOT NULL,
       revoked_at timestamptz,
       seq        bigint NOT NULL)`,
    `CREATE INDEX ${t("api_keys")}_by_account ON ${t("api_keys")} (account_id, key_id)`,
    `CREATE INDEX ${t("api_keys")}_newest ON ${t("api_keys")} (account_id, seq DESC, key_id DESC)`
  ],
  apply: (events, t) => Effect.forEach(events, (event) => applyOne(event, t), { discard: true })
}

// Queries (through the stable names) ------------------------------------------------------------------

export interface AccountRow {
  readonly account_id: string
  readonly name: string
  readonly plan: string
  readonly webhook_count: number
  readonly created_at: Date
}

export interface ApiKeyRow {
  readonly key_id: string
  readonly account_id: string
  readonly prefix: string
  readonly status: "active" | "revoked"
  readonly created_at: Date
  readonly revoked_at: Date | null
}

export const findAccount = (accountId: string) =>
  Effect.flatMap(SqlClient, (sql) =>
    sql<AccountRow>`SELECT account_id, name, plan, webhook_count, created_at FROM accounts
                     WHERE account_id = ${accountId}`.pipe(Effect.map((rows) => Option.fromNullishOr(rows[0])))
  )

/** The active key with this hash, if any: the whole of API-key authentication. */
export const findActiveKeyByHash = (keyHash: string) =>
  Effect.flatMap(SqlClient, (sql) =>
    sql<ApiKeyRow>`SELECT key_id, account_id, prefix, status, created_at, revoked_at FROM api_keys
                    WHERE key_hash = ${keyHash} AND status = 'active'`.pipe(
      Effect.map((rows) => Option.fromNullishOr(rows[0]))
    )
  )

export interface Cursor {
  readonly seq: string
  readonly id: string
}

const pageOf = <R extends { readonly seq: string }>(rows: ReadonlyArray<R>, limit: number, id: (row: R) => string) => {
  const data = rows.slice(0, limit)
  const last = data[data.length - 1]
  return { data, next: rows.length > limit && last !== undefined ? { seq: last.seq, id: id(last) } : null }
}

/** Every account, newest first (the operator's list). */
export const listAccounts = (page: { readonly limit: number; readonly after: Cursor | undefined }) =>
  Effect.flatMap(SqlClient, (sql) =>
    sql<AccountRow & { readonly seq: string }>`
      SELECT account_id, name, plan, webhook_count, created_at, seq::text AS seq FROM accounts
       WHERE ${page.after === undefined ? sql`true` : sql`(seq, account_id) < (${page.after.seq}::bigint, ${page.after.id})`}
       ORDER BY seq DESC, account_id DESC LIMIT ${page.limit + 1}`.pipe(
      Effect.map((rows) => pageOf(rows, page.limit, (row) => row.account_id))
    )
  )

export interface ApiKeyListRow extends ApiKeyRow {
  readonly name: string | null
  readonly seq: string
  readonly last_used_at: Date | null
}

/** The account's keys, active and revoked, newest first, with their last recorded use; never their hash. */
export const listApiKeys = (accountId: string, page: { readonly limit: number; readonly after: Cursor | undefined }) =>
  Effect.flatMap(SqlClient, (sql) =>
    sql<ApiKeyListRow>`
      SELECT k.key_id, k.account_id, k.prefix, k.name, k.status, k.created_at, k.revoked_at, k.seq::text AS seq, u.last_used_at
        FROM api_keys k LEFT JOIN api_key_usage u ON u.key_id = k.key_id
       WHERE k.account_id = ${accountId}
         AND ${page.after === undefined ? sql`true` : sql`(k.seq, k.key_id) < (${page.after.seq}::bigint, ${page.after.id})`}
       ORDER BY k.seq DESC, k.key_id DESC LIMIT ${page.limit + 1}`.pipe(
      Effect.map((rows) => pageOf(rows, page.limit, (row) => row.key_id))
    )
  )
