import { Formatter, Schema, type SchemaAST, SchemaIssue } from "effect"

/**
 * Domain errors. They live in one module so the HTTP layer can map every tag to a status in one place
 * (400 ValidationFailed, 403 PlanLimitReached, 404 *NotFound, 409 *AlreadyExists / EventIdConflict,
 * 410 WebhookAlreadyDeleted, 413 PayloadTooLarge).
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
    return `webhook ${this.webhookId} was deleted`
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

/**
 * An event id already published: by another account, or by this one with another type or data (a
 * publisher reusing an id for a different event must hear of it, not get the first event's answer).
 */
export class EventIdConflict extends Schema.TaggedError<EventIdConflict>()("EventIdConflict", {
  eventId: Schema.String,
  /** Set when this account published the id with another type or data. */
  differentContent: Schema.optionalKey(Schema.Boolean)
}) {
  override get message(): string {
    return this.differentContent === true
      ? `event id ${this.eventId} was already published with a different type or data`
      : `event id ${this.eventId} is already taken`
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

declare module "effect/Schema" {
  namespace Annotations {
    interface Annotations {
      /**
       * The message of a failed value, written from the value itself (e.g. "unknown plan \"gold\"; valid
       * plans: ..."). Read by `issuesFromSchemaIssue` when the decode reported its input (`reportInput`);
       * the static `message` annotation stays the fallback and what `SchemaError.message` shows.
       */
      readonly messageFromInput?: ((input: unknown) => string) | undefined
    }
  }
}

/** The options every client-facing decode uses: every issue at once, with the input for the messages. */
export const decodeOptions = { errors: "all", reportInput: true } as const

/**
 * A command body's options: besides `decodeOptions`, a field the schema does not know is refused rather
 * than dropped (a typo such as `nmae` must not answer 200 and change nothing). Schemas holding free-form
 * JSON (`Schema.Unknown`, records) are not walked for excess keys, so an event's `data` keeps its fields.
 */
export const commandDecodeOptions = { ...decodeOptions, onExcessProperty: "error" } as const

// What a failed `optional(NullOr(X))` adds besides X's own issue: true but useless to the client.
const alternativeNoise = /^Expected (null|undefined)(, got |$)/

/**
 * What a value should have been, named by its JSON kind ("string", "number | null") rather than by the
 * schema's identifier, which Effect 4 prefers but means nothing to a client. Undefined: Effect's own words.
 */
const kindOf = (ast: SchemaAST.AST): string | undefined => {
  switch (ast._tag) {
    case "String":
    case "Number":
    case "Boolean":
    case "Null":
    case "Undefined":
      return ast._tag.toLowerCase()
    case "Arrays":
      return "array"
    case "Objects":
      return "object"
    case "Literal":
      return JSON.stringify(ast.literal)
    case "Union": {
      const kinds = ast.types.map(kindOf)
      return kinds.every((kind) => kind !== undefined) ? Array.from(new Set(kinds)).join(" | ") : undefined
    }
    default:
      return undefined
  }
}

/** The choices of a union of literals (`status`, `plan`), listed as the product names them. */
const literalChoices = (ast: SchemaAST.AST): ReadonlyArray<string> | undefined => {
  if (ast._tag !== "Union" || ast.types.length < 2) return undefined
  const choices = ast.types.flatMap((member) => (member._tag === "Literal" ? [String(member.literal)] : []))
  return choices.length === ast.types.length ? choices : undefined
}

const expectedKind = (issue: SchemaIssue.InvalidType | SchemaIssue.AnyOf): string | undefined => {
  if (issue.ast.annotations?.message !== undefined) return undefined
  // One line naming every choice rather than Effect's `Expected "a" | "b", got ...` (which echoes the input).
  const choices = literalChoices(issue.ast)
  if (choices !== undefined) return `must be one of ${choices.join(", ")}`
  const kind = kindOf(issue.ast)
  if (kind === undefined) return undefined
  return SchemaIssue.hasInput(issue) ? `Expected ${kind}, got ${Formatter.format(issue.input)}` : `Expected ${kind}`
}

// Effect 4 says "Missing key"; clients have always read "is missing", and the API writes it itself too.
const leafHook: SchemaIssue.LeafHook = (issue) => {
  if (issue._tag === "MissingKey" && issue.annotations?.messageMissingKey === undefined) return "is missing"
  // The path names the field; Effect 4's "Unexpected key with value ..." would echo what was sent.
  if (issue._tag === "UnexpectedKey" && issue.ast.annotations?.messageUnexpectedKey === undefined) return "unknown field"
  return (issue._tag === "InvalidType" ? expectedKind(issue) : undefined) ?? SchemaIssue.defaultLeafHook(issue)
}

const standardFormatter = SchemaIssue.makeFormatterStandardSchemaV1({ leafHook })

const messageFromInput = (issue: SchemaIssue.Issue): string | undefined => {
  if (!SchemaIssue.hasInput(issue)) return undefined
  if (issue._tag !== "InvalidType" && issue._tag !== "AnyOf") return undefined
  const write = issue.ast.annotations?.messageFromInput
  return typeof write === "function" ? write(issue.input) : undefined
}

const flatten = (issue: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>): Array<{
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}> => {
  const own = messageFromInput(issue)
  if (own !== undefined) return [{ path, message: own }]
  switch (issue._tag) {
    case "Pointer":
      return flatten(issue.issue, [...path, ...issue.path])
    case "Encoding":
      return flatten(issue.issue, path)
    case "Composite":
      return issue.issues.flatMap((inner) => flatten(inner, path))
    case "AnyOf": {
      if (issue.issues.length > 0) return issue.issues.flatMap((inner) => flatten(inner, path))
      const message = expectedKind(issue)
      if (message !== undefined) return [{ path, message }]
      break
    }
  }
  // Filters keep their own message (which may name nested paths) and leaves get Effect's wording.
  return standardFormatter(issue).issues.map((formatted) => ({
    path: [...path, ...(formatted.path ?? []).map((segment) => typeof segment === "object" ? segment.key : segment)],
    message: formatted.message
  }))
}

/**
 * Flattens a decode issue into issues for a client. A failed union may report once per member, so the
 * "Expected null" / "Expected undefined" alternatives are dropped when a more useful issue covers the
 * same field, and exact repeats are removed.
 */
export const issuesFromSchemaIssue = (issue: SchemaIssue.Issue, prefix = ""): ReadonlyArray<ValidationIssue> =>
  usefulIssues(flatten(issue, []).map((flat) => ({
    path: joinPath(prefix, formatPath(flat.path)),
    message: flat.message
  })))

/** `issuesFromSchemaIssue` of a failed decode's error. */
export const issuesFromParseError = (error: Schema.SchemaError, prefix = ""): ReadonlyArray<ValidationIssue> =>
  issuesFromSchemaIssue(error.issue, prefix)

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
