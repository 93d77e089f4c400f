import { useState } from "preact/hooks"
import { api, type Delivery, type EventType, type Health, type HistoryEntry, type Page, query, type Webhook } from "./api.js"
import { SecretOnce } from "./webhook-form.js"
import { ErrorMessage, formatTime, isNotFound, NotFound, Status, useLoad, Title } from "./ui.js"

const statuses = ["pending", "retrying", "waiting", "delivered", "exhausted", "cancelled"]

/** A datetime-local value (the visitor's time) as an ISO instant for the API. */
const toIso = (local: string) => (local === "" ? undefined : new Date(local).toISOString())

export const WebhookPage = ({ id }: { id: string }) => {
  const webhook = useLoad(() => api<Webhook>("GET", `/v1/webhooks/${id}`), [id])
  const health = useLoad(() => api<Health>("GET", `/v1/webhooks/${id}/health`), [id], 2_000)
  if (isNotFound(webhook.error)) return <NotFound what="webhook" />
  if (webhook.data === undefined) return webhook.error ? <ErrorMessage error={webhook.error} /> : <p>Loading…</p>
  const w = webhook.data
  const changed = () => {
    webhook.reload()
    health.reload()
  }
  return (
    <section>
      <p class="crumbs">
        <a href="#/webhooks">Webhooks</a> /
      </p>
      <div class="title-row">
        <Title>
          {w.name}
        </Title>
        <Status value={w.status} />
      </div>
      <p class="url">{w.url}</p>
      {w.disabledReason ? <p class="warning">Disabled: {w.disabledReason}</p> : null}
      <HealthPanel health={health.data} />
      <Actions webhook={w} onChange={changed} />
      <Deliveries webhookId={id} />
      <Recover webhookId={id} />
      <History webhookId={id} />
    </section>
  )
}

const HealthPanel = ({ health }: { health: Health | undefined }) => (
  <section aria-labelledby="health-title" class="panel">
    <h2 id="health-title">Health</h2>
    {health === undefined ? (
      <p>Loading…</p>
    ) : (
      <dl class="facts">
        <div>
          <dt>Circuit</dt>
          <dd>
            <Status value={health.circuit.state} />
          </dd>
        </div>
        <div>
          <dt>Next probe</dt>
          <dd>{formatTime(health.circuit.nextProbeAt)}</dd>
        </div>
        <div>
          <dt>Last success</dt>
          <dd>{formatTime(health.lastSuccessAt)}</dd>
        </div>
        <div>
          <dt>Last failure</dt>
          <dd>{formatTime(health.lastFailureAt)}</dd>
        </div>
        <div>
          <dt>Backlog</dt>
          <dd>{health.backlog}</dd>
        </div>
        <div>
          <dt>Last 24 h</dt>
          <dd>
            {health.last24h.succeeded} ok · {health.last24h.failed} failed
            {health.last24h.successRate === null ? "" : ` (${Math.round(health.last24h.successRate * 100)} %)`}
          </dd>
        </div>
      </dl>
    )}
  </section>
)

const Actions = ({ webhook, onChange }: { webhook: Webhook; onChange: () => void }) => {
  const [message, setMessage] = useState("")
  const [error, setError] = useState<unknown>(null)
  const [secret, setSecret] = useState<string | null>(null)
  const [overlap, setOverlap] = useState("86400")
  const run = async (action: () => Promise<string>) => {
    setError(null)
    setMessage("")
    try {
      setMessage(await action())
      onChange()
    } catch (e) {
      setError(e)
    }
  }
  const base = `/v1/webhooks/${webhook.id}`
  return (
    <section aria-labelledby="actions-title" class="panel">
      <h2 id="actions-title">Actions</h2>
      <div class="actions">
        {webhook.status === "active" ? (
          <button onClick={() => run(async () => (await api("POST", `${base}/pause`), "Paused: deliveries wait until you resume."))}>Pause</button>
        ) : (
          <button onClick={() => run(async () => (await api("POST", `${base}/resume`), "Resumed."))}>Resume</button>
        )}
        <button onClick={() => run(async () => (await api("POST", `${base}/test`), "A test event was sent; it appears in the delivery log."))}>
          Send test event
        </button>
        <a class="button" href={`#/webhooks/${webhook.id}/edit`}>
          Edit
        </a>
      </div>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault()
          void run(async () => {
            const rotated = await api<{ secret: string }>("POST", `${base}/rotate-secret`, { overlapSeconds: Number(overlap) })
            setSecret(rotated.secret)
            return "The secret was rotated."
          })
        }}
      >
        <label for="overlap">Old secret keeps signing for</label>
        <select id="overlap" value={overlap} onChange={(e) => setOverlap(e.currentTarget.value)}>
          <option value="0">no time (it leaked)</option>
          <option value="3600">1 hour</option>
          <option value="86400">24 hours</option>
          <option value="604800">7 days</option>
        </select>
        <button type="submit">Rotate secret</button>
      </form>
      {webhook.previousSecretExpiresAt ? <p class="hint">The previous secret signs too until {formatTime(webhook.previousSecretExpiresAt)}.</p> : null}
      {secret ? <SecretOnce secret={secret} /> : null}
      <p role="status" class="status-line">
        {message}
      </p>
      <ErrorMessage error={error} />
    </section>
  )
}

const Deliveries = ({ webhookId }: { webhookId: string }) => {
  const [filters, setFilters] = useState({ status: "", type: "", since: "", until: "" })
  const types = useLoad(() => api<{ data: ReadonlyArray<EventType> }>("GET", "/v1/event-types"), [])
  const params = query({ limit: 50, status: filters.status, type: filters.type, since: toIso(filters.since), until: toIso(filters.until) })
  // Polled: a new delivery shows within about a second and a half.
  const list = useLoad(() => api<Page<Delivery>>("GET", `/v1/webhooks/${webhookId}/deliveries${params}`), [webhookId, params], 1_500)
  // Older pages, fetched on demand; the live first page above them keeps refreshing.
  const [older, setOlder] = useState<{ params: string; rows: ReadonlyArray<Delivery>; next: string | null } | null>(null)
  const olderRows = older?.params === params ? older.rows : []
  const nextCursor = older?.params === params ? older.next : (list.data?.nextCursor ?? null)
  const showOlder = async () => {
    if (nextCursor === null) return
    const page = await api<Page<Delivery>>("GET", `/v1/webhooks/${webhookId}/deliveries${params}&cursor=${encodeURIComponent(nextCursor)}`)
    setOlder({ params, rows: [...olderRows, ...page.data], next: page.nextCursor })
  }
  const [error, setError] = useState<unknown>(null)
  const set = (key: keyof typeof filters) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
    setFilters((f) => ({ ...f, [key]: e.currentTarget.value }))
  const redeliver = async (id: string) => {
    setError(null)
    try {
      await api("POST", `/v1/deliveries/${id}/redeliver`)
      list.reload()
    } catch (e) {
      setError(e)
    }
  }
  return (
    <section aria-labelledby="deliveries-title" class="panel">
      <h2 id="deliveries-title">Delivery log</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter deliveries">
        <div>
          <label for="f-status">Status</label>
          <select id="f-status" value={filters.status} onChange={set("status")}>
            <option value="">any</option>
            {statuses.map((s) => (
              <option value={s} key={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-type">Event type</label>
          <select id="f-type" value={filters.type} onChange={set("type")}>
            <option value="">any</option>
            {(types.data?.data ?? []).map((t) => (
              <option value={t.type} key={t.type}>
                {t.type}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-since">From</label>
          <input id="f-since" type="datetime-local" value={filters.since} onChange={set("since")} />
        </div>
        <div>
          <label for="f-until">Until</label>
          <input id="f-until" type="datetime-local" value={filters.until} onChange={set("until")} />
        </div>
      </form>
      <ErrorMessage error={error ?? list.error} />
      {list.data !== undefined && list.data.data.length === 0 ? <p class="empty">No deliveries match.</p> : null}
      {list.data !== undefined && list.data.data.length > 0 ? (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Deliveries, newest first; updated live</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Response</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {[...list.data.data, ...olderRows.filter((o) => !list.data!.data.some((d) => d.id === o.id))].map((d) => (
                <tr key={d.id} data-delivery={d.id}>
                  <td>
                    <a href={`#/deliveries/${d.id}`}>{formatTime(d.createdAt)}</a>
                  </td>
                  <td>
                    <code>{d.eventType}</code>
                  </td>
                  <td>
                    <Status value={d.status} />
                    {d.waitingReason ? <span class="hint"> {d.waitingReason.replace("_", " ")}</span> : null}
                  </td>
                  <td>{d.attempts}</td>
                  <td>{d.lastResponseStatus ?? d.lastError ?? "—"}</td>
                  <td>
                    <button class="small" onClick={() => redeliver(d.id)}>
                      Redeliver<span class="visually-hidden"> delivery of {formatTime(d.createdAt)}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {nextCursor !== null ? (
            <button class="small" onClick={() => showOlder().catch(setError)}>
              Show older deliveries
            </button>
          ) : null}
        </div>
      ) : null}
    </section>
  )
}

const Recover = ({ webhookId }: { webhookId: string }) => {
  const [since, setSince] = useState("")
  const [until, setUntil] = useState("")
  const [count, setCount] = useState<number | null>(null)
  const [done, setDone] = useState("")
  const [error, setError] = useState<unknown>(null)
  const window = () => ({ since: toIso(since), ...(until === "" ? {} : { until: toIso(until) }) })
  const call = async (dryRun: boolean) => {
    setError(null)
    setDone("")
    try {
      const result = await api<{ count: number }>("POST", `/v1/webhooks/${webhookId}/recover`, { ...window(), dryRun })
      if (dryRun) setCount(result.count)
      else {
        setCount(null)
        setDone(`${result.count} ${result.count === 1 ? "delivery is" : "deliveries are"} being redelivered.`)
      }
    } catch (e) {
      setError(e)
    }
  }
  return (
    <section aria-labelledby="recover-title" class="panel">
      <h2 id="recover-title">Recover failed deliveries</h2>
      <p class="hint">Redelivers every exhausted delivery created in a time window. You see how many first.</p>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault()
          void call(true)
        }}
      >
        <div>
          <label for="r-since">From</label>
          <input id="r-since" type="datetime-local" required value={since} onChange={(e) => (setSince(e.currentTarget.value), setCount(null))} />
        </div>
        <div>
          <label for="r-until">Until (blank: now)</label>
          <input id="r-until" type="datetime-local" value={until} onChange={(e) => (setUntil(e.currentTarget.value), setCount(null))} />
        </div>
        <div class="filter-action">
          <button type="submit">Count deliveries</button>
        </div>
      </form>
      {count !== null ? (
        <div class="confirm" role="status">
          <p>
            {count} exhausted {count === 1 ? "delivery" : "deliveries"} in this window.
          </p>
          {count > 0 ? (
            <button class="primary" onClick={() => call(false)}>
              Recover {count} {count === 1 ? "delivery" : "deliveries"}
            </button>
          ) : null}
        </div>
      ) : null}
      <p role="status" class="status-line">
        {done}
      </p>
      <ErrorMessage error={error} />
    </section>
  )
}

const History = ({ webhookId }: { webhookId: string }) => {
  const history = useLoad(() => api<Page<HistoryEntry>>("GET", `/v1/webhooks/${webhookId}/history?limit=100`), [webhookId], 5_000)
  const entries = [...(history.data?.data ?? [])].reverse()
  return (
    <section aria-labelledby="history-title" class="panel">
      <h2 id="history-title">History</h2>
      <ErrorMessage error={history.error} />
      <ol class="history">
        {entries.map((e, i) => (
          <li key={`${e.at}-${i}`}>
            <time dateTime={e.at}>{formatTime(e.at)}</time> <strong>{e.summary}</strong>{" "}
            <span class="hint">
              by {e.actor.kind === "account" ? (e.actor.keyId?.startsWith("ps_") ? "the portal" : `API key ${e.actor.keyId}`) : e.actor.kind}
            </span>
          </li>
        ))}
      </ol>
    </section>
  )
}
