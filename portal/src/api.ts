// The portal's one way to the server: the same /v1 API as any client, authenticated by the session
// cookie, with the session's CSRF value on every write.

export interface ApiIssue {
  readonly path: string
  readonly message: string
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: ReadonlyArray<ApiIssue>
  ) {
    super(message)
  }
}

let csrfToken = ""
export const setCsrfToken = (token: string) => {
  csrfToken = token
}

// A session that ends while the page is open (expired, or left in another tab) turns the page into the
// "expired" view rather than a string of errors.
let onSessionEnded = () => {}
export const whenSessionEnds = (handler: () => void) => {
  onSessionEnded = handler
}

const asIssues = (details: unknown): ReadonlyArray<ApiIssue> => {
  if (typeof details !== "object" || details === null || !("issues" in details) || !Array.isArray(details.issues)) return []
  return details.issues.flatMap((issue: unknown) =>
    typeof issue === "object" && issue !== null && "message" in issue
      ? [{ path: "path" in issue ? String(issue.path) : "", message: String(issue.message) }]
      : []
  )
}

export const api = async <A>(method: string, path: string, body?: unknown): Promise<A> => {
  const headers: Record<string, string> = { accept: "application/json" }
  if (method !== "GET") headers["x-hookline-csrf"] = csrfToken
  if (body !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await response.text()
  const json: unknown = text === "" ? undefined : JSON.parse(text)
  if (response.status === 401 && !path.startsWith("/portal/api/session")) onSessionEnded()
  if (!response.ok) {
    const error =
      typeof json === "object" && json !== null && "error" in json && typeof json.error === "object" && json.error !== null
        ? (json.error as { code?: unknown; message?: unknown; details?: unknown })
        : {}
    throw new ApiError(response.status, String(error.code ?? "error"), String(error.message ?? response.statusText), asIssues(error.details))
  }
  return json as A
}

export const query = (params: Record<string, string | number | undefined>) => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== "") search.set(key, String(value))
  const text = search.toString()
  return text === "" ? "" : `?${text}`
}

// The API's resources, as far as the portal reads them.

export interface Session {
  readonly accountId: string
  readonly webhookIds: ReadonlyArray<string> | null
  readonly expiresAt: string
  readonly csrfToken: string
}

export interface Webhook {
  readonly id: string
  readonly name: string
  readonly url: string
  readonly events: ReadonlyArray<string>
  readonly headers: Readonly<Record<string, string>>
  readonly status: "active" | "paused" | "disabled"
  readonly disabledReason: string | null
  readonly retrySchedule: ReadonlyArray<number> | null
  readonly maxConcurrency: number | null
  readonly rateLimit: number | null
  readonly previousSecretExpiresAt: string | null
  readonly createdAt: string
}

export interface Health {
  readonly circuit: { readonly state: "closed" | "open" | "half_open"; readonly since: string | null; readonly nextProbeAt: string | null }
  readonly consecutiveFailures: number
  readonly failingSince: string | null
  readonly backlog: number
  readonly lastSuccessAt: string | null
  readonly lastFailureAt: string | null
  readonly last24h: { readonly succeeded: number; readonly failed: number; readonly successRate: number | null }
}

export interface HourlyAttempts {
  readonly hour: string
  readonly succeeded: number
  readonly failed: number
}

export interface Delivery {
  readonly id: string
  readonly webhookId: string
  readonly eventId: string
  readonly eventType: string
  readonly status: string
  readonly waitingReason: string | null
  readonly attempts: number
  readonly createdAt: string
  readonly lastAttemptAt: string | null
  readonly nextAttemptAt: string | null
  readonly lastResponseStatus: number | null
  readonly lastError: string | null
}

export interface Attempt {
  readonly attempt: number
  readonly trigger: string
  readonly at: string
  readonly outcome: "succeeded" | "failed"
  readonly durationMs: number
  readonly url: string
  readonly requestHeaders: Readonly<Record<string, string>>
  readonly response: { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string } | null
  readonly errorClass: string | null
  readonly error: string | null
  readonly nextAttemptAt: string | null
}

export interface DeliveryDetail extends Delivery {
  readonly attemptLog: ReadonlyArray<Attempt>
  readonly redeliveries: ReadonlyArray<{ readonly at: string; readonly reason: string }>
  readonly cancelled: { readonly at: string; readonly reason: string } | null
}

export interface HistoryEntry {
  readonly version: number | null
  readonly type: string
  readonly at: string
  readonly actor: { readonly kind: string; readonly keyId?: string }
  readonly summary: string
}

export interface EventType {
  readonly type: string
  readonly description: string
  readonly subscribable: boolean
  readonly schema: unknown
}

export interface Account {
  readonly id: string
  readonly name: string
  readonly plan: string
  readonly limits: { readonly webhooks: number | null; readonly maxPayloadBytes: number; readonly maxRequestBytes: number; readonly maxBatchSize: number }
  readonly usage: { readonly webhooks: number }
  readonly createdAt: string
}

export interface Page<A> {
  readonly data: ReadonlyArray<A>
  readonly nextCursor: string | null
}
