import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import { Context, Effect, Layer, Option, Redacted, Result, Schema } from "effect"
import { loadAggregate } from "../app/aggregate.js"
import { OperatorToken, OperatorTokenCreated, operatorTokenStream } from "../app/operator-token.js"
import { newCorrelationId, newLogEventId } from "../app/ids.js"
import { Settings } from "../config.js"
import { Credentials } from "../domain/index.js"
import { makeCodec } from "../eventstore/codec.js"
import type { EventStoreUnavailable } from "../eventstore/errors.js"
import { EventStore } from "../eventstore/event-store.js"

/**
 * Portal links and sessions. Both are stateless, HMAC-signed claims (no table, no projection, nothing to
 * expire): the key is derived from the operator token's hash, which every process sharing the database
 * already has, so a link made by one process opens on any other, and replacing the operator token ends
 * every portal session. The one piece of state is the one-time use of a link: redeeming it appends
 * `PortalLinkRedeemed` to the stream `portal-link-<id>` expecting no stream, so the log's unique index
 * lets exactly one redemption win, across processes, and records who opened the portal when.
 */

/** Which webhooks a session may see: `null` is the whole account. */
export type WebhookScope = ReadonlyArray<string> | null

export interface SessionClaims {
  readonly sessionId: string
  readonly accountId: string
  readonly webhookIds: WebhookScope
  /** Epoch seconds. */
  readonly expiresAt: number
  /** Who made the link: an account key (its id) or the operator. */
  readonly issuedBy: string
}

const LinkClaims = Schema.Struct({
  kind: Schema.Literal("link"),
  id: Schema.String,
  accountId: Schema.String,
  webhookIds: Schema.NullOr(Schema.Array(Schema.String)),
  expiresAt: Schema.Number,
  issuedBy: Schema.String
})
const CookieClaims = Schema.Struct({
  kind: Schema.Literal("session"),
  sessionId: Schema.String,
  accountId: Schema.String,
  webhookIds: Schema.NullOr(Schema.Array(Schema.String)),
  expiresAt: Schema.Number,
  issuedBy: Schema.String
})

export const PortalLinkRedeemed = Schema.TaggedStruct("PortalLinkRedeemed", {
  accountId: Schema.String,
  sessionId: Schema.String,
  issuedBy: Schema.String
})
const linkCodec = makeCodec(Schema.Union([PortalLinkRedeemed]), ["PortalLinkRedeemed"])
const operatorTokenCodec = makeCodec(Schema.Union([OperatorTokenCreated]), ["OperatorTokenCreated"])

/** A link that is tampered with, used, expired, or for no account: all look the same to the visitor. */
export class PortalLinkExpired extends Schema.TaggedError<PortalLinkExpired>()("PortalLinkExpired", {}) {}

export const sessionCookieName = "hookline_portal"
export const csrfHeader = "x-hookline-csrf"
export const defaultLinkSeconds = 3600
export const maxLinkSeconds = 24 * 3600

export interface PortalSessionsShape {
  /** A signed one-time link token and when it (and the session it opens) expires. */
  readonly issueLink: (input: {
    readonly accountId: string
    readonly webhookIds: WebhookScope
    readonly expiresInSeconds: number
    readonly issuedBy: string
  }) => { readonly token: string; readonly expiresAt: Date }
  /** Exchanges a link token, once, for a session cookie value. */
  readonly redeem: (
    token: string
  ) => Effect.Effect<{ readonly cookie: string; readonly claims: SessionClaims }, PortalLinkExpired | EventStoreUnavailable>
  /** The claims of a session cookie that is genuine and unexpired. */
  readonly verify: (cookie: string) => Option.Option<SessionClaims>
  /** The value the portal echoes in `x-hookline-csrf` on every write of this session. */
  readonly csrfToken: (sessionId: string) => string
}

export class PortalSessions extends Context.Service<PortalSessions, PortalSessionsShape>()("hookline/PortalSessions") {}

const b64 = (buffer: Buffer) => buffer.toString("base64url")
const nowSeconds = () => Math.floor(Date.now() / 1000)

/** The operator token's hash, as OperatorToken itself knows it (configured, or recorded in the log). */
const operatorTokenHash = Effect.gen(function* () {
  // Built first: on a fresh database it records the generated token.
  yield* OperatorToken
  const settings = yield* Settings
  if (Option.isSome(settings.adminToken)) return Credentials.sha256Hex(Redacted.value(settings.adminToken.value))
  const loaded = yield* loadAggregate(operatorTokenStream, operatorTokenCodec, (events) => {
    let hash = ""
    for (const event of events) hash = event.tokenHash
    return hash
  })
  return loaded.state
})

/** Signs and opens claims with a key derived from `secret`; a bad signature, shape or expiry is `None`. */
const makeSigner = (secret: string) => {
  const key = createHmac("sha256", secret).update("hookline portal sessions v1").digest()
  const mac = (text: string) => createHmac("sha256", key).update(text).digest()
  const sign = (claims: unknown) => {
    const body = b64(Buffer.from(JSON.stringify(claims), "utf8"))
    return `${body}.${b64(mac(body))}`
  }
  const open = <A extends { readonly expiresAt: number }>(
    decode: (u: unknown) => Option.Option<A>,
    token: string
  ): Option.Option<A> => {
    const [body, signature, ...rest] = token.split(".")
    if (body === undefined || signature === undefined || rest.length > 0 || token.length > 8192) return Option.none()
    const expected = mac(body)
    const given = Buffer.from(signature, "base64url")
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return Option.none()
    let json: unknown
    try {
      json = JSON.parse(Buffer.from(body, "base64url").toString("utf8"))
    } catch {
      return Option.none()
    }
    return Option.filter(decode(json), (claims) => claims.expiresAt > nowSeconds())
  }
  return { sign, open, mac }
}

const decodeLink = Schema.decodeUnknownOption(LinkClaims)
const decodeCookie = Schema.decodeUnknownOption(CookieClaims)

export const PortalSessionsLive = Layer.effect(
  PortalSessions,
  Effect.gen(function* () {
    const store = yield* EventStore
    const { sign, open, mac } = makeSigner(yield* operatorTokenHash)
    const verify = (cookie: string) =>
      Option.map(open(decodeCookie, cookie), ({ kind: _, ...claims }): SessionClaims => claims)

    const redeem = (token: string) =>
      Effect.gen(function* () {
        const link = open(decodeLink, token)
        if (Option.isNone(link)) return yield* new PortalLinkExpired()
        const { id, accountId, webhookIds, expiresAt, issuedBy } = link.value
        const claims: SessionClaims = { sessionId: `ps_${b64(randomBytes(16))}`, accountId, webhookIds, expiresAt, issuedBy }
        const event = linkCodec.encode(
          PortalLinkRedeemed.make({ accountId, sessionId: claims.sessionId, issuedBy }),
          yield* newLogEventId,
          { actor: { kind: "system" }, correlationId: yield* newCorrelationId }
        )
        // A second redemption finds the stream and loses: one link, one session.
        const appended = yield* Effect.result(store.append(`portal-link-${id}`, "no_stream", [event]))
        if (Result.isFailure(appended)) {
          if (appended.failure._tag === "EventStoreUnavailable") return yield* appended.failure
          return yield* new PortalLinkExpired()
        }
        return { cookie: sign({ kind: "session", ...claims }), claims }
      })

    return PortalSessions.of({
      issueLink: ({ accountId, webhookIds, expiresInSeconds, issuedBy }) => {
        const expiresAt = nowSeconds() + expiresInSeconds
        const id = `pl_${b64(randomBytes(16))}`
        return { token: sign({ kind: "link", id, accountId, webhookIds, expiresAt, issuedBy }), expiresAt: new Date(expiresAt * 1000) }
      },
      redeem,
      verify,
      csrfToken: (sessionId) => b64(mac(`csrf:${sessionId}`))
    })
  })
)
