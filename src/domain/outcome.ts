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
  /**
   * The webhook should be disabled, and the delivery not retried: the receiver answered 410 Gone (the
   * endpoint no longer exists), or the target guard refused the address (a private target no longer
   * allowed, or a name that now resolves to a private address), which no retry on the schedule can fix.
   */
  | { readonly _tag: "Disable"; readonly reason: string }
  /** 429 or 503 with a usable Retry-After: retry after exactly that long (retry-policy.ts). */
  | { readonly _tag: "RetryAfter"; readonly retryAfterMs: number }
  | { readonly _tag: "Failure" }

const SUCCESS: OutcomeVerdict = { _tag: "Success" }
const GONE: OutcomeVerdict = { _tag: "Disable", reason: "the endpoint answered 410 Gone" }
const FAILURE: OutcomeVerdict = { _tag: "Failure" }

/**
 * 2xx succeeds; 410 and a target refused by the guard disable; 429/503 with Retry-After retries at the receiver's time; everything else,
 * redirects included (they are never followed, so the receiver did not get the event), is a failure that
 * follows the retry schedule.
 */
export const classifyOutcome = (outcome: SendOutcome, nowMs: number): OutcomeVerdict => {
  if (outcome.kind === "error") {
    return outcome.errorClass === "blocked_target"
      ? { _tag: "Disable", reason: `the target is blocked: ${outcome.message}` }
      : FAILURE
  }
  const status = outcome.status
  if (status >= 200 && status < 300) return SUCCESS
  if (status === 410) return GONE
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
