/**
 * Publishing, as a customer's client sees it.
 *
 * (a) `POST /v1/events`, one event per request, 32 concurrent: events/s and the latency until the 202
 *     (which Hookline sends once the event is durable), against the bare route (bench/bare-server.ts:
 *     the same HTTP stack, payload schema and validation, nothing stored, no API key lookup) in its own
 *     process, measured a-b-b-a in this run.
 * (b) `POST /v1/events/batch` with 100 events per request, 8 concurrent: events/s against raw 100-row
 *     INSERTs into a copy of the events table (its indexes, not its triggers) on the same database,
 *     8 writers, a-b-b-a.
 */
import { performance } from "node:perf_hooks"
import { Effect } from "effect"
import { Agent, request } from "undici"
import { abba, defineCase, loopPromise } from "../harness.js"
import { percentile, startBareServer, startHookline } from "../hookline.js"
import { messageCreated } from "../payloads.js"
import { eventRowParams, multiRowInsert } from "./ceiling.js"

const singleConcurrency = 32
const batchConcurrency = 8
const batchEvents = 100

export default defineCase({
  name: "ingest",
  description: "POST /v1/events (32 concurrent) against a bare route; POST /v1/events/batch (100/request) against raw INSERTs",
  order: 20,
  expectedSeconds: { full: 35, quick: 12 },
  run: (ctx) =>
    Effect.gen(function* () {
      ctx.progress.step("starting the database, Hookline and the bare server")
      const db = yield* ctx.database("ingest")
      const pool = yield* db.pool(batchConcurrency)
      const hookline = yield* startHookline({ database: db })
      const bare = yield* startBareServer
      const account = yield* hookline.createAccount("ingest")
      const agent = yield* Effect.acquireRelease(
        Effect.sync(() => new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, connections: singleConcurrency })),
        (a) => Effect.promise(() => a.close())
      )
      // The payload is serialised once: the client's JSON work is not what is measured.
      const data = JSON.stringify(messageCreated(1))
      const headers = { "content-type": "application/json", authorization: `Bearer ${account.apiKey}` }
      let next = 0
      const post = async (origin: string, path: string, body: string, expected: number) => {
        const response = await request(`${origin}${path}`, { method: "POST", headers, body, dispatcher: agent })
        const text = await response.body.text()
        if (response.statusCode !== expected) throw new Error(`${path} answered ${response.statusCode}: ${text.slice(0, 300)}`)
      }
      const warmupSeconds = ctx.quick ? 0.2 : 0.5
      const rounds = 1

      // (a) single publishes -------------------------------------------------------------------------
      const latencies: Array<number> = []
      const singleLoop = (origin: string, label: string, record: boolean) => (part: number, parts: number) =>
        loopPromise(
          ctx.progress,
          {
            label: `${label} (${part}/${parts})`,
            unit: "events",
            concurrency: singleConcurrency,
            seconds: ctx.seconds(2, 0.5),
            warmupSeconds,
            maxUnits: 500_000
          },
          async () => {
            const body = `{"id":"ing-${next++}","type":"message.created","data":${data}}`
            const started = performance.now()
            await post(origin, "/v1/events", body, 202)
            if (record) latencies.push(performance.now() - started)
            return 1
          }
        )
      const single = yield* abba(
        singleLoop(bare, "bare route POST /v1/events", false),
        singleLoop(hookline.origin, "Hookline POST /v1/events", true),
        rounds
      )
      latencies.sort((x, y) => x - y)

      // (b) batches ----------------------------------------------------------------------------------
      const clients = yield* Effect.acquireRelease(
        Effect.promise(() => Promise.all(Array.from({ length: batchConcurrency }, () => pool.connect()))),
        (all) => Effect.sync(() => all.forEach((c) => c.release()))
      )
      yield* Effect.promise(() =>
        clients[0]!.query(
          "CREATE TABLE bench_raw_events (LIKE events INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING INDEXES)"
        )
      )
      const insertText = multiRowInsert("bench_raw_events", batchEvents)
      let nextRaw = 0
      const rawInsert = (part: number, parts: number) =>
        loopPromise(
          ctx.progress,
          {
            label: `raw INSERT ${batchEvents} rows/stmt (${part}/${parts})`,
            unit: "rows",
            concurrency: batchConcurrency,
            seconds: ctx.seconds(1.5, 0.5),
            warmupSeconds,
            maxUnits: 2_000_000
          },
          async (worker) => {
            const first = nextRaw
            nextRaw += batchEvents
            await clients[worker]!.query({ name: "ingest-raw", text: insertText, values: eventRowParams("raw", first, batchEvents) })
            return batchEvents
          }
        )
      const batchPublish = (part: number, parts: number) =>
        loopPromise(
          ctx.progress,
          {
            label: `Hookline POST /v1/events/batch, ${batchEvents}/request (${part}/${parts})`,
            unit: "events",
            concurrency: batchConcurrency,
            seconds: ctx.seconds(1.5, 0.5),
            warmupSeconds,
            maxUnits: 2_000_000
          },
          async () => {
            const items: Array<string> = []
            for (let i = 0; i < batchEvents; i++) items.push(`{"id":"ingb-${next++}","type":"message.created","data":${data}}`)
            await post(hookline.origin, "/v1/events/batch", `{"events":[${items.join(",")}]}`, 200)
            return batchEvents
          }
        )
      const batch = yield* abba(rawInsert, batchPublish, rounds)

      return {
        value: undefined,
        metrics: [
          {
            name: `POST /v1/events, ${singleConcurrency} concurrent`,
            value: single.b.perSecond,
            unit: "events/s",
            ceiling: { name: "bare route, same stack, no storage", value: single.a.perSecond },
            target: { kind: "ratioAtLeast", ratio: 0.5 },
            note: `${single.b.units.toLocaleString("en-US")} events in ${single.b.seconds.toFixed(1)} s`
          },
          {
            name: "POST /v1/events latency until durable, p50",
            value: percentile(latencies, 50),
            unit: "ms",
            note: `${latencies.length.toLocaleString("en-US")} requests`
          },
          { name: "POST /v1/events latency until durable, p99", value: percentile(latencies, 99), unit: "ms" },
          {
            name: `POST /v1/events/batch, ${batchEvents}/request, ${batchConcurrency} concurrent`,
            value: batch.b.perSecond,
            unit: "events/s",
            ceiling: { name: `raw ${batchEvents}-row INSERT, ${batchConcurrency} writers`, value: batch.a.perSecond },
            target: { kind: "ratioAtLeast", ratio: 0.3 },
            note: `${batch.b.units.toLocaleString("en-US")} events in ${batch.b.seconds.toFixed(1)} s`
          }
        ]
      }
    })
})
