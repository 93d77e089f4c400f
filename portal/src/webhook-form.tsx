import { useState } from "preact/hooks"
import { api, ApiError, type EventType, type Webhook } from "./api.js"
import { navigate } from "./router.js"
import { ErrorMessage, Field, isNotFound, NotFound, useLoad, Title } from "./ui.js"

interface HeaderRow {
  readonly name: string
  readonly value: string
}

interface Draft {
  readonly name: string
  readonly url: string
  readonly events: ReadonlyArray<string>
  readonly headers: ReadonlyArray<HeaderRow>
  readonly retrySchedule: string
  readonly maxConcurrency: string
  readonly rateLimit: string
}

const empty: Draft = { name: "", url: "https://", events: [], headers: [], retrySchedule: "", maxConcurrency: "", rateLimit: "" }

const fromWebhook = (w: Webhook): Draft => ({
  name: w.name,
  url: w.url,
  events: w.events,
  headers: Object.entries(w.headers).map(([name, value]) => ({ name, value })),
  retrySchedule: w.retrySchedule?.join(", ") ?? "",
  maxConcurrency: w.maxConcurrency?.toString() ?? "",
  rateLimit: w.rateLimit?.toString() ?? ""
})

/** Blank policy fields mean "the default" (null); text the API cannot read is sent as is, for its message. */
const numberOrNull = (text: string): number | string | null => (text.trim() === "" ? null : Number.isNaN(Number(text)) ? text : Number(text))
const schedule = (text: string): ReadonlyArray<number | string> | null =>
  text.trim() === "" ? null : text.split(/[\s,]+/).filter(Boolean).map((s) => (Number.isNaN(Number(s)) ? s : Number(s)))

const toBody = (draft: Draft) => ({
  name: draft.name,
  url: draft.url,
  events: draft.events,
  headers: Object.fromEntries(draft.headers.filter((h) => h.name.trim() !== "").map((h) => [h.name.trim(), h.value])),
  retrySchedule: schedule(draft.retrySchedule),
  maxConcurrency: numberOrNull(draft.maxConcurrency),
  rateLimit: numberOrNull(draft.rateLimit)
})

/** The field an API issue belongs to: `headers.X-Token` and `retrySchedule.2` belong to their fields. */
const fieldOf = (path: string) => path.split(".")[0] ?? ""

export const WebhookForm = ({ id }: { id?: string }) => {
  const catalogue = useLoad(() => api<{ data: ReadonlyArray<EventType> }>("GET", "/v1/event-types"), [])
  const existing = useLoad(() => (id === undefined ? Promise.resolve(undefined) : api<Webhook>("GET", `/v1/webhooks/${id}`)), [id])
  if (id !== undefined && isNotFound(existing.error)) return <NotFound what="webhook" />
  if (id !== undefined && existing.data === undefined) return existing.error ? <ErrorMessage error={existing.error} /> : <p>Loading…</p>
  return <Form id={id} initial={existing.data ? fromWebhook(existing.data) : empty} eventTypes={catalogue.data?.data ?? []} />
}

const Form = ({ id, initial, eventTypes }: { id?: string | undefined; initial: Draft; eventTypes: ReadonlyArray<EventType> }) => {
  const [draft, setDraft] = useState(initial)
  const [issues, setIssues] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const [saving, setSaving] = useState(false)
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null)
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }))

  const submit = async (event: Event) => {
    event.preventDefault()
    setSaving(true)
    setError(null)
    try {
      if (id === undefined) {
        const result = await api<Webhook & { secret: string }>("POST", "/v1/webhooks", toBody(draft))
        setCreated({ id: result.id, secret: result.secret })
      } else {
        await api("PATCH", `/v1/webhooks/${id}`, toBody(draft))
        navigate(`/webhooks/${id}`)
      }
      setIssues({})
    } catch (e) {
      if (e instanceof ApiError && e.issues.length > 0) {
        const byField: Record<string, string> = {}
        for (const issue of e.issues) byField[fieldOf(issue.path)] ??= issue.message
        setIssues(byField)
        // Focus the first field in error, so its message is read out and fixed first.
        const first = Object.keys(byField)[0]
        requestAnimationFrame(() => document.getElementById(`wh-${first}`)?.focus())
      } else setError(e)
    } finally {
      setSaving(false)
    }
  }

  if (created !== null) {
    return (
      <section>
        <Title>
          Webhook created
        </Title>
        <SecretOnce secret={created.secret} />
        <p>
          <a class="button primary" href={`#/webhooks/${created.id}`}>
            Open the webhook
          </a>
        </p>
      </section>
    )
  }

  const describedBy = (field: string) => (issues[field] ? `wh-${field}-error` : undefined)
  return (
    <section>
      <Title>
        {id === undefined ? "New webhook" : "Edit webhook"}
      </Title>
      <form onSubmit={submit} noValidate class="form">
        <Field id="wh-name" label="Name" error={issues.name}>
          <input id="wh-name" value={draft.name} onInput={(e) => set("name", e.currentTarget.value)} aria-invalid={!!issues.name} aria-describedby={describedBy("name")} />
        </Field>
        <Field id="wh-url" label="Endpoint URL" error={issues.url} hint="An https URL your server answers POST requests on.">
          <input id="wh-url" type="url" inputMode="url" value={draft.url} onInput={(e) => set("url", e.currentTarget.value)} aria-invalid={!!issues.url} aria-describedby={describedBy("url") ?? "wh-url-hint"} />
        </Field>
        <fieldset class={`field${issues.events ? " field-invalid" : ""}`} id="wh-events" tabIndex={-1} aria-describedby={describedBy("events")}>
          <legend>Events</legend>
          {eventTypes
            .filter((t) => t.subscribable)
            .map((t) => (
              <label class="check" key={t.type}>
                <input
                  type="checkbox"
                  checked={draft.events.includes(t.type)}
                  onChange={(e) =>
                    set("events", e.currentTarget.checked ? [...draft.events, t.type] : draft.events.filter((x) => x !== t.type))
                  }
                />
                <span>
                  <code>{t.type}</code> <span class="hint">{t.description}</span>
                </span>
              </label>
            ))}
          {issues.events ? (
            <p class="field-error" id="wh-events-error" role="alert">
              {issues.events}
            </p>
          ) : null}
        </fieldset>
        <fieldset class={`field${issues.headers ? " field-invalid" : ""}`} id="wh-headers" tabIndex={-1}>
          <legend>Custom headers</legend>
          {draft.headers.map((h, i) => (
            <div class="header-row" key={i}>
              <label class="visually-hidden" for={`wh-header-name-${i}`}>
                Header {i + 1} name
              </label>
              <input id={`wh-header-name-${i}`} placeholder="X-Name" value={h.name} onInput={(e) => set("headers", draft.headers.map((x, j) => (j === i ? { ...x, name: e.currentTarget.value } : x)))} />
              <label class="visually-hidden" for={`wh-header-value-${i}`}>
                Header {i + 1} value
              </label>
              <input id={`wh-header-value-${i}`} placeholder="value" value={h.value} onInput={(e) => set("headers", draft.headers.map((x, j) => (j === i ? { ...x, value: e.currentTarget.value } : x)))} />
              <button type="button" class="link" onClick={() => set("headers", draft.headers.filter((_, j) => j !== i))}>
                Remove<span class="visually-hidden"> header {i + 1}</span>
              </button>
            </div>
          ))}
          <button type="button" onClick={() => set("headers", [...draft.headers, { name: "", value: "" }])}>
            Add header
          </button>
          {issues.headers ? (
            <p class="field-error" role="alert">
              {issues.headers}
            </p>
          ) : null}
        </fieldset>
        <Field id="wh-retrySchedule" label="Retry schedule (seconds between attempts)" error={issues.retrySchedule} hint="For example 5, 300, 1800. Blank: the default schedule.">
          <input id="wh-retrySchedule" value={draft.retrySchedule} onInput={(e) => set("retrySchedule", e.currentTarget.value)} aria-invalid={!!issues.retrySchedule} aria-describedby={describedBy("retrySchedule") ?? "wh-retrySchedule-hint"} />
        </Field>
        <div class="two">
          <Field id="wh-maxConcurrency" label="Max concurrent deliveries" error={issues.maxConcurrency} hint="Blank: the default.">
            <input id="wh-maxConcurrency" inputMode="numeric" value={draft.maxConcurrency} onInput={(e) => set("maxConcurrency", e.currentTarget.value)} aria-invalid={!!issues.maxConcurrency} aria-describedby={describedBy("maxConcurrency")} />
          </Field>
          <Field id="wh-rateLimit" label="Rate limit (per second)" error={issues.rateLimit} hint="Blank: unlimited.">
            <input id="wh-rateLimit" inputMode="numeric" value={draft.rateLimit} onInput={(e) => set("rateLimit", e.currentTarget.value)} aria-invalid={!!issues.rateLimit} aria-describedby={describedBy("rateLimit")} />
          </Field>
        </div>
        {Object.keys(issues).length > 0 ? (
          <p class="error" role="alert">
            Please fix the fields marked above.
          </p>
        ) : null}
        <ErrorMessage error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={saving}>
            {id === undefined ? "Create webhook" : "Save changes"}
          </button>
          <a href={id === undefined ? "#/webhooks" : `#/webhooks/${id}`}>Cancel</a>
        </div>
      </form>
    </section>
  )
}

export const SecretOnce = ({ secret }: { secret: string }) => (
  <div class="secret" role="status">
    <p>
      <strong>Signing secret</strong> — shown only now. Store it where your endpoint verifies signatures.
    </p>
    <label for="secret-value" class="visually-hidden">
      Signing secret
    </label>
    <input id="secret-value" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
  </div>
)
