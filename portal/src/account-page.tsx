import { type Account, api } from "./api.js"
import { ErrorMessage, formatTime, useLoad, Title } from "./ui.js"

export const AccountPage = () => {
  const { data, error } = useLoad(() => api<Account>("GET", "/v1/account"), [])
  const used = data?.usage.webhooks ?? 0
  const limit = data?.limits.webhooks ?? null
  return (
    <section>
      <Title>
        Account
      </Title>
      <ErrorMessage error={error} />
      {data ? (
        <div class="panel">
          <dl class="facts">
            <div>
              <dt>Name</dt>
              <dd>{data.name}</dd>
            </div>
            <div>
              <dt>Plan</dt>
              <dd class="plan">{data.plan}</dd>
            </div>
            <div>
              <dt>Webhooks</dt>
              <dd>
                {used} of {limit ?? "unlimited"}
              </dd>
            </div>
            <div>
              <dt>Largest event</dt>
              <dd>{Math.round(data.limits.maxPayloadBytes / 1024)} KB</dd>
            </div>
            <div>
              <dt>Since</dt>
              <dd>{formatTime(data.createdAt)}</dd>
            </div>
          </dl>
          {limit !== null ? (
            <>
              <label for="usage">Webhooks used</label>
              <meter id="usage" min={0} max={limit} value={used} high={limit * 0.8}>
                {used} of {limit}
              </meter>
            </>
          ) : null}
        </div>
      ) : null}
    </section>
  )
}
