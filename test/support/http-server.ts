import * as HttpServer from "effect/http/HttpServer"
import { Effect, Layer, ManagedRuntime, Option, Redacted, References } from "effect"
import { AppLive, CommandsLive } from "../../src/app/layer.js"
import { type HooklineSettings, Settings } from "../../src/config.js"
import { DeliveryLive } from "../../src/delivery/layer.js"
import { EventStoreLive } from "../../src/eventstore/event-store.js"
import { LogNotificationsLive } from "../../src/eventstore/notifications.js"
import { HttpServerLive } from "../../src/http/server.js"
import { allProjections } from "../../src/projections/index.js"
import { ProjectionRegistry, ProjectionRunnerLive } from "../../src/projections/runner.js"
import { TestDatabase } from "./database.js"

export const testOperatorToken = "hka_test-operator-token-0123456789abcdef0123456"

/** The whole API on a fresh database, listening on 127.0.0.1 on a free port. */
export const TestServer = (overrides: Partial<HooklineSettings> = {}) => {
  const settings = Settings.layerWith({
    pollIntervalMs: 200,
    allowPrivateTargets: true,
    host: "127.0.0.1",
    port: 0,
    adminToken: Option.some(Redacted.make(testOperatorToken)),
    ...overrides
  })
  const core = ProjectionRunnerLive.pipe(
    Layer.provideMerge(EventStoreLive),
    // Below the event store: its appends apply the inline projections.
    Layer.provideMerge(ProjectionRegistry.layer(allProjections)),
    Layer.provideMerge(LogNotificationsLive),
    Layer.provideMerge(settings),
    Layer.provideMerge(TestDatabase())
  )
  return HttpServerLive.pipe(
    Layer.provideMerge(
      AppLive.pipe(Layer.provideMerge(DeliveryLive), Layer.provideMerge(CommandsLive), Layer.provideMerge(core))
    ),
    Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn"))
  )
}

/** A parsed JSON body, indexable at any depth; assertions check the actual values. */
export interface Json {
  readonly [key: string]: Json
}

/** A JSON array as an array (throws when it is not one, failing the test). */
export const items = (value: Json | undefined): ReadonlyArray<Json> => {
  if (!Array.isArray(value)) throw new Error(`expected an array, got ${JSON.stringify(value)}`)
  return value
}

export interface Response<A = Json> {
  readonly status: number
  readonly body: A
  readonly headers: Headers
}

export interface Client {
  readonly baseUrl: string
  readonly request: <A = Json>(
    method: string,
    path: string,
    options?: { readonly token?: string; readonly json?: unknown; readonly raw?: string | Buffer; readonly headers?: Record<string, string> }
  ) => Promise<Response<A>>
}

export const makeClient = (baseUrl: string): Client => ({
  baseUrl,
  request: async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
    let body: string | Buffer | undefined
    if (options.json !== undefined) {
      headers["content-type"] = "application/json"
      body = JSON.stringify(options.json)
    } else if (options.raw !== undefined) {
      headers["content-type"] ??= "application/json"
      body = options.raw
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body })
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = text === "" ? undefined : JSON.parse(text)
    } catch {
      // Not JSON: the test sees the text.
    }
    return { status: response.status, body: parsed as never, headers: response.headers }
  }
})

export interface Started {
  readonly client: Client
  readonly runtime: ManagedRuntime.ManagedRuntime<Layer.Success<ReturnType<typeof TestServer>>, unknown>
  readonly stop: () => Promise<void>
}

/** Starts a server for a test file (call in beforeAll, `stop` in afterAll). */
export const startTestServer = async (overrides: Partial<HooklineSettings> = {}): Promise<Started> => {
  const runtime = ManagedRuntime.make(TestServer(overrides))
  const address = await runtime.runPromise(Effect.map(Effect.service(HttpServer.HttpServer), (server) => server.address))
  if (address._tag === "UnixPathAddress") throw new Error("expected a TCP address")
  return {
    client: makeClient(`http://127.0.0.1:${address.port}`),
    runtime,
    stop: () => runtime.dispose()
  }
}

/** An account with its first key, created through the API. */
export const createAccount = async (client: Client, plan: "free" | "pro" | "scale" = "free", name = "Acme") => {
  const response = await client.request<{ id: string; apiKey: { id: string; key: string } }>("POST", "/v1/admin/accounts", {
    token: testOperatorToken,
    json: { name, plan }
  })
  if (response.status !== 201) throw new Error(`account creation failed: ${response.status} ${JSON.stringify(response.body)}`)
  return { accountId: response.body.id, keyId: response.body.apiKey.id, key: response.body.apiKey.key }
}

export const messageCreated = (overrides: { readonly text?: string } = {}) => ({
  message: {
    id: "m1",
    text: overrides.text ?? "hello",
    sender: { type: "user", id: "u1", name: "Ann" },
    createdAt: "2025-01-01T00:00:00Z"
  },
  conversation: { id: "c1", status: "open", channelId: "ch1" },
  customer: { id: "u1", name: "Ann", email: "ann@example.com" },
  channel: { id: "ch1", type: "web", name: "Site" }
})

export const webhookInput = (overrides: Record<string, unknown> = {}) => ({
  name: "Orders",
  url: "http://127.0.0.1:9/hook",
  events: ["message.created"],
  ...overrides
})

/** The one error shape: `{"error": {"code", "message", "details"?}}` and nothing else. */
export const isErrorShape = (body: unknown): boolean => {
  if (typeof body !== "object" || body === null || Object.keys(body).length !== 1 || !("error" in body)) return false
  const error = body.error
  if (typeof error !== "object" || error === null) return false
  const keys = Object.keys(error)
  return (
    "code" in error && typeof error.code === "string" &&
    "message" in error && typeof error.message === "string" &&
    keys.every((k) => k === "code" || k === "message" || k === "details") &&
    (!("details" in error) || (typeof error.details === "object" && error.details !== null))
  )
}
