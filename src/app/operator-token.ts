import { Console, Context, Effect, Layer, Option, Redacted, Result, Schema } from "effect"
import { Settings } from "../config.js"
import { Credentials } from "../domain/index.js"
import { makeCodec } from "../eventstore/codec.js"
import { EventStore } from "../eventstore/event-store.js"
import { loadAggregate } from "./aggregate.js"
import { systemCaller, eventMetadata } from "./caller.js"
import { newCorrelationId, newLogEventId } from "./ids.js"

/**
 * The operator token guarding /v1/admin. `HOOKLINE_ADMIN_TOKEN` wins when set. Otherwise the first start
 * generates one, prints it once and records only its hash in the log (stream `system-operator-token`),
 * so every process sharing the database accepts the same token and a restart does not change it.
 */

export const OperatorTokenCreated = Schema.TaggedStruct("OperatorTokenCreated", {
  tokenHash: Schema.String,
  /** The first characters, so an operator can tell which token is meant. */
  prefix: Schema.String
})
const OperatorTokenEvent = Schema.Union([OperatorTokenCreated])
type OperatorTokenEvent = typeof OperatorTokenEvent.Type

const codec = makeCodec(OperatorTokenEvent, ["OperatorTokenCreated"])
export const operatorTokenStream = "system-operator-token"

const latestHash = (events: Iterable<OperatorTokenEvent>): Option.Option<string> => {
  let hash: Option.Option<string> = Option.none()
  for (const event of events) hash = Option.some(event.tokenHash)
  return hash
}

export interface OperatorTokenShape {
  /** Compares in constant time against the stored hash. */
  readonly verify: (presented: string) => boolean
}

export class OperatorToken extends Context.Service<OperatorToken, OperatorTokenShape>()("hookline/OperatorToken") {}

const announce = (token: string) =>
  Console.log(
    [
      "",
      "================================================================================",
      "  Hookline generated an operator token for /v1/admin. It is shown only now:",
      "",
      `    ${token}`,
      "",
      "  Keep it somewhere safe. Only its hash is stored; to replace it, start Hookline",
      "  with HOOKLINE_ADMIN_TOKEN set to a token of your own.",
      "================================================================================",
      ""
    ].join("\n")
  )

/** The stored hash, creating (and announcing) a token when there is none yet. */
const storedHash = Effect.gen(function* () {
  const store = yield* EventStore
  const existing = yield* loadAggregate(operatorTokenStream, codec, latestHash)
  if (Option.isSome(existing.state)) return existing.state.value
  const token = yield* Credentials.generateAdminToken
  const tokenHash = Credentials.sha256Hex(token)
  const event = codec.encode(
    OperatorTokenCreated.make({ tokenHash, prefix: token.slice(0, Credentials.displayPrefixLength) }),
    yield* newLogEventId,
    eventMetadata(systemCaller(yield* newCorrelationId))
  )
  const appended = yield* Effect.result(store.append(operatorTokenStream, "no_stream", [event]))
  if (Result.isSuccess(appended)) {
    yield* announce(token)
    return tokenHash
  }
  // Another process starting at the same time created one first: that one is the token.
  const winner = yield* loadAggregate(operatorTokenStream, codec, latestHash)
  return yield* Option.match(winner.state, {
    onSome: Effect.succeed,
    onNone: () => Effect.fail(appended.failure)
  })
})

export class OperatorTokenTooShort extends Schema.TaggedError<OperatorTokenTooShort>()("OperatorTokenTooShort", {
  minLength: Schema.Number
}) {
  override get message(): string {
    return `HOOKLINE_ADMIN_TOKEN must be at least ${this.minLength} characters`
  }
}

// A short or empty token would let a missing Authorization header (an empty bearer) or a guess through.
const minTokenLength = 16

export const OperatorTokenLive = Layer.effect(
  OperatorToken,
  Effect.gen(function* () {
    const settings = yield* Settings
    let hash: string
    if (Option.isSome(settings.adminToken)) {
      const configured = Redacted.value(settings.adminToken.value)
      if (configured.length < minTokenLength) return yield* new OperatorTokenTooShort({ minLength: minTokenLength })
      hash = Credentials.sha256Hex(configured)
    } else {
      hash = yield* storedHash
    }
    return OperatorToken.of({
      verify: (presented) => presented.length > 0 && Credentials.matchesHash(presented, hash)
    })
  })
)
