import { Brand, Result, Schema } from "effect"
import { signingSecretMaxBytes, signingSecretMinBytes, signingSecretProblem } from "./credentials.js"
import { decodeOptions, issuesFromParseError, type ValidationIssue, ValidationFailed } from "./errors.js"
import { SubscribableEventType } from "./event-types.js"
import { MAX_RETRIES, MAX_RETRY_DELAY_SECONDS } from "./retry-policy.js"

/**
 * What a customer may send to create or change a webhook. The schemas check everything that does not
 * depend on configuration and can serve as HttpApi payloads; `validateCreateWebhook` and
 * `validateWebhookPatch` add the configuration-dependent https rule, report every issue at once, and
 * brand the result so the webhook aggregate only ever receives validated settings.
 * Private-address and DNS checks are not here: they need IO and live in src/delivery.
 */

export const limits = {
  nameMaxLength: 100,
  urlMaxLength: 2048,
  maxHeaders: 20,
  headerValueMaxBytes: 1024,
  maxRetries: MAX_RETRIES,
  maxRetryDelaySeconds: MAX_RETRY_DELAY_SECONDS,
  maxConcurrency: 100,
  maxRateLimit: 10_000
} as const

export interface ValidationContext {
  /** Operator setting (development, tests): also allows plain http targets. */
  readonly allowPrivateTargets: boolean
}

/** Checked on the trimmed text; the validating functions store it trimmed. */
export const nameProblem = (name: string, maxLength: number): string | undefined => {
  const trimmed = name.trim()
  if (trimmed === "") return "must not be empty"
  return trimmed.length > maxLength ? `must be at most ${maxLength} characters` : undefined
}

// A filter rather than Schema.Trim: no transformation, so the JSON Schema keeps its length bounds.
export const WebhookName = Schema.String.check(
  Schema.makeFilter((name: string) => nameProblem(name, limits.nameMaxLength), {
    toJsonSchema: () => ({ minLength: 1, maxLength: limits.nameMaxLength })
  })
).annotate({ identifier: "WebhookName", description: "1 to 100 characters; surrounding spaces are removed" })

/** The shape problem of a URL, if any; the https-only rule is separate because it depends on configuration. */
export const urlProblem = (value: string): string | undefined => {
  if (value.length > limits.urlMaxLength) return `must be at most ${limits.urlMaxLength} characters`
  // The WHATWG parser silently strips some of these; refusing them keeps the stored URL what was sent.
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return "must not contain whitespace or control characters"
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return "must be an absolute URL, e.g. https://example.com/webhooks"
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an https URL"
  if (url.hostname === "") return "must name a host"
  if (url.username !== "" || url.password !== "") return "must not contain credentials (user:password@)"
  // `new URL("https://a/#").hash` is "", so look at the text.
  if (value.includes("#")) return "must not contain a fragment (#...)"
  return undefined
}

export const WebhookUrl = Schema.String.check(
  Schema.makeFilter((value: string) => urlProblem(value), {
    toJsonSchema: () => ({ format: "uri", maxLength: limits.urlMaxLength })
  })
).annotate({
  identifier: "WebhookUrl",
  description: "an absolute https URL, at most 2048 characters, without credentials or fragment"
})

/** The https rule: http only when the operator allows private targets (development and tests). */
export const urlSchemeProblem = (url: string, context: ValidationContext): string | undefined =>
  url.toLowerCase().startsWith("https:") || context.allowPrivateTargets ? undefined : "must use https"

export const WebhookEvents = Schema.Array(SubscribableEventType).check(
  Schema.isMinLength(1, { message: "must list at least one event type" }),
  Schema.isMaxLength(100, { message: "must list at most 100 event types" })
).annotate({ identifier: "WebhookEvents" })

// RFC 7230 token characters.
const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

const reservedHeaderNames: ReadonlySet<string> = new Set([
  "host",
  "content-length",
  "content-type",
  // Not in the brief's list, but the body is always plain JSON: a custom encoding would mislead receivers.
  "content-encoding",
  "user-agent",
  "connection",
  "transfer-encoding",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  // undici throws on `expect`, so it would fail every delivery.
  "expect"
])

/** Headers Hookline controls: hop-by-hop, framing, and its own `webhook-*` signature headers. */
export const isReservedHeaderName = (name: string): boolean => {
  const lower = name.toLowerCase()
  return reservedHeaderNames.has(lower) || lower.startsWith("proxy-") || lower.startsWith("webhook-")
}

// Visible ASCII, space and tab. Node's HTTP client throws on control characters and on anything above
// U+00FF, which would fail every delivery; CR/LF would also allow header injection.
const headerValuePattern = /^[\t\x20-\x7e]*$/

export interface HeaderIssue {
  /** The offending header's name; absent when the problem is the set as a whole. */
  readonly header?: string
  readonly message: string
}

/** Every problem in a set of custom headers. */
export const headerIssues = (headers: Readonly<Record<string, string>>): ReadonlyArray<HeaderIssue> => {
  const issues: Array<HeaderIssue> = []
  const names = Object.keys(headers)
  if (names.length > limits.maxHeaders) {
    issues.push({ message: `must have at most ${limits.maxHeaders} headers, got ${names.length}` })
  }
  const seen = new Set<string>()
  for (const name of names) {
    const value = headers[name] ?? ""
    if (!tokenPattern.test(name)) {
      issues.push({ header: name, message: "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~)" })
    } else if (isReservedHeaderName(name)) {
      issues.push({ header: name, message: "is reserved: Hookline sets this header itself" })
    } else if (seen.has(name.toLowerCase())) {
      issues.push({ header: name, message: "repeats another header name (names are case-insensitive)" })
    }
    seen.add(name.toLowerCase())
    if (Buffer.byteLength(value, "utf8") > limits.headerValueMaxBytes) {
      issues.push({ header: name, message: `value must be at most ${limits.headerValueMaxBytes} bytes` })
    } else if (!headerValuePattern.test(value)) {
      issues.push({ header: name, message: "value must be printable ASCII (no CR, LF, NUL or control characters)" })
    }
  }
  return issues
}

export const WebhookHeaders = Schema.Record(Schema.String, Schema.String).check(
  Schema.makeFilter(
    (headers: Readonly<Record<string, string>>) =>
      headerIssues(headers).map((issue): Schema.FilterIssue =>
        issue.header === undefined ? issue.message : { path: [issue.header], issue: issue.message }
      ),
    { toJsonSchema: () => ({ maxProperties: limits.maxHeaders }) }
  )
).annotate({
  identifier: "WebhookHeaders",
  description: "custom headers sent with every delivery; webhook-*, proxy-* and hop-by-hop names are reserved"
})

/** An integer in [min, max], with one message for "not an integer" and "out of range". */
const boundedInt = (min: number, max: number, message: string) =>
  Schema.Number.check(
    Schema.isInt({ message }),
    Schema.isBetween({ minimum: min, maximum: max }, { message })
  )

export const RetrySchedule = Schema.Array(
  boundedInt(0, limits.maxRetryDelaySeconds, `must be an integer number of seconds from 0 to ${limits.maxRetryDelaySeconds}`)
).check(Schema.isMaxLength(limits.maxRetries, { message: `must have at most ${limits.maxRetries} retries` }))
  .annotate({
    identifier: "RetrySchedule",
    description: "delays in seconds before each retry (the first attempt is immediate); null: the default"
  })

export const MaxConcurrency = boundedInt(1, limits.maxConcurrency, `must be an integer from 1 to ${limits.maxConcurrency}`).annotate({ identifier: "MaxConcurrency", description: "deliveries in flight at once; null: the default" })

export const RateLimit = boundedInt(1, limits.maxRateLimit, `must be an integer from 1 to ${limits.maxRateLimit}`).annotate({ identifier: "RateLimit", description: "deliveries per second; null: unlimited" })

/** A signing secret the customer brings (as Svix allows), e.g. one already deployed at the receiver. */
export const SigningSecret = Schema.String.check(
  Schema.makeFilter((secret: string) => signingSecretProblem(secret), {
    toJsonSchema: () => ({ pattern: "^whsec_[A-Za-z0-9+/]+={0,2}$" })
  })
).annotate({
  identifier: "SigningSecret",
  description: `whsec_ followed by the base64 of ${signingSecretMinBytes} to ${signingSecretMaxBytes} random bytes; ` +
    "absent: Hookline generates one"
})

// `optionalKey`, not `optional`: HttpApi decodes payloads with Effect 4's JSON codec, which would read a
// `null` as an absent `optional` field; only the policy fields (NullOr) take null.
export const CreateWebhookInput = Schema.Struct({
  name: WebhookName,
  url: WebhookUrl,
  events: WebhookEvents,
  headers: Schema.optionalKey(WebhookHeaders),
  retrySchedule: Schema.optionalKey(Schema.NullOr(RetrySchedule)),
  maxConcurrency: Schema.optionalKey(Schema.NullOr(MaxConcurrency)),
  rateLimit: Schema.optionalKey(Schema.NullOr(RateLimit)),
  secret: Schema.optionalKey(SigningSecret)
}).annotate({ identifier: "CreateWebhookInput" })
export type CreateWebhookInput = typeof CreateWebhookInput.Type

/** A PATCH: absent fields stay as they are; `null` resets a policy field to the default. */
export const UpdateWebhookInput = Schema.Struct({
  name: Schema.optionalKey(WebhookName),
  url: Schema.optionalKey(WebhookUrl),
  events: Schema.optionalKey(WebhookEvents),
  headers: Schema.optionalKey(WebhookHeaders),
  retrySchedule: Schema.optionalKey(Schema.NullOr(RetrySchedule)),
  maxConcurrency: Schema.optionalKey(Schema.NullOr(MaxConcurrency)),
  rateLimit: Schema.optionalKey(Schema.NullOr(RateLimit))
}).annotate({ identifier: "UpdateWebhookInput" })
export type UpdateWebhookInput = typeof UpdateWebhookInput.Type

/** Everything a webhook is configured with, complete and normalized (events de-duplicated, defaults null). */
export interface WebhookSettings {
  readonly name: string
  readonly url: string
  readonly events: ReadonlyArray<SubscribableEventType>
  readonly headers: Readonly<Record<string, string>>
  readonly retrySchedule: ReadonlyArray<number> | null
  readonly maxConcurrency: number | null
  readonly rateLimit: number | null
}
export type ValidWebhookSettings = WebhookSettings & Brand.Brand<"ValidWebhookSettings">
const ValidWebhookSettings = Brand.nominal<ValidWebhookSettings>()

export interface WebhookPatch {
  readonly name?: string
  readonly url?: string
  readonly events?: ReadonlyArray<SubscribableEventType>
  readonly headers?: Readonly<Record<string, string>>
  readonly retrySchedule?: ReadonlyArray<number> | null
  readonly maxConcurrency?: number | null
  readonly rateLimit?: number | null
}
export type ValidWebhookPatch = WebhookPatch & Brand.Brand<"ValidWebhookPatch">
const ValidWebhookPatch = Brand.nominal<ValidWebhookPatch>()

/** Keeps the first occurrence of each type, so the customer's order survives. */
export const dedupeEvents = (events: ReadonlyArray<SubscribableEventType>): ReadonlyArray<SubscribableEventType> =>
  Array.from(new Set(events))

const rawUrl = (input: unknown): string | undefined => {
  if (typeof input !== "object" || input === null || !("url" in input)) return undefined
  const url: unknown = input.url
  return typeof url === "string" && urlProblem(url) === undefined ? url : undefined
}

const validate = <A>(
  schema: Schema.Decoder<A>,
  input: unknown,
  context: ValidationContext
): Result.Result<A, ValidationFailed> => {
  const decoded = Schema.decodeUnknownResult(schema, decodeOptions)(input)
  const issues: Array<ValidationIssue> = Result.isFailure(decoded) ? [...issuesFromParseError(decoded.failure)] : []
  // Checked on the raw input so a config problem is reported together with any shape problems.
  const url = rawUrl(input)
  const schemeProblem = url === undefined ? undefined : urlSchemeProblem(url, context)
  if (schemeProblem !== undefined) issues.push({ path: "url", message: schemeProblem })
  if (issues.length > 0 || Result.isFailure(decoded)) return Result.fail(new ValidationFailed({ issues }))
  return Result.succeed(decoded.success)
}

/** A new webhook's settings and, apart from them, the signing secret its creator chose, if any. */
export interface ValidNewWebhook {
  readonly settings: ValidWebhookSettings
  readonly secret: string | undefined
}

export const validateNewWebhook = (
  input: unknown,
  context: ValidationContext
): Result.Result<ValidNewWebhook, ValidationFailed> =>
  validate(CreateWebhookInput, input, context).pipe(
    Result.map((valid) => ({
      settings: ValidWebhookSettings({
        name: valid.name.trim(),
        url: valid.url,
        events: dedupeEvents(valid.events),
        headers: valid.headers ?? {},
        retrySchedule: valid.retrySchedule ?? null,
        maxConcurrency: valid.maxConcurrency ?? null,
        rateLimit: valid.rateLimit ?? null
      }),
      secret: valid.secret
    }))
  )

export const validateCreateWebhook = (
  input: unknown,
  context: ValidationContext
): Result.Result<ValidWebhookSettings, ValidationFailed> =>
  validateNewWebhook(input, context).pipe(Result.map((valid) => valid.settings))

export const validateWebhookPatch = (
  input: unknown,
  context: ValidationContext
): Result.Result<ValidWebhookPatch, ValidationFailed> =>
  validate(UpdateWebhookInput, input, context).pipe(
    Result.map((valid) =>
      ValidWebhookPatch({
        ...(valid.name !== undefined ? { name: valid.name.trim() } : {}),
        ...(valid.url !== undefined ? { url: valid.url } : {}),
        ...(valid.events !== undefined ? { events: dedupeEvents(valid.events) } : {}),
        ...(valid.headers !== undefined ? { headers: valid.headers } : {}),
        ...(valid.retrySchedule !== undefined ? { retrySchedule: valid.retrySchedule } : {}),
        ...(valid.maxConcurrency !== undefined ? { maxConcurrency: valid.maxConcurrency } : {}),
        ...(valid.rateLimit !== undefined ? { rateLimit: valid.rateLimit } : {})
      })
    )
  )
