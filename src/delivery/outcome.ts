/**
 * What one delivery attempt produced, and what the runtime should do about it.
 */
import { Option } from "effect"
import { parseRetryAfter } from "./retry-policy.js"

export type SendErrorClass =
  | "timeout"
  | "connection_refused"
  | "connection_reset"
  | "dns"
  | "tls"
  | "blocked_target"
  | "invalid_response"
  | "other"

export interface ResponseOutcome {
  readonly kind: "response"
  readonly status: number
  /** Lowercased names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>
  /** The first 4 KiB of the body as UTF-8 text (the rest is never read). */
  readonly bodyExcerpt: string
  readonly durationMs: number
}

export interface ErrorOutcome {
  readonly kind: "error"
  readonly errorClass: SendErrorClass
  readonly message: string
  readonly durationMs: number
}

export type SendOutcome = ResponseOutcome | ErrorOutcome

export type OutcomeVerdict =
  | { readonly _tag: "Success" }
  /** 410 Gone: the receiver says the endpoint no longer exists; the webhook should be disabled. */
  | { readonly _tag: "Disable" }
  /** 429 or 503 with a usable Retry-After: retry after exactly that long (retry-policy.ts). */
  | { readonly _tag: "RetryAfter"; readonly retryAfterMs: number }
  | { readonly _tag: "Failure" }

const SUCCESS: OutcomeVerdict = { _tag: "Success" }
const DISABLE: OutcomeVerdict = { _tag: "Disable" }
const FAILURE: OutcomeVerdict = { _tag: "Failure" }

/**
 * 2xx succeeds; 410 disables; 429/503 with Retry-After retries at the receiver's time; everything else,
 * redirects included (they are never followed, so the receiver did not get the event), is a failure that
 * follows the retry schedule.
 */
export const classifyOutcome = (outcome: SendOutcome, nowMs: number): OutcomeVerdict => {
  if (outcome.kind === "error") return FAILURE
  const status = outcome.status
  if (status >= 200 && status < 300) return SUCCESS
  if (status === 410) return DISABLE
  if (status === 429 || status === 503) {
    const retryAfter = parseRetryAfter(outcome.headers["retry-after"], nowMs)
    if (Option.isSome(retryAfter)) return { _tag: "RetryAfter", retryAfterMs: retryAfter.value }
  }
  return FAILURE
}

export const REDACTED = "[redacted]"

/** Headers Hookline itself sets and that carry nothing secret; every other value may. */
const SAFE_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  "webhook-id",
  "webhook-timestamp",
  "content-type",
  "content-length",
  "user-agent"
])

/**
 * The request headers as recorded in the delivery log: names kept, values of `webhook-signature` and of
 * every header not in a small allowlist replaced by "[redacted]". An allowlist rather than a list of the
 * webhook's custom headers, so a header added later is hidden by default instead of leaked.
 */
export const redactHeaders = (headers: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const name in headers) {
    out[name] = SAFE_REQUEST_HEADERS.has(name.toLowerCase()) ? headers[name]! : REDACTED
  }
  return out
}
