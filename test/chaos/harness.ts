/**
 * The chaos harness: Hookline as a child process, a misbehaving receiver and a PostgreSQL it can stop,
 * all on 127.0.0.1. Each scenario gets a fresh database, account and webhooks, publishes a known set of
 * events through `POST /v1/events/batch` while something breaks, then checks at the receiver, in the
 * database and through the API that every event reached every webhook, and counts what arrived twice.
 * Everything is bounded: a scenario that does not finish in its time limit reports what is missing.
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { deliveryIdFor } from "../../src/domain/delivery.js"
import { hooklineLauncher, type HooklineLauncher } from "./hookline.js"
import { type ChaosPostgres, startChaosPostgres } from "./postgres.js"
import { type FaultPlan, keyOf, startReceiver, type ChaosReceiver } from "./receiver.js"
import { freePort, sleep, waitFor } from "./util.js"

export type Disruption =
  | { readonly kind: "none" }
  | { readonly kind: "sigkill"; readonly kills: number }
  | { readonly kind: "postgres-stop"; readonly outageMs: number }
  | { readonly kind: "sigterm" }

export interface Scenario {
  readonly name: string
  readonly receiver: FaultPlan
  readonly disruption: Disruption
  /** Settings for this scenario's Hookline, on top of the harness's. */
  readonly env?: Record<string, string>
}

export interface Size {
  readonly events: number
  readonly webhooks: number
  /** The scenario's whole time limit, from start to the last check. */
  readonly timeLimitMs: number
  /** Events per `POST /v1/events/batch`. */
  readonly batchSize?: number
}

export interface ScenarioResult {
  readonly scenario: string
  readonly events: number
  readonly expected: number
  readonly delivered: number
  readonly lost: number
  /** Deliveries answered 2xx more than once at the receiver. */
  readonly deliveredTwice: number
  /** Of those, the ones explained by an attempt in flight at a SIGKILL (allowed). */
  readonly inFlightAtKill: number
  readonly attemptsRecorded: number
  readonly requestsAtReceiver: number
  readonly faulted: number
  readonly exhausted: number
  readonly seconds: number
  /** What the scenario observed besides the counts (outage behaviour, exit codes). */
  readonly notes: ReadonlyArray<string>
  /** Every broken promise; empty when the scenario passed. */
  readonly failures: ReadonlyArray<string>
}

/** What the whole run shares: one PostgreSQL and the secrets it handed out, for the leak check. */
export interface ChaosRun {
  readonly postgres: ChaosPostgres
  readonly adminToken: string
  /** Every API key and signing secret the run created. */
  readonly secrets: Array<string>
  /** Every line every Hookline process of the run wrote. */
  readonly outputs: Array<string>
  readonly close: () => Promise<void>
}

export const startChaosRun = async (): Promise<ChaosRun> => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "hookline-chaos-"))
  const postgres = await startChaosPostgres(dataDir)
  return {
    postgres,
    adminToken: `hka_chaos-${randomBytes(24).toString("hex")}`,
    secrets: [],
    outputs: [],
    close: async () => {
      await postgres.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

/** Settings every scenario runs with: retries come fast, circuits reopen fast, timeouts are short. */
const baseEnv: Record<string, string> = {
  HOOKLINE_RETRY_SCHEDULE: "1,1,1,1,1,1,1,1,1,1",
  HOOKLINE_DELIVERY_TIMEOUT_MS: "2000",
  HOOKLINE_SCAN_INTERVAL_MS: "250",
  HOOKLINE_CIRCUIT_COOLDOWN_MS: "500",
  HOOKLINE_CIRCUIT_MAX_COOLDOWN_MS: "2000"
}

interface Json {
  readonly [key: string]: Json
}

const call = async (baseUrl: string, method: string, url: string, token: string, body?: unknown) => {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000)
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = text === "" ? null : JSON.parse(text)
  } catch {
    // Not JSON: kept as text for the failure message.
  }
  return { status: response.status, headers: response.headers, body: parsed as Json }
}

export const isErrorShape = (body: unknown): boolean => {
  if (typeof body !== "object" || body === null || !("error" in body)) return false
  const error = body.error
  return (
    Object.keys(body).length === 1 &&
    typeof error === "object" && error !== null &&
    "code" in error && typeof error.code === "string" &&
    "message" in error && typeof error.message === "string"
  )
}

const eventData = (i: number) => ({
  message: {
    id: `m${i}`,
    text: `chaos message ${i}`,
    sender: { type: "user", id: "u1", name: "Ann" },
    createdAt: "2025-01-01T00:00:00Z"
  },
  conversation: { id: "c1", status: "open", channelId: "ch1" },
  customer: { id: "u1", name: "Ann", email: "ann@example.com" },
  channel: { id: "ch1", type: "web", name: "Site" }
})

/**
 * Publishes every event, batch by batch, until each one is accepted: a refused or failed request (the
 * process killed, the database away, overload) is retried as it is, which is safe because publishing is
 * idempotent on the event id.
 */
const publishAll = async (
  baseUrl: () => string,
  key: string,
  ids: ReadonlyArray<string>,
  batchSize: number,
  deadline: number,
  accepted: Set<string>
) => {
  const batches: Array<ReadonlyArray<string>> = []
  for (let i = 0; i < ids.length; i += batchSize) batches.push(ids.slice(i, i + batchSize))
  const worker = async () => {
    for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
      let pending = batch
      while (pending.length > 0) {
        if (Date.now() > deadline) throw new Error(`publishing did not finish in time (${accepted.size} accepted)`)
        try {
          const response = await call(baseUrl(), "POST", "/v1/events/batch", key, {
            events: pending.map((id) => ({ id, type: "message.created", data: eventData(Number(id.split("_").pop())) }))
          })
          if (response.status === 200) {
            const results = response.body.results as unknown as ReadonlyArray<{ status: string; index: number; error?: { code: string } }>
            const rejected = results.filter((r) => r.status !== "accepted")
            for (const r of results) if (r.status === "accepted") accepted.add(pending[r.index]!)
            const unexpected = rejected.filter((r) => r.error?.code !== "service_unavailable")
            if (unexpected.length > 0) throw new Error(`events rejected: ${JSON.stringify(unexpected.slice(0, 3))}`)
            pending = pending.filter((id) => !accepted.has(id))
          } else if (response.status !== 503 && response.status !== 429) {
            throw new Error(`publish answered ${response.status}: ${JSON.stringify(response.body)}`)
          }
        } catch (error) {
          if (error instanceof Error && /rejected|answered|in time/.test(error.message)) throw error
          // The process is down (killed or restarting): try again shortly.
        }
        if (pending.length > 0) await sleep(200)
      }
    }
  }
  await Promise.all([worker(), worker()])
}

export const runScenario = async (run: ChaosRun, scenario: Scenario, size: Size): Promise<ScenarioResult> => {
  const startedAt = Date.now()
  const deadline = startedAt + size.timeLimitMs
  const notes: Array<string> = []
  const failures: Array<string> = []
  const database = `chaos_${scenario.name.replace(/\W+/g, "_")}_${randomBytes(3).toString("hex")}`
  const databaseUrl = await run.postgres.createDatabase(database)
  const receiver: ChaosReceiver = await startReceiver(scenario.receiver)
  const hookline: HooklineLauncher = hooklineLauncher({
    databaseUrl,
    port: await freePort(),
    adminToken: run.adminToken,
    env: { ...baseEnv, ...scenario.env },
    logFile: process.env.CHAOS_LOG_DIR === undefined ? undefined : path.join(process.env.CHAOS_LOG_DIR, `${database}.log`)
  })
  const ids = Array.from({ length: size.events }, (_, i) => `evt_${scenario.name.replace(/\W+/g, "")}_${i}`)
  const expected = ids.length * size.webhooks
  const kills: Array<number> = []
  /**
   * When each killed process's exit was seen, just before its replacement started. The receiver (in this
   * process) reads the requests a killed Hookline wrote just before it died a few milliseconds after
   * `kill` returns, so "in flight at a kill" is judged by this mark: only the replacement sends after it.
   */
  const replacedAt: Array<number> = []
  try {
    let engine = await hookline.start()
    const baseUrl = engine.baseUrl
    const admin = await call(baseUrl, "POST", "/v1/admin/accounts", run.adminToken, { name: "Chaos", plan: "scale" })
    if (admin.status !== 201) throw new Error(`account creation answered ${admin.status}`)
    const key = String(admin.body.apiKey!.key)
    run.secrets.push(key)
    const webhookIds = new Map<string, string>()
    for (let w = 0; w < size.webhooks; w++) {
      const created = await call(baseUrl, "POST", "/v1/webhooks", key, {
        name: `chaos ${w}`,
        url: `${receiver.url}/wh/${w}`,
        events: ["message.created"],
        headers: { "x-chaos-token": `custom-${randomBytes(12).toString("hex")}` }
      })
      if (created.status !== 201) throw new Error(`webhook creation answered ${created.status}: ${JSON.stringify(created.body)}`)
      run.secrets.push(String(created.body.secret))
      webhookIds.set(`/wh/${w}`, String(created.body.id))
    }

    const accepted = new Set<string>()
    const publishing = publishAll(() => baseUrl, key, ids, size.batchSize ?? 500, deadline, accepted)
    const delivered = () => receiver.successes.size

    const disruption = async () => {
      const d = scenario.disruption
      if (d.kind === "sigkill") {
        // The first kill lands while events are still being published, the others during delivery.
        const marks = Array.from({ length: d.kills }, () => 0.1 + Math.random() * 0.75).sort((a, b) => a - b)
        for (const [i, mark] of marks.entries()) {
          if (i === 0) await waitFor(() => accepted.size >= ids.length * mark || accepted.size === ids.length, deadline - Date.now(), 5)
          else await waitFor(() => delivered() >= expected * mark, deadline - Date.now(), 5)
          engine.child.kill("SIGKILL")
          kills.push(Date.now())
          await engine.exited
          replacedAt.push(Date.now())
          notes.push(`SIGKILL ${i + 1} at ${accepted.size}/${ids.length} accepted, ${delivered()}/${expected} delivered`)
          engine = await hookline.start()
        }
      } else if (d.kind === "postgres-stop") {
        await waitFor(() => delivered() >= expected * 0.3, deadline - Date.now(), 5)
        await run.postgres.stop()
        const stoppedAt = Date.now()
        let readyz503 = 0
        let api503Shaped = 0
        let apiOther = 0
        let healthzOk = 0
        let probes = 0
        while (Date.now() - stoppedAt < d.outageMs) {
          await sleep(1000)
          probes++
          const ready = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
            async (r) => (await r.arrayBuffer(), r.status),
            () => 0
          )
          if (ready === 503) readyz503++
          const health = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) }).then(
            async (r) => (await r.arrayBuffer(), r.status),
            () => 0
          )
          if (health === 200) healthzOk++
          const publish = await call(baseUrl, "POST", "/v1/events", key, {
            id: `probe_${probes}`,
            type: "message.created",
            data: eventData(0)
          }).catch(() => undefined)
          if (publish?.status === 503 && isErrorShape(publish.body) && publish.headers.get("retry-after") !== null) api503Shaped++
          else apiOther++
          if (!engine.alive()) break
        }
        const alive = engine.alive()
        await run.postgres.start()
        const restartedAt = Date.now()
        const ready = await waitFor(
          () => fetch(`${baseUrl}/readyz`).then(async (r) => (await r.arrayBuffer(), r.status === 200), () => false),
          60_000,
          200
        )
        notes.push(
          `PostgreSQL stopped ${Math.round((restartedAt - stoppedAt) / 1000)} s; Hookline ${alive ? "stayed up" : "EXITED"}; ` +
            `/readyz 503 in ${readyz503}/${probes} probes, /healthz 200 in ${healthzOk}/${probes}; ` +
            `POST /v1/events 503 with the error shape and Retry-After in ${api503Shaped}/${probes}` +
            `; ready again ${ready ? `${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the restart` : "NEVER"}`
        )
        if (!alive) failures.push("Hookline exited while PostgreSQL was stopped")
        if (readyz503 === 0) failures.push("/readyz never answered 503 while PostgreSQL was stopped")
        if (api503Shaped === 0 || apiOther > 1) failures.push(`the API did not answer 503 with the error shape (${apiOther} other answers)`)
        if (!ready) failures.push("/readyz did not turn 200 after PostgreSQL came back")
        // The probe events were accepted by nobody; they are not part of the expected set.
      } else if (d.kind === "sigterm") {
        await waitFor(() => delivered() >= expected * 0.3, deadline - Date.now(), 5)
        const stopAt = Date.now()
        engine.child.kill("SIGTERM")
        const exit = await Promise.race([engine.exited, sleep(30_000).then(() => undefined)])
        if (exit === undefined) {
          failures.push("SIGTERM: Hookline did not exit within 30 s")
          engine.child.kill("SIGKILL")
          await engine.exited
        } else if (exit.code !== 0) failures.push(`SIGTERM: exit code ${exit.code} (signal ${exit.signal})`)
        const atStop = new Set(receiver.successes.keys())
        const recorded = await successfulDeliveries(run.postgres, database)
        const unrecorded = [...atStop].filter((k) => {
          const [path, eventId] = k.split("|")
          return !recorded.has(deliveryIdFor(eventId!, webhookIds.get(path!)!))
        })
        notes.push(
          `SIGTERM: exit ${exit?.code ?? "none"} after ${((Date.now() - stopAt) / 1000).toFixed(1)} s; ` +
            `${atStop.size} delivered before the stop, ${unrecorded.length} of them unrecorded`
        )
        if (unrecorded.length > 0) failures.push(`SIGTERM: ${unrecorded.length} delivered but not recorded`)
        engine = await hookline.start()
      }
    }

    await Promise.all([publishing, disruption()])
    if (!(await waitFor(() => delivered() >= expected, deadline - Date.now(), 100))) {
      failures.push(`time limit reached with ${expected - delivered()} deliveries missing at the receiver`)
    }

    // The log and the read models: every delivery delivered, nothing exhausted, every attempt recorded.
    const projected = await waitFor(async () => {
      const rows = await run.postgres.query<{ n: string }>(database, "SELECT count(*)::text AS n FROM deliveries WHERE status = 'delivered'")
      return Number(rows[0]!.n) >= expected
    }, Math.max(5_000, deadline - Date.now()), 250)
    if (!projected) failures.push("the delivery log does not show every delivery as delivered")
    const statuses = await run.postgres.query<{ status: string; n: string }>(
      database,
      "SELECT status, count(*)::text AS n FROM deliveries GROUP BY status"
    )
    const byStatus = new Map(statuses.map((r) => [r.status, Number(r.n)]))
    const exhausted = byStatus.get("exhausted") ?? 0
    const attempts = await run.postgres.query<{ n: string }>(
      database,
      "SELECT count(*)::text AS n FROM events WHERE event_type IN ('AttemptSucceeded', 'AttemptFailed')"
    )
    const recordedSuccesses = await successfulDeliveries(run.postgres, database)
    const recordedTwice = [...recordedSuccesses.values()].filter((n) => n > 1).length
    if (recordedTwice > 0) {
      failures.push(`${recordedTwice} deliveries recorded as succeeded more than once`)
      // Evidence for the report: was the first success already in the log before the kill that preceded the second?
      const twice = await run.postgres.query<{ first: Date; second: Date }>(
        database,
        `SELECT min(recorded_at) AS first, max(recorded_at) AS second FROM events
          WHERE event_type = 'AttemptSucceeded' GROUP BY data->>'deliveryId' HAVING count(*) > 1`
      )
      const committedBeforeKill = twice.filter((t) => kills.some((k) => t.first.getTime() < k && t.second.getTime() > k)).length
      notes.push(
        `${committedBeforeKill}/${twice.length} twice-recorded deliveries had their first AttemptSucceeded committed before a SIGKILL ` +
          `and were sent again after the restart`
      )
    }

    // The API agrees, for a sample of events.
    const sample = ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / 40)) === 0)
    let apiMismatches = 0
    for (const id of sample) {
      const read = await call(baseUrl, "GET", `/v1/events/${id}`, key)
      const deliveries = read.body.deliveries as unknown as ReadonlyArray<{ status: string }> | undefined
      if (read.status !== 200 || deliveries?.length !== size.webhooks || deliveries.some((d) => d.status !== "delivered")) {
        apiMismatches++
      }
    }
    if (apiMismatches > 0) failures.push(`${apiMismatches}/${sample.length} sampled events do not show every delivery delivered in the API`)
    notes.push(`API: ${sample.length - apiMismatches}/${sample.length} sampled events show all ${size.webhooks} deliveries delivered`)

    let lost = 0
    let deliveredTwice = 0
    let inFlightAtKill = 0
    for (const [path, webhookId] of webhookIds) {
      for (const id of ids) {
        const success = receiver.successes.get(keyOf(path, id))
        if (success === undefined) {
          lost++
          continue
        }
        if (success.count < 2) continue
        deliveredTwice++
        // Allowed only when the first success came from a process later SIGKILLed and never made it into the log.
        const recordedOnce = (recordedSuccesses.get(deliveryIdFor(id, webhookId)) ?? 0) === 1
        if (recordedOnce && replacedAt.some((r) => success.firstAt <= r)) inFlightAtKill++
      }
    }
    if (lost > 0) failures.push(`${lost} deliveries lost`)
    if (exhausted > 0) failures.push(`${exhausted} deliveries exhausted`)
    if (deliveredTwice > inFlightAtKill) {
      failures.push(`${deliveredTwice - inFlightAtKill} deliveries arrived twice without a SIGKILL to explain it`)
    }

    // Where secrets must never show: metrics, a webhook's history, a delivery's detail, an error that
    // answers a wrong key (which must not echo it). Searched with the logs by `leakedSecrets`.
    const firstWebhook = [...webhookIds.values()][0]!
    const exposed = await Promise.all([
      fetch(`${baseUrl}/metrics`).then((r) => r.text()),
      call(baseUrl, "GET", `/v1/webhooks/${firstWebhook}/history`, key).then((r) => JSON.stringify(r.body)),
      call(baseUrl, "GET", `/v1/deliveries/${deliveryIdFor(ids[0]!, firstWebhook)}`, key).then((r) => JSON.stringify(r.body)),
      call(baseUrl, "GET", "/v1/account", `${key}x`).then((r) => JSON.stringify(r.body)),
      call(baseUrl, "GET", "/v1/admin/projections", `${run.adminToken}x`).then((r) => JSON.stringify(r.body))
    ])
    run.outputs.push(...exposed)

    // A graceful stop ends every scenario: exit 0 within its bound.
    const last = hookline.current()
    if (last !== undefined && last.alive()) {
      last.child.kill("SIGTERM")
      const exit = await Promise.race([last.exited, sleep(30_000).then(() => undefined)])
      if (exit?.code !== 0) failures.push(`the final SIGTERM ended with ${exit === undefined ? "no exit in 30 s" : `code ${exit.code}`}`)
    }
    return {
      scenario: scenario.name,
      events: ids.length,
      expected,
      delivered: delivered(),
      lost,
      deliveredTwice,
      inFlightAtKill,
      attemptsRecorded: Number(attempts[0]!.n),
      requestsAtReceiver: [...receiver.arrivals.values()].reduce((a, b) => a + b, 0),
      faulted: receiver.faulted(),
      exhausted,
      seconds: Math.round((Date.now() - startedAt) / 100) / 10,
      notes,
      failures
    }
  } finally {
    await hookline.kill()
    run.outputs.push(hookline.output())
    await receiver.close()
  }
}

/** AttemptSucceeded events in the log per delivery id. */
const successfulDeliveries = async (postgres: ChaosPostgres, database: string) => {
  const rows = await postgres.query<{ delivery_id: string; n: string }>(
    database,
    `SELECT data->>'deliveryId' AS delivery_id, count(*)::text AS n FROM events
      WHERE event_type = 'AttemptSucceeded' GROUP BY 1`
  )
  return new Map(rows.map((r) => [r.delivery_id, Number(r.n)]))
}

/** The run's table, in markdown, for the README. */
export const formatTable = (results: ReadonlyArray<ScenarioResult>): string => {
  const header =
    "| scenario | events | deliveries expected | delivered | lost | delivered twice (in flight at a SIGKILL) | attempts recorded | requests at the receiver (faulted) | time (s) |\n" +
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.events} | ${r.expected} | ${r.delivered} | ${r.lost} | ${r.deliveredTwice} (${r.inFlightAtKill}) | ` +
      `${r.attemptsRecorded} | ${r.requestsAtReceiver} (${r.faulted}) | ${r.seconds} |`
  )
  return [header, ...rows].join("\n")
}

/** Where a secret the run handed out appears in the captured output (none, when all is well). */
export const leakedSecrets = (run: ChaosRun): ReadonlyArray<string> => {
  const text = run.outputs.join("\n")
  const secrets = [...run.secrets, run.adminToken]
  return secrets.filter((s) => s.length > 8 && text.includes(s)).map((s) => `${s.slice(0, 6)}…`)
}
