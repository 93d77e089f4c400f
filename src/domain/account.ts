import { Data, Result, Schema } from "effect"
import {
  AccountAlreadyExists,
  AccountNotFound,
  ApiKeyAlreadyExists,
  ApiKeyAlreadyRevoked,
  ApiKeyNotFound,
  PlanLimitReached,
  ValidationFailed
} from "./errors.js"
import { PlanName, type PlanTable, webhookLimit } from "./plans.js"

/**
 * The account aggregate, stream `account-<id>`. Besides the account itself it keeps the set of the
 * account's webhooks: creating a webhook appends WebhookRegistered here, with the expected version, in the
 * same transaction as WebhookCreated on the webhook stream. Two racing creates then conflict on this
 * stream and the loser decides again against the new count, so the plan limit holds under concurrency.
 */

export const accountNameMaxLength = 200

const nameProblem = (name: string, maxLength: number): string | undefined => {
  const trimmed = name.trim()
  if (trimmed === "") return "must not be empty"
  return trimmed.length > maxLength ? `must be at most ${maxLength} characters` : undefined
}

/** The body of `POST /v1/admin/accounts`; `decide` trims the name. */
export const CreateAccountInput = Schema.Struct({
  name: Schema.String.check(
    Schema.makeFilter((name: string) => nameProblem(name, accountNameMaxLength), {
      toJsonSchema: () => ({ minLength: 1, maxLength: accountNameMaxLength })
    })
  ),
  plan: PlanName
}).annotate({ identifier: "CreateAccountInput" })
export type CreateAccountInput = typeof CreateAccountInput.Type

export const apiKeyNameMaxLength = 100

/** The body of `POST /v1/admin/accounts/{id}/keys`; `decide` trims the name. */
export const IssueApiKeyInput = Schema.Struct({
  name: Schema.optionalKey(
    Schema.String.check(
      Schema.makeFilter((name: string) => nameProblem(name, apiKeyNameMaxLength), {
        toJsonSchema: () => ({ minLength: 1, maxLength: apiKeyNameMaxLength })
      })
    ).annotate({ description: "a name for people to tell keys apart, e.g. where the key is used" })
  )
}).annotate({ identifier: "IssueApiKeyInput" })
export type IssueApiKeyInput = typeof IssueApiKeyInput.Type

// Events ---------------------------------------------------------------------------------------------

export const AccountCreated = Schema.TaggedStruct("AccountCreated", {
  accountId: Schema.String,
  name: Schema.String,
  plan: PlanName
})
export const PlanChanged = Schema.TaggedStruct("PlanChanged", { plan: PlanName })
export const ApiKeyIssued = Schema.TaggedStruct("ApiKeyIssued", {
  keyId: Schema.String,
  /** The first characters of the key, shown to humans so they can tell keys apart. */
  prefix: Schema.String,
  /** sha256 hex of the key; the key itself is never stored. */
  keyHash: Schema.String,
  /** Optional: keys issued before keys had names carry none. */
  name: Schema.optionalKey(Schema.String)
})
export const ApiKeyRevoked = Schema.TaggedStruct("ApiKeyRevoked", { keyId: Schema.String })
export const WebhookRegistered = Schema.TaggedStruct("WebhookRegistered", { webhookId: Schema.String })
export const WebhookUnregistered = Schema.TaggedStruct("WebhookUnregistered", { webhookId: Schema.String })

export const AccountEvent = Schema.Union([
  AccountCreated,
  PlanChanged,
  ApiKeyIssued,
  ApiKeyRevoked,
  WebhookRegistered,
  WebhookUnregistered
])
export type AccountEvent = typeof AccountEvent.Type
export type AccountEventType = AccountEvent["_tag"]

// Commands -------------------------------------------------------------------------------------------

export type AccountCommand = Data.TaggedEnum<{
  CreateAccount: { readonly accountId: string; readonly name: string; readonly plan: PlanName }
  ChangePlan: { readonly accountId: string; readonly plan: PlanName }
  /** The key is generated at the edge (see credentials.ts); only its id, prefix and hash reach the log. */
  IssueApiKey: {
    readonly accountId: string
    readonly keyId: string
    readonly prefix: string
    readonly keyHash: string
    readonly name?: string | undefined
  }
  RevokeApiKey: { readonly accountId: string; readonly keyId: string }
  /** `plans` comes from configuration, so the limit is whatever the operator set when the command is made. */
  RegisterWebhook: { readonly accountId: string; readonly webhookId: string; readonly plans: PlanTable }
  UnregisterWebhook: { readonly accountId: string; readonly webhookId: string }
}>
export const AccountCommand = Data.taggedEnum<AccountCommand>()

export type AccountError =
  | AccountAlreadyExists
  | AccountNotFound
  | ApiKeyAlreadyExists
  | ApiKeyAlreadyRevoked
  | ApiKeyNotFound
  | PlanLimitReached
  | ValidationFailed

// State ----------------------------------------------------------------------------------------------

export interface ApiKeyState {
  readonly keyId: string
  readonly prefix: string
  readonly keyHash: string
  readonly name: string | undefined
  readonly status: "active" | "revoked"
}

export interface OpenAccount {
  readonly status: "open"
  readonly accountId: string
  readonly name: string
  readonly plan: PlanName
  readonly keys: ReadonlyMap<string, ApiKeyState>
  readonly webhooks: ReadonlySet<string>
}

export type AccountState = { readonly status: "none" } | OpenAccount

export const initialState: AccountState = { status: "none" }

export const evolve = (state: AccountState, event: AccountEvent): AccountState => {
  if (event._tag === "AccountCreated") {
    return {
      status: "open",
      accountId: event.accountId,
      name: event.name,
      plan: event.plan,
      keys: new Map(),
      webhooks: new Set()
    }
  }
  // Events before AccountCreated cannot be in a valid stream; ignoring them keeps evolve total.
  if (state.status === "none") return state
  switch (event._tag) {
    case "PlanChanged":
      return { ...state, plan: event.plan }
    case "ApiKeyIssued":
      return {
        ...state,
        keys: new Map(state.keys).set(event.keyId, {
          keyId: event.keyId,
          prefix: event.prefix,
          keyHash: event.keyHash,
          name: event.name,
          status: "active"
        })
      }
    case "ApiKeyRevoked": {
      const key = state.keys.get(event.keyId)
      if (key === undefined) return state
      return { ...state, keys: new Map(state.keys).set(event.keyId, { ...key, status: "revoked" }) }
    }
    case "WebhookRegistered":
      return { ...state, webhooks: new Set(state.webhooks).add(event.webhookId) }
    case "WebhookUnregistered": {
      const webhooks = new Set(state.webhooks)
      webhooks.delete(event.webhookId)
      return { ...state, webhooks }
    }
  }
}

export const fold = (events: Iterable<AccountEvent>, state: AccountState = initialState): AccountState => {
  let current = state
  for (const event of events) current = evolve(current, event)
  return current
}

// Decide ---------------------------------------------------------------------------------------------

type Decision = Result.Result<ReadonlyArray<AccountEvent>, AccountError>

const emit = (...events: ReadonlyArray<AccountEvent>): Decision => Result.succeed(events)
const nothing: Decision = Result.succeed([])

const nameIssue = (name: string, maxLength = accountNameMaxLength): ValidationFailed | undefined => {
  const problem = nameProblem(name, maxLength)
  return problem === undefined ? undefined : new ValidationFailed({ issues: [{ path: "name", message: problem }] })
}

export const activeKeys = (state: OpenAccount): ReadonlyArray<ApiKeyState> =>
  Array.from(state.keys.values()).filter((key) => key.status === "active")

/**
 * Decisions that leave nothing to record are idempotent no-ops (empty list), so a retried request
 * succeeds: changing to the current plan, registering a registered webhook, unregistering an unknown one.
 */
export const decide = (command: AccountCommand, state: AccountState): Decision => {
  if (command._tag === "CreateAccount") {
    if (state.status !== "none") return Result.fail(new AccountAlreadyExists({ accountId: command.accountId }))
    const invalid = nameIssue(command.name)
    if (invalid !== undefined) return Result.fail(invalid)
    return emit(AccountCreated.make({ accountId: command.accountId, name: command.name.trim(), plan: command.plan }))
  }
  if (state.status === "none") return Result.fail(new AccountNotFound({ accountId: command.accountId }))
  switch (command._tag) {
    case "ChangePlan":
      return command.plan === state.plan ? nothing : emit(PlanChanged.make({ plan: command.plan }))
    case "IssueApiKey": {
      if (state.keys.has(command.keyId)) return Result.fail(new ApiKeyAlreadyExists({ keyId: command.keyId }))
      const { keyId, prefix, keyHash, name } = command
      if (name === undefined) return emit(ApiKeyIssued.make({ keyId, prefix, keyHash }))
      const invalid = nameIssue(name, apiKeyNameMaxLength)
      if (invalid !== undefined) return Result.fail(invalid)
      return emit(ApiKeyIssued.make({ keyId, prefix, keyHash, name: name.trim() }))
    }
    case "RevokeApiKey": {
      const key = state.keys.get(command.keyId)
      if (key === undefined) {
        return Result.fail(new ApiKeyNotFound({ accountId: state.accountId, keyId: command.keyId }))
      }
      if (key.status === "revoked") return Result.fail(new ApiKeyAlreadyRevoked({ keyId: command.keyId }))
      return emit(ApiKeyRevoked.make({ keyId: command.keyId }))
    }
    case "RegisterWebhook": {
      if (state.webhooks.has(command.webhookId)) return nothing
      const limit = webhookLimit(command.plans, state.plan)
      // `>=` rather than `===`: a downgrade may leave an account above its new limit.
      if (state.webhooks.size >= limit) {
        return Result.fail(new PlanLimitReached({ plan: state.plan, limit, current: state.webhooks.size }))
      }
      return emit(WebhookRegistered.make({ webhookId: command.webhookId }))
    }
    case "UnregisterWebhook":
      return state.webhooks.has(command.webhookId)
        ? emit(WebhookUnregistered.make({ webhookId: command.webhookId }))
        : nothing
  }
}
