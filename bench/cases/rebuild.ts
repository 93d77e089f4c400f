/**
 * Rebuilding the delivery log (the `deliveries` projection) from the start of a log of over 1,000,000
 * events, against a raw gap-safe read of the same events, in the same run.
 *
 * The log is written with plain SQL (the API would take minutes): each delivery is what Hookline itself
 * writes for it, an EventPublished (~1 KB), a DeliveriesScheduled and an AttemptSucceeded, and one in ten
 * first fails (AttemptFailed); 50 accounts with one webhook each. Hookline then starts with its
 * projections and dispatcher caught up (bench/seed.ts), and the rebuild is asked for through
 * `POST /v1/admin/projections/deliveries/rebuild`; it is done when the new generation turns active.
 *
 * The raw read is the runner's own page statement (the projection's event types through the index by
 * type, gap-safe, payloads trimmed as the projection asks), prepared as the runner's is, pages of 1000, through `pg` in this process, just before the rebuild (after a
 * pass that sets hint bits and an ANALYZE, with the log as warm in the caches for both). Both figures are log events covered per
 * second. The events table is made UNLOGGED for the seeding (no WAL for a million rows; reads cost the same).
 */
import { performance } from "node:perf_hooks"
import { Duration, Effect } from "effect"
import type { AttemptFailed, AttemptSucceeded, DeliveriesScheduled } from "../../src/domain/delivery.js"
import { readAllOfTypesSql } from "../../src/eventstore/event-store.js"
import { deliveriesProjection } from "../../src/projections/deliveries.js"
import { defineCase } from "../harness.js"
import { HooklineFailed, startHookline, waitUntil } from "../hookline.js"
import { eventMetadata, eventPublishedData } from "../payloads.js"
import { headOf, inChunks, markCaughtUp, query } from "../seed.js"

const webhooks = 50
const eventsPerDelivery = 3.1
const pageSize = 1000

const at = "2026-03-14T09:26:53.700Z"
const scheduled: Omit<DeliveriesScheduled, "_tag"> = {
  eventId: "",
  accountId: "",
  eventType: "message.created",
  deliveries: [],
  scheduledAt: at
}
const attempt = (status: number) => ({
  deliveryId: "",
  webhookId: "",
  attempt: 1,
  at,
  durationMs: 4,
  url: "https://hooks.example.com/hookline/endpoint",
  requestHeaders: {
    "content-type": "application/json",
    "user-agent": "Hookline/0.1.0",
    "webhook-id": "evt_01HZX8M0A2S4D6F8G0H2J4K6",
    "webhook-timestamp": "1773480413",
    "webhook-signature": "[redacted]"
  },
  response: {
    status,
    headers: { "content-type": "text/plain", "content-length": "2", date: "Sat, 14 Mar 2026 09:26:53 GMT", connection: "keep-alive" },
    body: status === 200 ? "ok" : "internal error"
  }
})
const succeeded: Omit<AttemptSucceeded, "_tag"> = attempt(200)
const failed: Omit<AttemptFailed, "_tag"> = {
  ...attempt(500),
  errorClass: "http_500",
  error: "HTTP 500",
  nextAttemptAt: "2026-03-14T09:26:58.700Z"
}

// One delivery's events in log order: k = 0 published, 1 scheduled, 2 failed (one in ten), 3 succeeded.
const seedSql = `
INSERT INTO events (event_id, stream_id, stream_version, event_type, data, metadata)
SELECT e.event_id, e.stream_id, e.stream_version, e.event_type, e.data, e.metadata
  FROM generate_series($1::int, $2::int) AS i
  CROSS JOIN LATERAL (SELECT 'acc_rb_' || (i % ${webhooks}) AS account, 'wh_rb_' || (i % ${webhooks}) AS webhook,
                             'dlv_rb_' || i AS delivery, 'rb-' || i AS event) AS x
  CROSS JOIN LATERAL (VALUES
    (0, 'p-' || x.event, 'event-' || x.event, 1, 'EventPublished',
        $3::jsonb || jsonb_build_object('eventId', x.event, 'accountId', x.account), $6::jsonb),
    (1, 's-' || x.event, 'event-' || x.event, 2, 'DeliveriesScheduled',
        $4::jsonb || jsonb_build_object('eventId', x.event, 'accountId', x.account,
          'deliveries', jsonb_build_array(jsonb_build_object('deliveryId', x.delivery, 'webhookId', x.webhook))), $7::jsonb),
    (2, 'f-' || x.event, 'delivery-' || x.delivery, 1, 'AttemptFailed',
        $5::jsonb || jsonb_build_object('deliveryId', x.delivery, 'webhookId', x.webhook), $7::jsonb),
    (3, 'a-' || x.event, 'delivery-' || x.delivery, CASE WHEN i % 10 = 0 THEN 2 ELSE 1 END, 'AttemptSucceeded',
        $8::jsonb || jsonb_build_object('deliveryId', x.delivery, 'webhookId', x.webhook, 'attempt', CASE WHEN i % 10 = 0 THEN 2 ELSE 1 END),
        $7::jsonb)
  ) AS e(k, event_id, stream_id, stream_version, event_type, data, metadata)
 WHERE e.k <> 2 OR i % 10 = 0
 ORDER BY i, e.k`

// The runner's own page (src/eventstore/event-store.ts readAllOfTypes): the same statement, through `pg`.
const rawPageSql = readAllOfTypesSql(deliveriesProjection.eventTypes.length)

export default defineCase({
  name: "rebuild",
  description: "rebuild of the delivery-log projection over ≥ 1,000,000 events, against a raw gap-safe read",
  order: 70,
  expectedSeconds: { full: 75, quick: 15 },
  run: (ctx) =>
    Effect.gen(function* () {
      const deliveries = ctx.quick ? 20_000 : Math.ceil(1_000_000 / eventsPerDelivery)
      const db = yield* ctx.database("rebuild")
      const pool = yield* db.pool(3)

      const seedLine = ctx.progress.live(`writing ${deliveries.toLocaleString("en-US")} deliveries' events with SQL`, () => "")
      const seedStart = performance.now()
      const templates = [
        JSON.stringify(eventPublishedData("", 0)),
        JSON.stringify(scheduled),
        JSON.stringify(failed),
        JSON.stringify(eventMetadata),
        JSON.stringify({ actor: { kind: "system" } }),
        JSON.stringify(succeeded)
      ]
      // Unlogged while seeding: the write-ahead log of a million rows would take longer than the rebuild, and
      // reading an unlogged table costs the same. Hookline appends nothing in this case.
      yield* query(pool, "ALTER TABLE events SET UNLOGGED")
      yield* inChunks(deliveries, 20_000, 2, (from, to) => query(pool, seedSql, [from, to, ...templates]))
      // Hint bits and statistics settled once, for both readers alike (a full VACUUM costs seconds more).
      yield* query(pool, "SELECT count(*) FROM events")
      yield* query(pool, "ANALYZE events")
      const counted = yield* query<{ total: string; projected: string }>(
        pool,
        "SELECT count(*)::text AS total, count(*) FILTER (WHERE event_type = ANY($1::text[]))::text AS projected FROM events",
        [deliveriesProjection.eventTypes]
      )
      const logEvents = Number(counted.rows[0]?.total ?? 0)
      const projectedEvents = Number(counted.rows[0]?.projected ?? 0)
      seedLine.done(`${logEvents.toLocaleString("en-US")} events in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`)
      yield* markCaughtUp(pool, yield* headOf(pool))

      ctx.progress.step("starting Hookline (caught up)")
      const hookline = yield* startHookline({ database: db })

      const client = yield* Effect.acquireRelease(Effect.promise(() => pool.connect()), (c) => Effect.sync(() => c.release()))
      const rawRead = () =>
        Effect.gen(function* () {
          const line = ctx.progress.live(`raw gap-safe read, pages of ${pageSize}`, () => "")
          const start = performance.now()
          let after = { transactionId: "0", globalPosition: "0" }
          let rows = 0
          for (;;) {
            const page = yield* query<{ transaction_id: string; global_position: string; kind: string }>(client, rawPageSql, [
              after.transactionId,
              after.globalPosition,
              pageSize,
              deliveriesProjection.omitFields ?? [],
              ...deliveriesProjection.eventTypes
            ], "raw-typed-read")
            const events = page.rows.filter((row) => row.kind === "event")
            rows += events.length
            const last = events[events.length - 1]
            if (last === undefined || events.length < pageSize) break
            after = { transactionId: last.transaction_id, globalPosition: last.global_position }
          }
          const seconds = (performance.now() - start) / 1000
          if (rows !== projectedEvents) {
            return yield* new HooklineFailed({ message: `raw read found ${rows} events, expected ${projectedEvents}` })
          }
          line.done(`${Math.round(logEvents / seconds).toLocaleString("en-US")} log events/s`)
          return seconds
        })

      const rawSeconds = yield* rawRead()

      const line = ctx.progress.live("rebuilding deliveries through POST /v1/admin/projections/deliveries/rebuild", () => "")
      const start = performance.now()
      const answer = yield* hookline.call("POST", "/v1/admin/projections/deliveries/rebuild", undefined, hookline.adminToken)
      if (answer.status !== 202) {
        return yield* new HooklineFailed({ message: `rebuild answered ${answer.status}: ${JSON.stringify(answer.body)}` })
      }
      let applied = 0
      yield* waitUntil(
        "the rebuilt generation to turn active",
        Effect.map(
          query<{ status: string; events_applied: string }>(
            pool,
            "SELECT status, events_applied::text AS events_applied FROM projection_checkpoints WHERE name = 'deliveries' AND generation = 2"
          ),
          (r) => {
            applied = Number(r.rows[0]?.events_applied ?? 0)
            return r.rows[0]?.status === "active"
          }
        ),
        {
          timeout: Duration.seconds(ctx.quick ? 60 : 180),
          intervalMs: 50,
          describe: () => `${applied.toLocaleString("en-US")} of ${projectedEvents.toLocaleString("en-US")} events applied`
        }
      )
      const rebuildSeconds = (performance.now() - start) / 1000
      line.done(`${Math.round(logEvents / rebuildSeconds).toLocaleString("en-US")} log events/s`)

      const rows = yield* query<{ delivered: string; total: string }>(
        pool,
        "SELECT count(*) FILTER (WHERE status = 'delivered')::text AS delivered, count(*)::text AS total FROM deliveries"
      )
      const delivered = Number(rows.rows[0]?.delivered ?? 0)
      if (delivered !== deliveries) {
        return yield* new HooklineFailed({ message: `the rebuilt delivery log has ${delivered} delivered rows, expected ${deliveries}` })
      }
      return {
        value: undefined,
        metrics: [
          {
            name: `rebuild of deliveries, ${logEvents.toLocaleString("en-US")} events in the log`,
            value: logEvents / rebuildSeconds,
            unit: "events/s",
            ceiling: { name: "raw gap-safe read of the same events", value: logEvents / rawSeconds },
            target: { kind: "ratioAtLeast", ratio: 0.4 },
            note:
              `${projectedEvents.toLocaleString("en-US")} of them of the projection's types; rebuild ${rebuildSeconds.toFixed(1)} s, ` +
              `raw read ${rawSeconds.toFixed(1)} s; ${delivered.toLocaleString("en-US")} delivery rows`
          }
        ]
      }
    })
})
