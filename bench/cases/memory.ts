/**
 * Resident memory of the Hookline process with 100,000 registered webhooks of which 1,000 receive
 * traffic, after warm-up.
 *
 * The 100,000 webhooks are written straight into the log with SQL before Hookline starts (through the
 * API they would take many minutes): 100 accounts (AccountCreated, ApiKeyIssued, one WebhookRegistered
 * per webhook) with 1,000 webhooks each (WebhookCreated), payloads shaped by the domain's own schemas.
 * In each account 10 webhooks subscribe to `message.created`, the other 990 to `user.updated`, which
 * nobody publishes. Signing secrets are stored unsealed (the cipher passes unsealed values through);
 * once decrypted, a sealed one costs the same memory.
 *
 * The read models (webhooks, accounts, API keys) are filled with SQL equivalent to what the projections
 * write, and their checkpoints set to the head: replaying them through the projections would take
 * Hookline minutes (they apply one statement per event). Hookline then starts on that log as after a
 * restart: its dispatcher index and runtime directory fold all 100,000 webhooks from the log. Then
 * `eventsPerAccount` events per account, published through the batch route, fan out to its 10 active webhooks, so each of the 1,000 gets traffic (and an endpoint actor).
 * The figure is the resident set size once every delivery is recorded; the peak while delivering and
 * the size at start are noted.
 */
import { performance } from "node:perf_hooks"
import { Duration, Effect, Fiber } from "effect"
import { accountCodec, webhookCodec } from "../../src/domain/codecs.js"
import { Account, Credentials, Webhook } from "../../src/domain/index.js"
import { defineCase } from "../harness.js"
import { type Account as ApiAccount, startHookline } from "../hookline.js"
import { awaitDelivered, publishAll, publishedEvent } from "../delivery-load.js"
import { headOf, markCaughtUp, query } from "../seed.js"

const webhooksPerAccount = 1000
const activePerAccount = 10
const metadata = { actor: { kind: "operator" as const }, correlationId: "req_bench_memory" }
const mb = (bytes: number) => bytes / (1024 * 1024)

export default defineCase({
  name: "memory",
  description: "resident memory of Hookline with 100,000 webhooks, 1,000 of them receiving traffic",
  order: 80,
  expectedSeconds: { full: 40, quick: 30 },
  run: (ctx) =>
    Effect.gen(function* () {
      const eventsPerAccount = ctx.quick ? 2 : 5
      // Quick mode keeps the case working with a tenth of the webhooks (its figure says nothing then).
      const accounts = ctx.quick ? 10 : 100
      const registered = (accounts * webhooksPerAccount).toLocaleString("en-US")
      const withTraffic = (accounts * activePerAccount).toLocaleString("en-US")
      const receiver = yield* ctx.receiver()
      const db = yield* ctx.database("memory")
      const pool = yield* db.pool(2)

      const seedLine = ctx.progress.live(`writing ${registered} webhooks with SQL`, () => "")
      const seedStart = performance.now()
      const keys: Array<ApiAccount> = []
      const accountAppends: Array<unknown> = []
      for (let a = 0; a < accounts; a++) {
        const accountId = `acc_mem${a}`
        const key = yield* Credentials.generateApiKey
        keys.push({ accountId, apiKey: key.key })
        const events = [
          Account.AccountCreated.make({ accountId, name: `memory ${a}`, plan: "scale" }),
          Account.ApiKeyIssued.make({ keyId: key.keyId, prefix: key.prefix, keyHash: key.keyHash })
        ].map((event, i) => accountCodec.encode(event, `mem-acc-${a}-${i}`, metadata))
        accountAppends.push({
          stream: `account-${accountId}`,
          expected: 0,
          events: events.map((e) => ({ id: e.eventId, type: e.type, v: 1, data: e.data, meta: e.metadata }))
        })
      }
      yield* query(pool, "SELECT * FROM append_events($1::jsonb)", [JSON.stringify(accountAppends)])

      const created = webhookCodec.encode(
        Webhook.WebhookCreated.make({
          webhookId: "",
          accountId: "",
          name: "",
          url: "",
          events: ["user.updated"],
          headers: {},
          secret: "",
          retrySchedule: null,
          maxConcurrency: null,
          rateLimit: null,
          createdAt: "2026-03-14T09:26:53.589Z"
        }),
        "template"
      )
      // w = account * 1000 + j; the first `activePerAccount` of each account take message.created.
      yield* query(
        pool,
        `INSERT INTO events (event_id, stream_id, stream_version, event_type, data, metadata)
         SELECT e.event_id, e.stream_id, e.stream_version, e.event_type, e.data, $4::jsonb
           FROM generate_series(0, $1::int - 1) AS w
           CROSS JOIN LATERAL (SELECT 'acc_mem' || (w / $2::int) AS account, 'wh_mem' || w AS webhook, w % $2::int AS j) AS x
           CROSS JOIN LATERAL (VALUES
             (0, 'mem-reg-' || w, 'account-' || x.account, 3 + x.j, 'WebhookRegistered', jsonb_build_object('webhookId', x.webhook)),
             (1, 'mem-wh-' || w, 'webhook-' || x.webhook, 1, 'WebhookCreated',
                 $3::jsonb || jsonb_build_object(
                   'webhookId', x.webhook, 'accountId', x.account, 'name', 'memory webhook ' || w,
                   'url', $5::text || '/mem/' || w,
                   'events', CASE WHEN x.j < $6::int THEN '["message.created"]'::jsonb ELSE '["user.updated"]'::jsonb END,
                   'secret', 'whsec_' || encode(sha256(('hookline-bench-' || w)::bytea), 'base64')))
           ) AS e(k, event_id, stream_id, stream_version, event_type, data)
          ORDER BY w, e.k`,
        [accounts * webhooksPerAccount, webhooksPerAccount, JSON.stringify(created.data), JSON.stringify(metadata), receiver.origin, activePerAccount]
      )
      // The read models as the projections would leave them, written here in three statements: replaying
      // them takes Hookline minutes (the webhooks and accounts projections apply one statement per event).
      yield* markCaughtUp(pool, yield* headOf(pool))
      yield* query(
        pool,
        `INSERT INTO webhooks_g1 (webhook_id, account_id, name, url, events, headers, retry_schedule, max_concurrency,
           rate_limit, status, created_at, updated_at, created_transaction, created_position)
         SELECT data->>'webhookId', data->>'accountId', data->>'name', data->>'url', data->'events', data->'headers',
                NULL, NULL, NULL, 'active', (data->>'createdAt')::timestamptz, recorded_at,
                transaction_id::text::bigint, global_position
           FROM events WHERE event_type = 'WebhookCreated'`
      )
      yield* query(
        pool,
        `INSERT INTO accounts_g1 (account_id, name, plan, webhook_count, created_at, updated_at, seq)
         SELECT e.data->>'accountId', e.data->>'name', e.data->>'plan',
                (SELECT count(*) FROM events r WHERE r.stream_id = e.stream_id AND r.event_type = 'WebhookRegistered'),
                e.recorded_at, e.recorded_at, e.global_position
           FROM events e WHERE e.event_type = 'AccountCreated'`
      )
      yield* query(
        pool,
        `INSERT INTO api_keys_g1 (key_hash, key_id, account_id, prefix, status, created_at, seq)
         SELECT data->>'keyHash', data->>'keyId', substr(stream_id, length('account-') + 1), data->>'prefix', 'active', recorded_at,
                global_position
           FROM events WHERE event_type = 'ApiKeyIssued'`
      )
      yield* query(pool, "VACUUM ANALYZE")
      seedLine.done(`${((performance.now() - seedStart) / 1000).toFixed(1)} s`)

      const startLine = ctx.progress.live(`starting Hookline on the ${registered} webhooks`, () => "")
      const startedAt = performance.now()
      const hookline = yield* startHookline({ database: db })
      const startSeconds = (performance.now() - startedAt) / 1000
      const rssAtStart = yield* hookline.rss
      startLine.done(`ready in ${startSeconds.toFixed(1)} s, ${mb(rssAtStart).toFixed(0)} MB resident`)

      const line = ctx.progress.live(`warm-up: ${accounts * eventsPerAccount * activePerAccount} deliveries to ${withTraffic} webhooks`, () => "")
      let peak = rssAtStart
      const sampler = yield* Effect.forkScoped(
        Effect.forever(
          Effect.andThen(
            Effect.map(Effect.orElseSucceed(hookline.rss, () => 0), (rss) => (peak = Math.max(peak, rss))),
            Effect.sleep(Duration.millis(100))
          )
        )
      )
      const start = performance.now()
      const expected = accounts * eventsPerAccount * activePerAccount
      yield* publishAll(
        hookline,
        keys.map((account, a) => ({
          account,
          events: Array.from({ length: eventsPerAccount }, (_, n) => publishedEvent(`mem-${a}-${n}`, n))
        })),
        { batchSize: 500, concurrency: 4 }
      )
      const done = yield* awaitDelivered(receiver, pool, {
        start,
        expected,
        expectedRecorded: expected,
        timeout: Duration.seconds(ctx.quick ? 40 : 60)
      })
      // Settled: the recorder's and projections' batches of the warm-up are done and collectable.
      yield* Effect.sleep(Duration.seconds(1))
      const rss = yield* hookline.rss
      yield* Fiber.interrupt(sampler)
      line.done(`${mb(rss).toFixed(0)} MB resident`)
      return {
        value: undefined,
        metrics: [
          {
            name: `resident memory after warm-up, ${registered} webhooks, ${withTraffic} with traffic`,
            value: mb(rss),
            unit: "MB",
            target: { kind: "atMost", value: 300 },
            note:
              `${mb(rssAtStart).toFixed(0)} MB when ready (start-up on the seeded log took ${startSeconds.toFixed(1)} s); ` +
              `peak ${mb(peak).toFixed(0)} MB while delivering ${expected.toLocaleString("en-US")} deliveries in ${done.seconds.toFixed(1)} s`
          }
        ]
      }
    })
})
