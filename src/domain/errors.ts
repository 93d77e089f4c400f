import { ParseResult, Schema } from "effect"

/**
 * Domain errors. They live in one module so the HTTP layer can map every tag to a status in one place
 * (400 ValidationFailed, 403 PlanLimitReached, 404 *NotFound / WebhookAlreadyDeleted, 409 *AlreadyExists /
 * EventIdConflict, 413 PayloadTooLarge).
 */

export const ValidationIssue = Schema.Struct({
  path: Schema.String,
  message: Schema.String
})
export type ValidationIssue = typeof ValidationIssue.Type

export class ValidationFailed extends Schema.TaggedError<ValidationFailed>()("ValidationFailed", {
  issues: Schema.Array(ValidationIssue)
}) {
  override get message(): string {
    return this.issues.map((issue) => (issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`))
      .join("; ")
  }
}

export class PlanLimitReached extends Schema.TaggedError<PlanLimitReached>()("PlanLimitReached", {
  plan: Schema.String,
  limit: Schema.Number,
  current: Schema.Number
}) {
  override get message(): string {
    return `the ${this.plan} plan allows ${this.limit} webhooks and the account has ${this.current}`
  }
}

export class AccountNotFound extends Schema.TaggedError<AccountNotFound>()("AccountNotFound", {
  accountId: Schema.String
}) {
  override get message(): string {
    return `account ${this.accountId} not found`
  }
}

export class AccountAlreadyExists extends Schema.TaggedError<AccountAlreadyExists>()("AccountAlreadyExists", {
  accountId: Schema.String
}) {
  override get message(): string {
    return `account ${this.accountId} already exists`
  }
}

export class ApiKeyNotFound extends Schema.TaggedError<ApiKeyNotFound>()("ApiKeyNotFound", {
  accountId: Schema.String,
  keyId: Schema.String
}) {
  override get message(): string {
    return `API key ${this.keyId} not found`
  }
}

export class ApiKeyAlreadyExists extends Schema.TaggedError<ApiKeyAlreadyExists>()("ApiKeyAlreadyExists", {
  keyId: Schema.String
}) {
  override get message(): string {
    return `API key ${this.keyId} already exists`
  }
}

export class ApiKeyAlreadyRevoked extends Schema.TaggedError<ApiKeyAlreadyRevoked>()("ApiKeyAlreadyRevoked", {
  keyId: Schema.String
}) {
  override get message(): string {
    return `API key ${this.keyId} is already revoked`
  }
}

export class WebhookNotFound extends Schema.TaggedError<WebhookNotFound>()("WebhookNotFound", {
  webhookId: Schema.String
}) {
  override get message(): string {
    return `webhook ${this.webhookId} not found`
  }
}

export class WebhookAlreadyExists extends Schema.TaggedError<WebhookAlreadyExists>()("WebhookAlreadyExists", {
  webhookId: Schema.String
}) {
  override get message(): string {
    return `webhook ${this.webhookId} already exists`
  }
}

/** Named apart from the WebhookDeleted event: every command on a deleted webhook fails with this. */
export class WebhookAlreadyDeleted extends Schema.TaggedError<WebhookAlreadyDeleted>()("WebhookAlreadyDeleted", {
  webhookId: Schema.String
}) {
  override get message(): string {
    return `webhook ${this.webhookId} has been deleted`
  }
}

export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", {
  limit: Schema.Number,
  size: Schema.Number
}) {
  override get message(): string {
    return `event data is ${this.size} bytes; the limit is ${this.limit}`
  }
}

export class EventIdConflict extends Schema.TaggedError<EventIdConflict>()("EventIdConflict", {
  eventId: Schema.String
}) {
  override get message(): string {
    return `event id ${this.eventId} is already taken`
  }
}

export class InvalidPlanTable extends Schema.TaggedError<InvalidPlanTable>()("InvalidPlanTable", {
  input: Schema.String,
  issues: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `invalid plan table "${this.input}": ${this.issues.join("; ")}`
  }
}

/** Renders a schema path for humans and API clients: `events[1]`, `headers.X-Api-Key`, `message.sender.type`. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((out, segment) => {
    if (typeof segment === "number") return `${out}[${segment}]`
    const name = String(segment)
    return out === "" ? name : `${out}.${name}`
  }, "")

const joinPath = (prefix: string, path: string): string =>
  prefix === "" ? path : path === "" ? prefix : path.startsWith("[") ? `${prefix}${path}` : `${prefix}.${path}`

const isUnder = (path: string, parent: string): boolean =>
  path === parent || path.startsWith(`${parent}.`) || path.startsWith(`${parent}[`)

// What a failed `optional(NullOr(X))` adds besides X's own issue: true but useless to the client.
const alternativeNoise = /^Expected (null|undefined), actual /

/**
 * Flattens a parse error into issues for a client. A failed union reports once per member, so the
 * "Expected null" / "Expected undefined" alternatives are dropped when a more useful issue covers the
 * same field, and exact repeats are removed.
 */
export const issuesFromParseError = (error: ParseResult.ParseError, prefix = ""): ReadonlyArray<ValidationIssue> =>
  usefulIssues(
    ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
      path: joinPath(prefix, formatPath(issue.path)),
      message: issue.message
    }))
  )

/** Drops the union alternatives' noise where a more useful issue covers the same field, and repeats. */
export const usefulIssues = (all: ReadonlyArray<ValidationIssue>): ReadonlyArray<ValidationIssue> => {
  const useful = all.filter((issue) =>
    !alternativeNoise.test(issue.message) ||
    !all.some((other) => other !== issue && !alternativeNoise.test(other.message) && isUnder(other.path, issue.path))
  )
  const seen = new Set<string>()
  return useful.filter((issue) => {
    const key = `${issue.path}\u0000${issue.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

export const prefixIssues = (prefix: string, issues: ReadonlyArray<ValidationIssue>): ReadonlyArray<ValidationIssue> =>
  issues.map((issue) => ({ path: joinPath(prefix, issue.path), message: issue.message }))
