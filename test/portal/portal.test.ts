import type { Browser, BrowserContext, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { hasChromium, launchChromium, type PortalEnvironment, startPortalEnvironment } from "./browser.js"

// The portal in a real Chromium against Hookline on a real PostgreSQL. Every wait is bounded; the browser
// talks to 127.0.0.1 only.
let env: PortalEnvironment
let browser: Browser
const contexts: Array<BrowserContext> = []

beforeAll(async () => {
  env = await startPortalEnvironment()
  browser = await launchChromium()
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await env?.stop()
})

const newPage = async (width = 1200): Promise<Page> => {
  const context = await browser.newContext({ viewport: { width, height: 900 } })
  context.setDefaultTimeout(5_000)
  contexts.push(context)
  // Anything that is not Hookline itself would be a request to elsewhere: refuse it, and count it.
  await context.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => {
    outside.push(route.request().url())
    return route.abort()
  })
  return context.newPage()
}
const outside: Array<string> = []

const heading = (page: Page, name: string | RegExp) => page.getByRole("heading", { level: 1, name })

const setup = async (webhooks: ReadonlyArray<{ name: string; path?: string; retrySchedule?: ReadonlyArray<number> }> = []) => {
  const { key, accountId } = await env.account()
  const ids: Array<string> = []
  for (const w of webhooks) {
    const created = await env.request("POST", "/v1/webhooks", key, {
      name: w.name,
      url: `${env.receiver.url}${w.path ?? "/ok"}`,
      events: ["message.created"],
      ...(w.retrySchedule ? { retrySchedule: w.retrySchedule } : {})
    })
    ids.push(String(created.id))
  }
  return { key, accountId, ids }
}

const publishBody = (id: string) => ({
  id,
  type: "message.created",
  data: {
      message: { id: "m1", text: "hello", sender: { type: "user", id: "u1", name: "Ann" }, createdAt: "2026-01-01T00:00:00Z" },
      conversation: { id: "c1", status: "open", channelId: "ch1" },
      customer: { id: "u1", name: "Ann", email: "ann@example.com" },
      channel: { id: "ch1", type: "web", name: "Site" }
  }
})

const publish = (key: string, id: string) => env.request("POST", "/v1/events", key, publishBody(id))

// Without Chromium the suite is skipped on a developer's machine; CI (.ci/run) installs it and requires it.
const skip = !hasChromium && process.env.HOOKLINE_REQUIRE_CHROMIUM !== "1"

describe.skipIf(skip)("the portal in Chromium", () => {
  it("opens from a link: the token leaves the address bar, the cookie is HttpOnly and strict, nothing loads from elsewhere", async () => {
    const { key, ids } = await setup([{ name: "Orders" }])
    const page = await newPage()
    await page.goto(await env.link(key))
    await heading(page, "Webhooks").waitFor()
    await page.getByRole("link", { name: "Orders" }).waitFor()
    expect(page.url()).not.toContain("token")
    expect(page.url()).toMatch(/\/portal\/#\/webhooks$/)
    const cookies = await page.context().cookies()
    expect(cookies).toHaveLength(1)
    expect(cookies[0]).toMatchObject({ name: "hookline_portal", httpOnly: true, sameSite: "Strict", path: "/" })
    expect(await page.locator(".card").first().textContent()).toContain("message.created")
    expect(ids).toHaveLength(1)
    expect(outside).toEqual([])
    // Going back does not bring the token back.
    expect(await page.evaluate<number>("history.length")).toBeLessThanOrEqual(2)
  })

  it("creates a webhook through the form, showing the API's validation error at its field", async () => {
    const { key } = await setup()
    const page = await newPage()
    await page.goto(await env.link(key))
    await page.getByRole("link", { name: "New webhook" }).click()
    await heading(page, "New webhook").waitFor()
    await page.getByLabel("Name").fill("Billing")
    await page.getByLabel("Endpoint URL").fill("notaurl")
    await page.getByRole("checkbox", { name: /message\.created/ }).check()
    await page.getByRole("button", { name: "Create webhook" }).click()
    const urlError = page.locator("#wh-url-error")
    await urlError.waitFor()
    expect(await urlError.textContent()).toMatch(/absolute URL/)
    expect(await page.getByLabel("Endpoint URL").getAttribute("aria-invalid")).toBe("true")
    expect(await page.evaluate<string>("document.activeElement?.id")).toBe("wh-url")

    await page.getByLabel("Endpoint URL").fill(`${env.receiver.url}/billing`)
    await page.getByLabel("Retry schedule (seconds between attempts)").fill("5, 60")
    await page.getByRole("button", { name: "Create webhook" }).click()
    await heading(page, "Webhook created").waitFor()
    expect(await page.getByLabel("Signing secret").inputValue()).toMatch(/^whsec_/)
    await page.getByRole("link", { name: "Open the webhook" }).click()
    await heading(page, "Billing").waitFor()
    const list = await env.request("GET", "/v1/webhooks", key)
    expect((list.data as unknown as Array<{ name: string; retrySchedule: Array<number> }>)[0]).toMatchObject({
      name: "Billing",
      retrySchedule: [5, 60]
    })
  })

  it("shows a published event's delivery live, its attempt timeline, and redelivers it", async () => {
    const { key, ids } = await setup([{ name: "Live" }])
    const page = await newPage()
    await page.goto(await env.link(key))
    await page.getByRole("link", { name: "Live" }).click()
    await heading(page, "Live").waitFor()
    await page.getByText("No deliveries match.").waitFor()
    const published = Date.now()
    await publish(key, "evt_live_1")
    const row = page.locator("tr[data-delivery]").first()
    await row.waitFor({ timeout: 2_500 })
    expect(Date.now() - published).toBeLessThan(2_500)
    await row.getByText("delivered").waitFor({ timeout: 5_000 })

    await row.getByRole("link").click()
    await heading(page, /Delivery of/).waitFor()
    await page.getByRole("heading", { name: /Attempt 1/ }).waitFor()
    expect(await page.locator(".attempt").first().textContent()).toMatch(/schedule/)
    await page.getByText("Request headers").first().click()
    expect(await page.locator(".headers").first().textContent()).toContain("webhook-id")
    await page.getByText("Response body").first().click()
    expect(await page.locator("pre").first().textContent()).toContain('{"ok":true}')

    await page.getByRole("button", { name: "Redeliver" }).click()
    await page.getByRole("heading", { name: /Attempt 2/ }).waitFor({ timeout: 5_000 })
    expect(await page.locator(".attempt").nth(1).textContent()).toMatch(/redeliver/)
    expect(ids).toHaveLength(1)
  })

  it("recovers exhausted deliveries, showing the dry-run count first", async () => {
    const { key, ids } = await setup([{ name: "Flaky", path: "/fail/flaky", retrySchedule: [] }])
    await publish(key, "evt_recover_1")
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      const list = await env.request("GET", `/v1/webhooks/${ids[0]}/deliveries?status=exhausted`, key)
      if ((list.data as unknown as Array<unknown>).length === 1) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const page = await newPage()
    await page.goto(await env.link(key))
    await page.getByRole("link", { name: "Flaky" }).click()
    const hourAgo = new Date(Date.now() - 3_600_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
    await page.getByLabel("From", { exact: true }).last().fill(hourAgo)
    await page.getByRole("button", { name: "Count deliveries" }).click()
    await page.getByText("1 exhausted delivery in this window.").waitFor()
    await page.getByRole("button", { name: "Recover 1 delivery" }).click()
    await page.getByText("1 delivery is being redelivered.").waitFor()
  })

  it("pauses and resumes, and rotates the secret, showing the new one once", async () => {
    const { key, ids } = await setup([{ name: "Controls" }])
    const page = await newPage()
    await page.goto(await env.link(key))
    await heading(page, "Webhooks").waitFor()
    await page.goto(page.url().replace(/#.*$/, `#/webhooks/${ids[0]}`))
    await heading(page, "Controls").waitFor()
    await page.getByRole("button", { name: "Pause" }).click()
    await page.getByRole("button", { name: "Resume" }).waitFor()
    expect((await env.request("GET", `/v1/webhooks/${ids[0]}`, key)).status).toBe("paused")
    await page.getByRole("button", { name: "Resume" }).click()
    await page.getByRole("button", { name: "Pause" }).waitFor()
    expect((await env.request("GET", `/v1/webhooks/${ids[0]}`, key)).status).toBe("active")

    await page.getByLabel("Old secret keeps signing for").selectOption("3600")
    await page.getByRole("button", { name: "Rotate secret" }).click()
    const secret = page.getByLabel("Signing secret")
    await secret.waitFor()
    expect(await secret.inputValue()).toMatch(/^whsec_/)
    await page.getByText(/The previous secret signs too until/).waitFor()
    // Shown once: reloading the page does not show it again.
    await page.reload()
    await heading(page, "Controls").waitFor()
    expect(await page.getByLabel("Signing secret").count()).toBe(0)
    const history = await env.request("GET", `/v1/webhooks/${ids[0]}/history`, key)
    expect(JSON.stringify(history)).toMatch(/ps_/)
  })

  it("a used, tampered or expired link says so and shows nothing of any account", async () => {
    const { key } = await setup([{ name: "Secret project" }])
    const url = await env.link(key)
    const first = await newPage()
    await first.goto(url)
    await heading(first, "Webhooks").waitFor()

    for (const bad of [url, url.replace(/token=(.)/, (_m, c: string) => `token=${c === "A" ? "B" : "A"}`), `${url.split("token=")[0]}token=nonsense`]) {
      const page = await newPage()
      await page.goto(bad)
      await heading(page, "This link has expired").waitFor()
      const text = await page.locator("body").textContent()
      expect(text).not.toContain("Secret project")
      expect(await page.getByRole("navigation").count()).toBe(0)
      expect(page.url()).not.toContain("token")
    }
    // No cookie at all: the same page.
    const bare = await newPage()
    await bare.goto(url.split("#")[0]!)
    await heading(bare, "This link has expired").waitFor()

    // Leaving ends the session in this browser: a reload finds no session.
    await first.getByRole("button", { name: "Leave" }).click()
    await heading(first, "You have left the portal").waitFor()
    await first.reload()
    await heading(first, "This link has expired").waitFor()
  })

  it("a URL edited to another account's webhook shows nothing of it", async () => {
    const mine = await setup([{ name: "Mine" }])
    const theirs = await setup([{ name: "Their private hook" }])
    const page = await newPage()
    await page.goto(await env.link(mine.key))
    await heading(page, "Webhooks").waitFor()
    await page.goto(page.url().replace(/#.*$/, `#/webhooks/${theirs.ids[0]}`))
    await heading(page, "Not found").waitFor()
    expect(await page.locator("body").textContent()).not.toContain("Their private hook")
    await page.goto(page.url().replace(/#.*$/, `#/webhooks/${theirs.ids[0]}/edit`))
    await heading(page, "Not found").waitFor()
    expect(await page.locator("body").textContent()).not.toContain("Their private hook")
  })

  it("works with the keyboard alone: from the list to a webhook, pause it, open the account, at 375 px", async () => {
    const { key } = await setup([{ name: "Keys" }])
    const page = await newPage(375)
    await page.goto(await env.link(key))
    await heading(page, "Webhooks").waitFor()
    const tabTo = async (matches: (label: string) => boolean, key = "Tab", limit = 60) => {
      for (let i = 0; i < limit; i++) {
        await page.keyboard.press(key)
        const label = await page.evaluate<string>(
          "`${document.activeElement?.tagName ?? ''}:${document.activeElement?.textContent?.trim() ?? ''}`"
        )
        if (matches(label)) {
          // The focus is visible: an outline is drawn.
          const outline = await page.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle")
          expect(outline).not.toBe("none")
          return
        }
      }
      throw new Error("not reached by Tab")
    }
    await tabTo((l) => l === "A:Keys")
    await page.keyboard.press("Enter")
    await heading(page, "Keys").waitFor()
    expect(await page.evaluate<string>("document.activeElement?.tagName")).toBe("H1")
    await tabTo((l) => l === "BUTTON:Pause")
    await page.keyboard.press("Enter")
    await page.getByRole("button", { name: "Resume" }).waitFor()
    // Back up to the navigation.
    await tabTo((l) => l === "A:Account", "Shift+Tab")
    await page.keyboard.press("Enter")
    await heading(page, "Account").waitFor()
    expect(await page.locator(".plan").textContent()).toBe("pro")
    // Nothing scrolls sideways at 375 px.
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375)
  })

  it("every page is interactive within 1 s with 10,000 deliveries in the log", async () => {
    const { key, ids } = await setup([{ name: "Busy" }])
    const data = publishBody("x").data
    for (let batch = 0; batch < 20; batch++) {
      const events = Array.from({ length: 500 }, (_, i) => ({ id: `evt_busy_${batch}_${i}`, type: "message.created", data }))
      await env.request("POST", "/v1/events/batch", key, { events })
    }
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      const health = await env.request("GET", `/v1/webhooks/${ids[0]}/health`, key)
      if (Number((health.last24h as unknown as { succeeded: number }).succeeded) >= 10_000) break
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    const first = await newPage()
    await first.goto(await env.link(key))
    await heading(first, "Webhooks").waitFor()
    const base = first.url().replace(/#.*$/, "")
    const timings: Record<string, number> = {}
    const views: ReadonlyArray<readonly [string, (page: Page) => Promise<void>]> = [
      ["#/webhooks", (page) => page.getByRole("link", { name: "Busy" }).waitFor()],
      [`#/webhooks/${ids[0]}`, (page) => page.locator("tr[data-delivery]").first().waitFor()],
      ["#/event-types", (page) => page.getByRole("heading", { name: "message.created" }).waitFor()],
      ["#/account", (page) => page.locator(".plan").waitFor()]
    ]
    for (const [hash, ready] of views) {
      // A fresh load of the page, with the session's cookie, as a bookmark would open it.
      const page = await first.context().newPage()
      const started = Date.now()
      await page.goto(`${base}${hash}`)
      await ready(page)
      timings[hash] = Date.now() - started
      await page.close()
    }
    const delivery = await env.request("GET", `/v1/webhooks/${ids[0]}/deliveries?limit=1`, key)
    const deliveryId = String((delivery.data as unknown as Array<{ id: string }>)[0]!.id)
    const page = await first.context().newPage()
    const started = Date.now()
    await page.goto(`${base}#/deliveries/${deliveryId}`)
    await page.getByRole("heading", { name: /Attempt 1/ }).waitFor()
    timings.delivery = Date.now() - started
    for (const [view, ms] of Object.entries(timings)) expect(ms, `${view}: ${ms} ms`).toBeLessThan(1_000)
  }, 90_000)

  it("the operator opens an account's portal; the script weighs at most 150 KB gzipped", async () => {
    const { accountId } = await setup([{ name: "Operated" }])
    const page = await newPage()
    await page.goto(await env.operatorLink(accountId))
    await page.getByRole("link", { name: "Operated" }).waitFor()
    expect(env.weight.jsGzipBytes).toBeLessThan(150 * 1024)
  })
})
