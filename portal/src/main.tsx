import { render } from "preact"
import { useEffect, useState } from "preact/hooks"
import { AccountPage } from "./account-page.js"
import { api, ApiError, type Session, setCsrfToken, whenSessionEnds } from "./api.js"
import { DeliveryPage } from "./delivery-page.js"
import { EventTypesPage } from "./event-types-page.js"
import { match, useRoute } from "./router.js"
import { Title } from "./ui.js"
import { WebhookForm } from "./webhook-form.js"
import { WebhookPage } from "./webhook-page.js"
import { WebhooksPage } from "./webhooks-page.js"

/**
 * The session comes from the link's one-time token, exchanged for the HttpOnly cookie; the token is then
 * taken out of the address bar and the history, so it cannot be copied, bookmarked or sent on.
 */
const openSession = async (): Promise<Session | "expired"> => {
  const entering = /^#\/enter\?token=([^&]*)/.exec(location.hash)
  try {
    if (entering !== null) {
      const token = decodeURIComponent(entering[1] ?? "")
      history.replaceState(null, "", `${location.pathname}#/webhooks`)
      // replaceState announces nothing: tell the router the view changed.
      dispatchEvent(new HashChangeEvent("hashchange"))
      return await api<Session>("POST", "/portal/api/session", { token })
    }
    return await api<Session>("GET", "/portal/api/session")
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 404)) return "expired"
    throw error
  }
}

const Expired = ({ left }: { left: boolean }) => (
  <main id="main" class="expired">
    {left ? <Title>You have left the portal</Title> : <Title>This link has expired</Title>}
    <p>Portal links work once and for a limited time. Ask for a new link where you got this one.</p>
  </main>
)

const nav = [
  { href: "#/webhooks", label: "Webhooks", prefix: ["/webhooks", "/deliveries"] },
  { href: "#/event-types", label: "Event types", prefix: ["/event-types"] },
  { href: "#/account", label: "Account", prefix: ["/account"] }
]

const View = ({ path, session }: { path: string; session: Session }) => {
  let params: Record<string, string> | undefined
  if (match("/webhooks", path)) return <WebhooksPage canCreate={session.webhookIds === null} />
  if (match("/webhooks/new", path)) return <WebhookForm />
  if ((params = match("/webhooks/:id/edit", path))) return <WebhookForm id={params.id!} />
  if ((params = match("/webhooks/:id", path))) return <WebhookPage id={params.id!} key={params.id} />
  if ((params = match("/deliveries/:id", path))) return <DeliveryPage id={params.id!} key={params.id} />
  if (match("/event-types", path)) return <EventTypesPage />
  if (match("/account", path)) return <AccountPage />
  return (
    <section>
      <Title>
        Not found
      </Title>
      <p>
        <a href="#/webhooks">Back to webhooks</a>
      </p>
    </section>
  )
}

const App = () => {
  const [session, setSession] = useState<Session | "expired" | "left" | "failed" | null>(null)
  const path = useRoute()
  useEffect(() => {
    whenSessionEnds(() => setSession("expired"))
    openSession().then(
      (s) => {
        if (s !== "expired") setCsrfToken(s.csrfToken)
        setSession(s)
      },
      () => setSession("failed")
    )
  }, [])
  useEffect(() => {
    const view = nav.find((n) => n.prefix.some((p) => path.startsWith(p)))
    document.title = `${view?.label ?? "Portal"} · Hookline`
  }, [path])
  if (session === null) return <p class="loading">Loading…</p>
  if (session === "expired" || session === "left") return <Expired left={session === "left"} />
  if (session === "failed") return <p class="error">The portal could not reach Hookline. Reload to try again.</p>
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Hookline</span>
        <nav aria-label="Portal">
          <ul>
            {nav.map((n) => (
              <li key={n.href}>
                <a href={n.href} aria-current={n.prefix.some((p) => path.startsWith(p)) ? "page" : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <p class="session-note">
          {session.webhookIds === null ? "" : `This link shows ${session.webhookIds.length} webhook${session.webhookIds.length === 1 ? "" : "s"}. `}
          Session ends {new Date(session.expiresAt).toLocaleTimeString(undefined, { timeStyle: "short" })}
        </p>
        <button
          class="leave"
          onClick={() => api("DELETE", "/portal/api/session").then(() => setSession("left"), () => setSession("left"))}
        >
          Leave
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <View path={path} session={session} />
      </main>
    </>
  )
}

render(<App />, document.getElementById("app")!)
