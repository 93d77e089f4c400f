import { mkdir } from "node:fs/promises"
import type { Page } from "playwright-core"
import { it } from "vitest"
import { launchChromium, startPortalEnvironment } from "./browser.js"

// A scripted demo account, then one PNG per main page under docs/screenshots.
const out = new URL("../../docs/screenshots/", import.meta.url)

const event = (n: number) => ({
  id: `evt_demo_${n}`,
  type: n % 3 === 0 ? "conversation.updated" : "message.created",
  data:
    n % 3 === 0
      ? {
          conversation: { id: "c1", status: "resolved", channelId: "ch1", createdAt: "2026-12-08T08:00:00Z", updatedAt: "2026-12-08T09:05:00Z" },
          customer: { id: "u1", name: "Ann", email: "ann@example.com" },
          channel: { id: "ch1", type: "web", name: "Site" },
          changes: [{ field: "status", from: "open", to: "resolved" }]
        }
      : {
          message: { id: `m${n}`, text: "Hello, is my order on its way?", sender: { type: "user", id: "u1", name: "Ann" }, createdAt: "2026-12-08T09:00:00Z" },
          conversation: { id: "c1", status: "open", channelId: "ch1" },
          customer: { id: "u1", name: "Ann", email: "ann@example.com" },
          channel: { id: "ch1", type: "web", name: "Site" }
        }
})

it("takes the portal's screenshots", async () => {
  await mkdir(out, { recursive: true })
  const env = await startPortalEnvironment()
  const browser = await launchChromium()
  try {
    const { key } = await env.account("Vivollo Demo")
    const make = async (name: string, path: string, events: ReadonlyArray<string>, extra: object = {}) =>
      String((await env.request("POST", "/v1/webhooks", key, { name, url: `${env.receiver.url}${path}`, events, ...extra })).id)
    const crm = await make("CRM sync", "/crm", ["message.created", "conversation.updated"], { headers: { "X-Api-Token": "demo" } })
    await make("Analytics", "/fail/analytics", ["message.created"], { retrySchedule: [1, 1] })
    const paused = await make("Legacy inbox", "/legacy", ["conversation.updated"])
    await env.request("POST", `/v1/webhooks/${paused}/pause`, key)
    for (let n = 1; n <= 9; n++) {
      const e = event(n)
      await env.request("POST", "/v1/events", key, e)
    }
    await new Promise((resolve) => setTimeout(resolve, 3_500))

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage()
    const shot = async (p: Page, name: string) => {
      await p.waitForTimeout(400)
      await p.screenshot({ path: new URL(`${name}.png`, out).pathname, fullPage: true })
    }
    await page.goto(await env.link(key))
    await page.getByRole("link", { name: "CRM sync" }).waitFor()
    await shot(page, "webhooks")
    await page.getByRole("link", { name: "CRM sync" }).click()
    await page.locator("tr[data-delivery]").first().waitFor()
    await shot(page, "webhook")
    await page.locator("tr[data-delivery] a").first().click()
    await page.getByRole("heading", { name: /Attempt 1/ }).waitFor()
    await page.getByText("Request headers").first().click()
    await page.getByText("Response body").first().click()
    await shot(page, "delivery")
    await page.goto(page.url().replace(/#.*$/, "#/webhooks/new"))
    await page.getByLabel("Name").fill("Billing")
    await page.getByLabel("Endpoint URL").fill("notaurl")
    await page.getByRole("button", { name: "Create webhook" }).click()
    await page.locator("#wh-url-error").waitFor()
    await shot(page, "webhook-form")
    await page.goto(page.url().replace(/#.*$/, "#/event-types"))
    await page.getByRole("heading", { name: "message.created" }).waitFor()
    await page.getByText("Example payload").first().click()
    await shot(page, "event-types")
    await page.goto(page.url().replace(/#.*$/, "#/account"))
    await page.locator(".plan").waitFor()
    await shot(page, "account")

    const phone = await (await browser.newContext({ viewport: { width: 375, height: 760 }, deviceScaleFactor: 2 })).newPage()
    await phone.goto(await env.link(key))
    await phone.getByRole("link", { name: "CRM sync" }).waitFor()
    await shot(phone, "webhooks-375")
    await phone.goto(phone.url().replace(/#.*$/, `#/webhooks/${crm}`))
    await phone.locator("tr[data-delivery]").first().waitFor()
    await shot(phone, "webhook-375")
  } finally {
    await browser.close()
    await env.stop()
  }
})
