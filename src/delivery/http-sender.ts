/**
 * The delivery hot path's HTTP POST: undici's `dispatch` with a small handler, wrapped in one `Effect.callback`.
 *
 * Why this shape (EFFECT3-NOTES.md): the platform HttpClient costs about 5× more CPU per request, and even
 * undici's `request()` builds a Readable stream and a promise chain per response. A dispatch handler gets
 * the status, headers and body chunks directly, so it can stop after the 4 KiB excerpt without a stream.
 * There is no AbortController either: the handler holds undici's abort handle, and both the timeout and
 * fiber interruption go through it.
 *
 * Sends never fail: every outcome, network errors included, is a value the runtime records as an attempt.
 */
import { performance } from "node:perf_hooks"
import { Context, Effect, Layer } from "effect"
import type { Scope } from "effect"
import { Agent, errors } from "undici"
import type { Dispatcher } from "undici"
import packageJson from "../../package.json" with { type: "json" }
import { Settings } from "../config.js"
import type { ErrorOutcome, SendErrorClass, SendOutcome } from "../domain/outcome.js"
import { BLOCKED_TARGET_CODE, guardedConnector } from "./target-guard.js"

/** The shape undici hands to `onResponseStart` (names already lowercased). */
type IncomingHttpHeaders = Record<string, string | Array<string> | undefined>

export const BODY_EXCERPT_BYTES = 4096
export const DEFAULT_USER_AGENT = `Hookline/${packageJson.version}`

export interface SendRequest {
  /** Parse once per webhook and pass the URL to save the parse on every delivery; a string works too. */
  readonly url: URL | string
  /** The webhook-* headers and the webhook's custom headers. user-agent and content-type are ours. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | Uint8Array
  readonly timeoutMs: number
}

export interface HttpSenderOptions {
  /** HOOKLINE_ALLOW_PRIVATE_TARGETS: when false every connection goes through the target guard. */
  readonly allowPrivateTargets: boolean
  readonly userAgent?: string
  /** TCP + TLS handshake limit; the request's own timeoutMs still bounds the whole attempt. */
  readonly connectTimeoutMs?: number
  /** How long an idle pooled connection is kept (a server's Keep-Alive hint can shorten it). */
  readonly keepAliveTimeoutMs?: number
  /** Per origin; unlimited by default because each endpoint actor already enforces its concurrency. */
  readonly connectionsPerOrigin?: number
}

export interface HttpSenderShape {
  readonly send: (request: SendRequest) => Effect.Effect<SendOutcome>
}

export class HttpSender extends Context.Service<HttpSender, HttpSenderShape>()("hookline/HttpSender") {}

/**
 * Headers only Hookline or the HTTP layer may set: a custom header with one of these names is dropped so it
 * can neither override ours nor corrupt framing (undici rejects some of them outright).
 */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  "user-agent",
  "content-type",
  "content-length",
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "expect",
  "te",
  "trailer",
  "proxy-connection"
])

const elapsed = (startedAt: number): number => performance.now() - startedAt

const errorCode = (err: unknown): string | undefined => {
  let current: unknown = err
  // undici sometimes wraps the socket error; its `cause` carries the system code.
  for (let depth = 0; depth < 3 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { readonly code?: unknown }).code
    if (typeof code === "string" && code !== "UND_ERR") return code
    current = (current as { readonly cause?: unknown }).cause
  }
  return undefined
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|EPROTO$)/

export const classifySendError = (err: unknown): SendErrorClass => {
  // llhttp failures often arrive without a code.
  if (err instanceof errors.HTTPParserError) return "invalid_response"
  const code = errorCode(err)
  if (code === undefined) return "other"
  switch (code) {
    case BLOCKED_TARGET_CODE:
      return "blocked_target"
    case "ECONNREFUSED":
      return "connection_refused"
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
      return "connection_reset"
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
    case "EAI_NODATA":
    case "EAI_NONAME":
      return "dns"
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return "timeout"
    case "UND_ERR_RES_CONTENT_LENGTH_MISMATCH":
    case "UND_ERR_RES_EXCEEDED_MAX_SIZE":
      return "invalid_response"
  }
  if (code.startsWith("HPE_")) return "invalid_response"
  if (TLS_CODE.test(code)) return "tls"
  return "other"
}

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err))

const flattenHeaders = (headers: IncomingHttpHeaders): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const name in headers) {
    const value = headers[name]
    if (typeof value === "string") out[name] = value
    else if (value !== undefined) out[name] = value.join(", ")
  }
  return out
}

/**
 * One attempt's state, as undici's dispatch handler. A class rather than closures: one allocation per
 * attempt, and the timer callback below takes it as an argument instead of capturing it.
 */
class Attempt implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined = undefined
  /** Set when we must abort before undici has handed us the controller (still connecting / queued). */
  private pendingAbort: Error | undefined = undefined
  private done = false
  private status = 0
  private headers: IncomingHttpHeaders | undefined = undefined
  private chunks: Array<Buffer> | undefined = undefined
  private size = 0
  private durationMs = 0
  timer: ReturnType<typeof setTimeout> | undefined = undefined

  constructor(
    private readonly resume: (effect: Effect.Effect<SendOutcome>) => void,
    private readonly startedAt: number
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.pendingAbort !== undefined) controller.abort(this.pendingAbort)
    else this.controller = controller
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.status = status
    this.headers = headers
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return
    if (this.chunks === undefined) this.chunks = [chunk]
    else this.chunks.push(chunk)
    this.size += chunk.length
    if (this.size >= BODY_EXCERPT_BYTES) {
      this.finishResponse()
      // The rest is never needed: dropping the connection is cheaper than draining an arbitrarily large body.
      controller.abort(new Error("response body excerpt complete"))
    }
  }

  onResponseEnd(): void {
    if (this.done) return
    // undici frees the connection for reuse only in a setImmediate it queues right after this callback
    // returns (to catch servers that close despite keep-alive). Resuming the fiber sooner lets the
    // endpoint's next send find the pool busy and open a second connection. nextTick runs once undici's
    // setImmediate is queued, so the one queued from it runs after the connection is free again.
    this.done = true
    clearTimeout(this.timer)
    this.durationMs = elapsed(this.startedAt)
    process.nextTick(completeAfterRelease, this)
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (!this.done) this.finishError(classifySendError(err), errorMessage(err))
  }

  /** The caller's timeout fired or the fiber was interrupted. */
  abort(reason: Error): void {
    if (this.controller !== undefined) this.controller.abort(reason)
    else this.pendingAbort = reason
  }

  timedOut(timeoutMs: number): void {
    if (this.done) return
    this.finishError("timeout", `no complete response within ${timeoutMs} ms`)
    this.abort(new Error("delivery attempt timed out"))
  }

  interrupted(): void {
    if (this.done) return
    this.done = true
    clearTimeout(this.timer)
    this.abort(new Error("delivery attempt interrupted"))
  }

  finishError(errorClass: SendErrorClass, message: string): void {
    this.done = true
    clearTimeout(this.timer)
    const outcome: ErrorOutcome = { kind: "error", errorClass, message, durationMs: elapsed(this.startedAt) }
    this.resume(Effect.succeed(outcome))
  }

  private finishResponse(): void {
    this.done = true
    clearTimeout(this.timer)
    this.durationMs = elapsed(this.startedAt)
    this.complete()
  }

  complete(): void {
    const chunks = this.chunks
    const excerpt = chunks === undefined
      ? ""
      : chunks.length === 1
      ? chunks[0]!.toString("utf8", 0, Math.min(this.size, BODY_EXCERPT_BYTES))
      : Buffer.concat(chunks, this.size).toString("utf8", 0, Math.min(this.size, BODY_EXCERPT_BYTES))
    this.resume(Effect.succeed({
      kind: "response",
      status: this.status,
      headers: this.headers === undefined ? {} : flattenHeaders(this.headers),
      bodyExcerpt: excerpt,
      durationMs: this.durationMs
    }))
  }
}

const complete = (attempt: Attempt): void => attempt.complete()
const completeAfterRelease = (attempt: Attempt): void => {
  setImmediate(complete, attempt)
}

const onAttemptTimeout = (attempt: Attempt, timeoutMs: number): void => attempt.timedOut(timeoutMs)

/**
 * Builds the sender. It owns an undici Agent (a keep-alive pool per origin) that is destroyed when the scope
 * closes; by then every send has completed or been interrupted, so nothing worth waiting for is in flight.
 */
export const make = (
  options: HttpSenderOptions
): Effect.Effect<HttpSenderShape, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => {
        const connectTimeout = options.connectTimeoutMs ?? 10_000
        return new Agent({
          keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
          connections: options.connectionsPerOrigin ?? null,
          connect: options.allowPrivateTargets
            ? { timeout: connectTimeout }
            : guardedConnector({ timeout: connectTimeout })
        })
      }),
      (agent) => Effect.promise(() => agent.destroy())
    ),
    (agent) => {
      const userAgent = options.userAgent ?? DEFAULT_USER_AGENT

      const send = (request: SendRequest): Effect.Effect<SendOutcome> =>
        Effect.callback<SendOutcome>((resume) => {
          const startedAt = performance.now()
          const attempt = new Attempt(resume, startedAt)
          let url: URL
          try {
            url = typeof request.url === "string" ? new URL(request.url) : request.url
          } catch (e) {
            attempt.finishError("other", `invalid URL: ${errorMessage(e)}`)
            return
          }
          const headers: Array<string> = []
          const custom = request.headers
          for (const name in custom) {
            if (!RESERVED_HEADERS.has(name.toLowerCase())) headers.push(name, custom[name]!)
          }
          headers.push("user-agent", userAgent, "content-type", "application/json")
          attempt.timer = setTimeout(onAttemptTimeout, request.timeoutMs, attempt, request.timeoutMs)
          try {
            agent.dispatch(
              { origin: url.origin, path: url.pathname + url.search, method: "POST", headers, body: request.body },
              attempt
            )
          } catch (e) {
            attempt.finishError(classifySendError(e), errorMessage(e))
            return
          }
          return Effect.sync(() => attempt.interrupted())
        })

      return { send }
    }
  )

export const layer = (options: HttpSenderOptions): Layer.Layer<HttpSender> => Layer.effect(HttpSender, make(options))

/** The sender configured from Settings (HOOKLINE_ALLOW_PRIVATE_TARGETS). */
export const layerFromSettings: Layer.Layer<HttpSender, never, Settings> = Layer.effect(
  HttpSender,
  Effect.flatMap(Settings, (settings) => make({ allowPrivateTargets: settings.allowPrivateTargets }))
)
