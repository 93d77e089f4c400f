import { existsSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { type Browser, chromium } from "playwright-core"
import { buildPortal } from "../../portal/build.mjs"
import { type Client, createAccount, startTestServer, type Started, testOperatorToken } from "../support/http-server.js"

/** Debian's Chromium, as .ci/run installs it. */
export const chromiumPath = process.env.HOOKLINE_CHROMIUM ?? "/usr/bin/chromium"
export const hasChromium = existsSync(chromiumPath)

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Root in a container has no user namespace for the sandbox; the browser only ever sees 127.0.0.1.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"],
    timeout: 30_000
  })

/** A receiver on 127.0.0.1: /fail/* answers 500, everything else 200 with a small JSON body. */
export const startReceiver = async () => {
  const server: Server = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      const failing = (req.url ?? "").startsWith("/fail")
      res.writeHead(failing ? 500 : 200, { "content-type": "application/json", "x-receiver": "test" })
      res.end(failing ? '{"error":"boom"}' : '{"ok":true}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** Hookline with the built portal, a receiver, and helpers to make accounts, webhooks and links. */
export const startPortalEnvironment = async () => {
  const weight = await buildPortal()
  const server: Started = await startTestServer({ allowPrivateTargets: true, scanIntervalMs: 100 })
  const receiver = await startReceiver()
  const client: Client = server.client
  const request = async (method: string, path: string, key: string, json?: unknown) => {
    const response = await client.request(method, path, { token: key, ...(json === undefined ? {} : { json }) })
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`)
    return response.body
  }
  return {
    weight,
    client,
    receiver,
    account: (name = "Acme") => createAccount(client, "pro", name),
    request,
    link: async (key: string, body?: unknown) => String((await request("POST", "/v1/portal/sessions", key, body)).url),
    operatorLink: async (accountId: string) =>
      String(
        (await client.request("POST", `/v1/admin/accounts/${accountId}/portal-sessions`, { token: testOperatorToken })).body.url
      ),
    stop: async () => {
      await receiver.stop()
      await server.stop()
    }
  }
}

export type PortalEnvironment = Awaited<ReturnType<typeof startPortalEnvironment>>
