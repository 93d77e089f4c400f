import { useState } from "preact/hooks"
import { api, type Attempt, type DeliveryDetail } from "./api.js"
import { ErrorMessage, formatTime, isNotFound, NotFound, Status, useLoad, Title } from "./ui.js"

const Headers = ({ headers, label }: { headers: Readonly<Record<string, string>>; label: string }) => (
  <details>
    <summary>{label}</summary>
    <dl class="headers">
      {Object.entries(headers).map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  </details>
)

const AttemptItem = ({ attempt }: { attempt: Attempt }) => (
  <li class={`attempt attempt-${attempt.outcome}`}>
    <h3>
      Attempt {attempt.attempt} · <Status value={attempt.outcome} /> · {attempt.trigger}
    </h3>
    <dl class="facts">
      <div>
        <dt>At</dt>
        <dd>{formatTime(attempt.at)}</dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd>{attempt.durationMs} ms</dd>
      </div>
      <div>
        <dt>Response</dt>
        <dd>{attempt.response?.status ?? "none"}</dd>
      </div>
      {attempt.error ? (
        <div>
          <dt>Error</dt>
          <dd>
            {attempt.errorClass ? <code>{attempt.errorClass}</code> : null} {attempt.error}
          </dd>
        </div>
      ) : null}
    </dl>
    <Headers headers={attempt.requestHeaders} label="Request headers" />
    {attempt.response ? (
      <>
        <Headers headers={attempt.response.headers} label="Response headers" />
        <details>
          <summary>Response body</summary>
          <pre>{attempt.response.body || "(empty)"}</pre>
        </details>
      </>
    ) : null}
  </li>
)

export const DeliveryPage = ({ id }: { id: string }) => {
  const detail = useLoad(() => api<DeliveryDetail>("GET", `/v1/deliveries/${id}`), [id], 2_000)
  const [message, setMessage] = useState("")
  const [error, setError] = useState<unknown>(null)
  if (isNotFound(detail.error)) return <NotFound what="delivery" />
  if (detail.data === undefined) return detail.error ? <ErrorMessage error={detail.error} /> : <p>Loading…</p>
  const d = detail.data
  const redeliver = async () => {
    setError(null)
    try {
      await api("POST", `/v1/deliveries/${id}/redeliver`)
      setMessage("Redelivery requested: a new attempt appears below.")
      detail.reload()
    } catch (e) {
      setError(e)
    }
  }
  return (
    <section>
      <p class="crumbs">
        <a href="#/webhooks">Webhooks</a> / <a href={`#/webhooks/${d.webhookId}`}>Webhook</a> /
      </p>
      <div class="title-row">
        <Title>
          Delivery of <code>{d.eventType}</code>
        </Title>
        <Status value={d.status} />
      </div>
      <dl class="facts">
        <div>
          <dt>Event id (webhook-id)</dt>
          <dd>
            <code>{d.eventId}</code>
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatTime(d.createdAt)}</dd>
        </div>
        <div>
          <dt>Next attempt</dt>
          <dd>{formatTime(d.nextAttemptAt)}</dd>
        </div>
      </dl>
      <div class="actions">
        <button onClick={redeliver}>Redeliver</button>
      </div>
      <p role="status" class="status-line">
        {message}
      </p>
      <ErrorMessage error={error} />
      <h2>Attempts</h2>
      {d.attemptLog.length === 0 ? <p class="empty">No attempt yet.</p> : null}
      <ol class="timeline">
        {d.attemptLog.map((a) => (
          <AttemptItem attempt={a} key={a.attempt} />
        ))}
      </ol>
    </section>
  )
}
