import { Data, Result, Schema } from "effect"
import { isSigningSecretFormat } from "./credentials.js"
import { ValidationFailed, WebhookAlreadyDeleted, WebhookAlreadyExists, WebhookNotFound } from "./errors.js"
import { type SubscribableEventType, SubscribableEventType as SubscribableEventTypeSchema } from "./event-types.js"
import type { JsonValue } from "./json.js"
import { addSeconds, toIsoString } from "./time.js"
import type { ValidWebhookPatch, ValidWebhookSettings } from "./webhook-input.js"

/**
 * The webhook aggregate, stream `webhook-<id>`. Event schemas are structural only: they record facts, and
 * a fact recorded under older input rules must still decode after the rules tighten.
 */

// Events ---------------------------------------------------------------------------------------------

const Headers = Schema.Record(Schema.String, Schema.String)
const Seconds = Schema.Array(Schema.Number)

export const WebhookCreated = Schema.TaggedStruct("WebhookCreated", {
  webhookId: Schema.String,
  accountId: Schema.String,
  name: Schema.String,
  url: Schema.String,
  events: Schema.Array(SubscribableEventTypeSchema),
  headers: Headers,
  secret: Schema.String,
  /** null: the configured default schedule. */
  retrySchedule: Schema.NullOr(Seconds),
  /** null: the configured default. */
  maxConcurrency: Schema.NullOr(Schema.Number),
  /** null: no rate limit. */
  rateLimit: Schema.NullOr(Schema.Number),
  createdAt: Schema.String
})
export const WebhookRenamed = Schema.TaggedStruct("WebhookRenamed", { name: Schema.String })
export const WebhookUrlChanged = Schema.TaggedStruct("WebhookUrlChanged", { url: Schema.String })
export const WebhookEventsChanged = Schema.TaggedStruct("WebhookEventsChanged", {
  events: Schema.Array(SubscribableEventTypeSchema)
})
export const WebhookHeadersChanged = Schema.TaggedStruct("WebhookHeadersChanged", { headers: Headers })
/** Carries all three policy fields as they are after the change, so a reader needs no earlier event. */
export const WebhookPolicyChanged = Schema.TaggedStruct("WebhookPolicyChanged", {
  retrySchedule: Schema.NullOr(Seconds),
  maxConcurrency: Schema.NullOr(Schema.Number),
  rateLimit: Schema.NullOr(Schema.Number)
})
export const WebhookPaused = Schema.TaggedStruct("WebhookPaused", {})
export const WebhookResumed = Schema.TaggedStruct("WebhookResumed", {})
export const WebhookSecretRotated = Schema.TaggedStruct("WebhookSecretRotated", {
  secret: Schema.String,
  /** ISO date-time until which signatures with the replaced secret are still sent. */
  previousSecretExpiresAt: Schema.String
})
export const WebhookDisabled = Schema.TaggedStruct("WebhookDisabled", { reason: Schema.String })
export const WebhookDeleted = Schema.TaggedStruct("WebhookDeleted", {})

export const WebhookEvent = Schema.Union([
  WebhookCreated,
  WebhookRenamed,
  WebhookUrlChanged,
  WebhookEventsChanged,
  WebhookHeadersChanged,
  WebhookPolicyChanged,
  WebhookPaused,
  WebhookResumed,
  WebhookSecretRotated,
  WebhookDisabled,
  WebhookDeleted
])
export type WebhookEvent = typeof WebhookEvent.Type
export type WebhookEventType = WebhookEvent["_tag"]

// Commands -------------------------------------------------------------------------------------------

/**
 * Every command names the account acting. A webhook of another account answers WebhookNotFound, exactly
 * as a missing one does, so ownership is enforced here and existence is not leaked.
 */
export type WebhookCommand = Data.TaggedEnum<{
  CreateWebhook: {
    readonly webhookId: string
    readonly accountId: string
    readonly settings: ValidWebhookSettings
    readonly secret: string
    readonly now: Date
  }
  UpdateWebhook: { readonly webhookId: string; readonly accountId: string; readonly patch: ValidWebhookPatch }
  PauseWebhook: { readonly webhookId: string; readonly accountId: string }
  ResumeWebhook: { readonly webhookId: string; readonly accountId: string }
  RotateSecret: {
    readonly webhookId: string
    readonly accountId: string
    readonly newSecret: string
    readonly now: Date
    /** How long the replaced secret keeps signing alongside the new one, so receivers can switch over. */
    readonly overlapSeconds: number
  }
  DisableWebhook: { readonly webhookId: string; readonly accountId: string; readonly reason: string }
  DeleteWebhook: { readonly webhookId: string; readonly accountId: string }
}>
export const WebhookCommand = Data.taggedEnum<WebhookCommand>()

export type WebhookError = WebhookAlreadyExists | WebhookNotFound | WebhookAlreadyDeleted | ValidationFailed

/** Svix's default: receivers get a day to deploy the new secret. */
export const defaultSecretOverlapSeconds = 86_400
export const maxSecretOverlapSeconds = 604_800

// State ----------------------------------------------------------------------------------------------

export type WebhookStatus = "active" | "paused" | "disabled" | "deleted"

export interface PreviousSecret {
  readonly secret: string
  readonly expiresAt: string
}

export interface Webhook {
  readonly status: WebhookStatus
  readonly webhookId: string
  readonly accountId: string
  readonly name: string
  readonly url: string
  readonly events: ReadonlyArray<SubscribableEventType>
  readonly headers: Readonly<Record<string, string>>
  readonly secret: string
  readonly previousSecret: PreviousSecret | null
  readonly retrySchedule: ReadonlyArray<number> | null
  readonly maxConcurrency: number | null
  readonly rateLimit: number | null
  readonly createdAt: string
  readonly disabledReason: string | null
}

export type WebhookState = { readonly status: "none" } | Webhook

export const initialState: WebhookState = { status: "none" }

export const evolve = (state: WebhookState, event: WebhookEvent): WebhookState => {
  if (event._tag === "WebhookCreated") {
    const { _tag, ...created } = event
    return { status: "active", ...created, previousSecret: null, disabledReason: null }
  }
  // Events before WebhookCreated cannot be in a valid stream; ignoring them keeps evolve total.
  if (state.status === "none") return state
  switch (event._tag) {
    case "WebhookRenamed":
      return { ...state, name: event.name }
    case "WebhookUrlChanged":
      return { ...state, url: event.url }
    case "WebhookEventsChanged":
      return { ...state, events: event.events }
    case "WebhookHeadersChanged":
      return { ...state, headers: event.headers }
    case "WebhookPolicyChanged":
      return {
        ...state,
        retrySchedule: event.retrySchedule,
        maxConcurrency: event.maxConcurrency,
        rateLimit: event.rateLimit
      }
    case "WebhookPaused":
      return { ...state, status: "paused" }
    case "WebhookResumed":
      return { ...state, status: "active", disabledReason: null }
    case "WebhookSecretRotated":
      return {
        ...state,
        secret: event.secret,
        previousSecret: { secret: state.secret, expiresAt: event.previousSecretExpiresAt }
      }
    case "WebhookDisabled":
      return { ...state, status: "disabled", disabledReason: event.reason }
    case "WebhookDeleted":
      return { ...state, status: "deleted" }
  }
}

export const fold = (events: Iterable<WebhookEvent>, state: WebhookState = initialState): WebhookState => {
  let current = state
  for (const event of events) current = evolve(current, event)
  return current
}

// Decide ---------------------------------------------------------------------------------------------

type Decision = Result.Result<ReadonlyArray<WebhookEvent>, WebhookError>

const emit = (...events: ReadonlyArray<WebhookEvent>): Decision => Result.succeed(events)
const nothing: Decision = Result.succeed([])
const invalid = (path: string, message: string): Decision =>
  Result.fail(new ValidationFailed({ issues: [{ path, message }] }))

const sameSet = <A>(left: ReadonlyArray<A>, right: ReadonlyArray<A>): boolean => {
  const a = new Set(left)
  const b = new Set(right)
  return a.size === b.size && Array.from(a).every((item) => b.has(item))
}

const sameRecord = (left: Readonly<Record<string, string>>, right: Readonly<Record<string, string>>): boolean => {
  const keys = Object.keys(left)
  return keys.length === Object.keys(right).length &&
    keys.every((key) => Object.hasOwn(right, key) && right[key] === left[key])
}

const sameSchedule = (left: ReadonlyArray<number> | null, right: ReadonlyArray<number> | null): boolean =>
  left === null || right === null
    ? left === right
    : left.length === right.length && left.every((delay, index) => delay === right[index])

/** One event per field group that actually changes; order-only changes to `events` are no change. */
const decideUpdate = (state: Webhook, patch: ValidWebhookPatch): Decision => {
  const events: Array<WebhookEvent> = []
  if (patch.name !== undefined && patch.name !== state.name) events.push(WebhookRenamed.make({ name: patch.name }))
  if (patch.url !== undefined && patch.url !== state.url) events.push(WebhookUrlChanged.make({ url: patch.url }))
  if (patch.events !== undefined && !sameSet(patch.events, state.events)) {
    events.push(WebhookEventsChanged.make({ events: patch.events }))
  }
  if (patch.headers !== undefined && !sameRecord(patch.headers, state.headers)) {
    events.push(WebhookHeadersChanged.make({ headers: patch.headers }))
  }
  const retrySchedule = patch.retrySchedule !== undefined ? patch.retrySchedule : state.retrySchedule
  const maxConcurrency = patch.maxConcurrency !== undefined ? patch.maxConcurrency : state.maxConcurrency
  const rateLimit = patch.rateLimit !== undefined ? patch.rateLimit : state.rateLimit
  if (
    !sameSchedule(retrySchedule, state.retrySchedule) ||
    maxConcurrency !== state.maxConcurrency ||
    rateLimit !== state.rateLimit
  ) {
    events.push(WebhookPolicyChanged.make({ retrySchedule, maxConcurrency, rateLimit }))
  }
  return Result.succeed(events)
}

/**
 * Lifecycle commands are idempotent where the target state already holds: pausing a paused webhook,
 * resuming an active one or disabling a disabled one records nothing and succeeds, so a retried request
 * gets the same answer. Pausing a disabled webhook records the pause (the customer's intent), and
 * resuming re-enables it. A deleted webhook refuses every command, Delete included (the API answers 404).
 */
export const decide = (command: WebhookCommand, state: WebhookState): Decision => {
  if (command._tag === "CreateWebhook") {
    if (state.status !== "none") return Result.fail(new WebhookAlreadyExists({ webhookId: command.webhookId }))
    if (!isSigningSecretFormat(command.secret)) return invalid("secret", "must be a whsec_ signing secret")
    const { settings } = command
    return emit(
      WebhookCreated.make({
        webhookId: command.webhookId,
        accountId: command.accountId,
        name: settings.name,
        url: settings.url,
        events: settings.events,
        headers: settings.headers,
        secret: command.secret,
        retrySchedule: settings.retrySchedule,
        maxConcurrency: settings.maxConcurrency,
        rateLimit: settings.rateLimit,
        createdAt: toIsoString(command.now)
      })
    )
  }
  if (state.status === "none" || state.accountId !== command.accountId) {
    return Result.fail(new WebhookNotFound({ webhookId: command.webhookId }))
  }
  if (state.status === "deleted") return Result.fail(new WebhookAlreadyDeleted({ webhookId: command.webhookId }))
  switch (command._tag) {
    case "UpdateWebhook":
      return decideUpdate(state, command.patch)
    case "PauseWebhook":
      return state.status === "paused" ? nothing : emit(WebhookPaused.make({}))
    case "ResumeWebhook":
      return state.status === "active" ? nothing : emit(WebhookResumed.make({}))
    case "RotateSecret": {
      const { newSecret, now, overlapSeconds } = command
      if (!isSigningSecretFormat(newSecret)) return invalid("secret", "must be a whsec_ signing secret")
      if (newSecret === state.secret) return invalid("secret", "must differ from the current secret")
      if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > maxSecretOverlapSeconds) {
        return invalid("overlapSeconds", `must be an integer from 0 to ${maxSecretOverlapSeconds}`)
      }
      return emit(
        WebhookSecretRotated.make({
          secret: newSecret,
          previousSecretExpiresAt: toIsoString(addSeconds(now, overlapSeconds))
        })
      )
    }
    case "DisableWebhook": {
      const reason = command.reason.trim()
      if (reason === "") return invalid("reason", "must not be empty")
      return state.status === "disabled" ? nothing : emit(WebhookDisabled.make({ reason }))
    }
    case "DeleteWebhook":
      return emit(WebhookDeleted.make({}))
  }
}

// Queries --------------------------------------------------------------------------------------------

/**
 * The secrets to sign with at `now`: the current one first, then the replaced one while its overlap
 * lasts (Standard Webhooks sends one signature per secret). Empty when the webhook does not exist or is
 * deleted, so nothing can be signed for it.
 */
export const signingSecrets = (state: WebhookState, now: Date): ReadonlyArray<string> => {
  if (state.status === "none" || state.status === "deleted") return []
  const previous = state.previousSecret
  return previous !== null && now.getTime() < Date.parse(previous.expiresAt)
    ? [state.secret, previous.secret]
    : [state.secret]
}

export const effectiveRetrySchedule = (
  state: Webhook,
  defaultSchedule: ReadonlyArray<number>
): ReadonlyArray<number> => state.retrySchedule ?? defaultSchedule

// Audit ----------------------------------------------------------------------------------------------

export interface WebhookChange {
  readonly type: WebhookEventType
  /** One human sentence. */
  readonly summary: string
  /** What changed, machine-readable. */
  readonly details: { readonly [key: string]: JsonValue }
}

const headerNames = (headers: Readonly<Record<string, string>>): ReadonlyArray<string> => Object.keys(headers)

const describeHeaders = (headers: Readonly<Record<string, string>>): string => {
  const names = headerNames(headers)
  return names.length === 0 ? "no custom headers" : `custom headers ${names.join(", ")} (values hidden)`
}

const describePolicy = (policy: {
  readonly retrySchedule: ReadonlyArray<number> | null
  readonly maxConcurrency: number | null
  readonly rateLimit: number | null
}): string =>
  [
    `retry schedule ${policy.retrySchedule === null ? "default" : `[${policy.retrySchedule.join(", ")}] s`}`,
    `max concurrency ${policy.maxConcurrency ?? "default"}`,
    `rate limit ${policy.rateLimit === null ? "none" : `${policy.rateLimit}/s`}`
  ].join(", ")

/**
 * The audit view of one event for `GET /v1/webhooks/{id}/history`. Secrets never appear, and of custom
 * headers only the names do: their values are usually credentials for the customer's endpoint.
 */
export const describeChange = (event: WebhookEvent): WebhookChange => {
  switch (event._tag) {
    case "WebhookCreated":
      return {
        type: event._tag,
        summary: `created "${event.name}" for ${event.url}, subscribed to ${event.events.join(", ")}, with ` +
          `${describeHeaders(event.headers)}; ${describePolicy(event)}`,
        details: {
          name: event.name,
          url: event.url,
          events: event.events,
          headerNames: headerNames(event.headers),
          retrySchedule: event.retrySchedule,
          maxConcurrency: event.maxConcurrency,
          rateLimit: event.rateLimit
        }
      }
    case "WebhookRenamed":
      return { type: event._tag, summary: `renamed to "${event.name}"`, details: { name: event.name } }
    case "WebhookUrlChanged":
      return { type: event._tag, summary: `URL changed to ${event.url}`, details: { url: event.url } }
    case "WebhookEventsChanged":
      return {
        type: event._tag,
        summary: `now subscribed to ${event.events.join(", ")}`,
        details: { events: event.events }
      }
    case "WebhookHeadersChanged":
      return {
        type: event._tag,
        summary: `now sends ${describeHeaders(event.headers)}`,
        details: { headerNames: headerNames(event.headers) }
      }
    case "WebhookPolicyChanged":
      return {
        type: event._tag,
        summary: `delivery policy changed: ${describePolicy(event)}`,
        details: {
          retrySchedule: event.retrySchedule,
          maxConcurrency: event.maxConcurrency,
          rateLimit: event.rateLimit
        }
      }
    case "WebhookPaused":
      return { type: event._tag, summary: "paused", details: {} }
    case "WebhookResumed":
      return { type: event._tag, summary: "resumed", details: {} }
    case "WebhookSecretRotated":
      return {
        type: event._tag,
        summary: `signing secret rotated; the previous secret also signs until ${event.previousSecretExpiresAt}`,
        details: { previousSecretExpiresAt: event.previousSecretExpiresAt }
      }
    case "WebhookDisabled":
      return { type: event._tag, summary: `disabled: ${event.reason}`, details: { reason: event.reason } }
    case "WebhookDeleted":
      return { type: event._tag, summary: "deleted", details: {} }
  }
}
