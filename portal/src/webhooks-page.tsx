import { api, type Health, type HourlyAttempts, type Page, type Webhook } from "./api.js"
import { DayChart } from "./chart.js"
import { ErrorMessage, Status, useLoad, Title } from "./ui.js"

interface Row {
  readonly webhook: Webhook
  readonly health: Health | null
  readonly hours: ReadonlyArray<HourlyAttempts>
}

const loadRows = async (): Promise<ReadonlyArray<Row>> => {
  const page = await api<Page<Webhook>>("GET", "/v1/webhooks?limit=100")
  return Promise.all(
    page.data.map(async (webhook) => {
      const [health, hours] = await Promise.all([
        api<Health>("GET", `/v1/webhooks/${webhook.id}/health`).catch(() => null),
        api<{ data: ReadonlyArray<HourlyAttempts> }>("GET", `/v1/webhooks/${webhook.id}/attempts-hourly`).then(
          (r) => r.data,
          () => []
        )
      ])
      return { webhook, health, hours }
    })
  )
}

export const WebhooksPage = ({ canCreate }: { canCreate: boolean }) => {
  const { data, error, loading } = useLoad(loadRows, [], 10_000)
  return (
    <section>
      <div class="title-row">
        <Title>
          Webhooks
        </Title>
        {canCreate ? (
          <a class="button primary" href="#/webhooks/new">
            New webhook
          </a>
        ) : null}
      </div>
      <ErrorMessage error={error} />
      {loading && data === undefined ? <p>Loading…</p> : null}
      {data !== undefined && data.length === 0 ? (
        <p class="empty">No webhooks yet. Create one to start receiving events.</p>
      ) : null}
      {data !== undefined && data.length > 0 ? (
        <ul class="cards" aria-label="Webhooks">
          {data.map(({ webhook, health, hours }) => (
            <li class="card" key={webhook.id}>
              <div class="card-head">
                <h2>
                  <a href={`#/webhooks/${webhook.id}`}>{webhook.name}</a>
                </h2>
                <Status value={webhook.status} />
              </div>
              <p class="url">{webhook.url}</p>
              <dl class="facts">
                <div class="fact-wide">
                  <dt>Events</dt>
                  <dd>{webhook.events.join(", ")}</dd>
                </div>
                <div>
                  <dt>Circuit</dt>
                  <dd>{health ? <Status value={health.circuit.state} /> : "—"}</dd>
                </div>
                <div>
                  <dt>Backlog</dt>
                  <dd>{health?.backlog ?? "—"}</dd>
                </div>
                <div class="fact-chart">
                  <dt>Last 24 h</dt>
                  <dd>
                    <DayChart hours={hours} />
                    <span class="chart-legend">
                      {health ? `${health.last24h.succeeded} ok · ${health.last24h.failed} failed` : ""}
                    </span>
                  </dd>
                </div>
              </dl>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  )
}
