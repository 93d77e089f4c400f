/**
 * Refuses webhook targets that would let a customer make Hookline reach into its own network (SSRF):
 * private, loopback, link-local and other non-global addresses (DESIGN.md invariant 6).
 *
 * The check runs twice: at registration (`checkUrl`, for a clear API error) and on every connection the
 * sender opens (`guardedConnector` / `guardedLookup`), against the very addresses the socket connects to,
 * so a DNS answer that changes between registration and delivery (rebinding) cannot slip through.
 */
import * as dns from "node:dns"
import { isIP } from "node:net"
import type { LookupFunction } from "node:net"
import { Effect, Schema } from "effect"
import { buildConnector } from "undici"

export type ForbiddenReason =
  | "invalid_address"
  | "unspecified"
  | "loopback"
  | "private"
  | "shared_address"
  | "link_local"
  | "multicast"
  | "broadcast"
  | "benchmarking"
  | "documentation"
  | "unique_local"
  | "site_local"
  | "reserved"

// ---------------------------------------------------------------------------------------------------------
// Address classification

interface V4Range {
  readonly base: number
  readonly mask: number
  readonly reason: ForbiddenReason
}

const v4 = (a: number, b: number, c: number, d: number, bits: number, reason: ForbiddenReason): V4Range => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
  return { base: ((((a << 24) >>> 0) + (b << 16) + (c << 8) + d) & mask) >>> 0, mask, reason }
}

// Ordered: broadcast must win over the enclosing 240/4 reserved block.
const V4_FORBIDDEN: ReadonlyArray<V4Range> = [
  v4(255, 255, 255, 255, 32, "broadcast"),
  v4(0, 0, 0, 0, 8, "unspecified"),
  v4(10, 0, 0, 0, 8, "private"),
  v4(100, 64, 0, 0, 10, "shared_address"),
  v4(127, 0, 0, 0, 8, "loopback"),
  v4(169, 254, 0, 0, 16, "link_local"),
  v4(172, 16, 0, 0, 12, "private"),
  v4(192, 0, 0, 0, 24, "reserved"),
  v4(192, 0, 2, 0, 24, "documentation"),
  v4(192, 88, 99, 0, 24, "reserved"),
  v4(192, 168, 0, 0, 16, "private"),
  v4(198, 18, 0, 0, 15, "benchmarking"),
  v4(198, 51, 100, 0, 24, "documentation"),
  v4(203, 0, 113, 0, 24, "documentation"),
  v4(224, 0, 0, 0, 4, "multicast"),
  v4(240, 0, 0, 0, 4, "reserved")
]

const classifyV4Number = (n: number): ForbiddenReason | undefined => {
  for (let i = 0; i < V4_FORBIDDEN.length; i++) {
    const r = V4_FORBIDDEN[i]!
    if (((n & r.mask) >>> 0) === r.base) return r.reason
  }
  return undefined
}

/** Dotted quad to an unsigned 32-bit number, or -1. Only called on strings `isIP` accepted as IPv4. */
const parseV4 = (s: string, start: number): number => {
  let result = 0
  let octet = 0
  let digits = 0
  let dots = 0
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || octet > 255) return -1
      result = result * 256 + octet
      octet = 0
      digits = 0
      dots++
    } else if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48)
      digits++
    } else {
      return -1
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return -1
  return result * 256 + octet
}

/** Eight 16-bit groups, or undefined. Handles `::` compression and a trailing dotted IPv4. */
const parseV6 = (s: string): Array<number> | undefined => {
  const words: Array<number> = []
  let gapAt = -1
  let i = 0
  const n = s.length
  if (n >= 2 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58) {
    gapAt = 0
    i = 2
  }
  while (i < n) {
    let j = i
    let value = 0
    let isDotted = false
    while (j < n) {
      const c = s.charCodeAt(j)
      if (c === 58) break
      if (c === 46) {
        isDotted = true
        break
      }
      const h = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
      if (h < 0) return undefined
      value = value * 16 + h
      j++
    }
    if (isDotted) {
      const quad = parseV4(s, i)
      if (quad < 0) return undefined
      words.push(Math.floor(quad / 65536), quad % 65536)
      break
    }
    if (j === i || value > 0xffff) return undefined
    words.push(value)
    if (j >= n) break
    // j points at ':'
    if (j + 1 < n && s.charCodeAt(j + 1) === 58) {
      if (gapAt >= 0) return undefined
      gapAt = words.length
      i = j + 2
    } else {
      i = j + 1
    }
  }
  if (gapAt >= 0) {
    const missing = 8 - words.length
    if (missing < 1) return undefined
    words.splice(gapAt, 0, ...new Array<number>(missing).fill(0))
  }
  return words.length === 8 ? words : undefined
}

const embeddedV4 = (hi: number, lo: number): number => hi * 65536 + lo

const classifyV6 = (w: ReadonlyArray<number>): ForbiddenReason | undefined => {
  const w0 = w[0]!
  const w1 = w[1]!
  const firstFiveZero = w0 === 0 && w1 === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0
  if (firstFiveZero) {
    const w5 = w[5]!
    if (w5 === 0xffff) return classifyV4Number(embeddedV4(w[6]!, w[7]!)) // ::ffff:a.b.c.d (mapped)
    if (w5 === 0) {
      if (w[6] === 0 && w[7] === 0) return "unspecified"
      if (w[6] === 0 && w[7] === 1) return "loopback"
      // ::a.b.c.d (IPv4-compatible, deprecated and never routed as such)
      return classifyV4Number(embeddedV4(w[6]!, w[7]!)) ?? "reserved"
    }
    return "reserved"
  }
  // ::ffff:0:a.b.c.d (IPv4-translated)
  if (w0 === 0 && w1 === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0xffff && w[5] === 0) {
    return classifyV4Number(embeddedV4(w[6]!, w[7]!)) ?? "reserved"
  }
  // 64:ff9b::/96 (NAT64 well-known prefix) reaches the embedded IPv4 through a translator.
  if (w0 === 0x64 && w1 === 0xff9b && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0) {
    return classifyV4Number(embeddedV4(w[6]!, w[7]!))
  }
  if (w0 === 0x64 && w1 === 0xff9b && w[2] === 1) return "private" // 64:ff9b:1::/48, local-use NAT64
  if ((w0 & 0xff00) === 0xff00) return "multicast"
  if ((w0 & 0xffc0) === 0xfe80) return "link_local"
  if ((w0 & 0xffc0) === 0xfec0) return "site_local"
  if ((w0 & 0xfe00) === 0xfc00) return "unique_local"
  if (w0 === 0x2002) return classifyV4Number(embeddedV4(w1, w[2]!)) // 6to4 embeds an IPv4 destination
  if (w0 === 0x2001) {
    if (w1 === 0x0db8) return "documentation"
    if (w1 === 0) return "reserved" // Teredo
    if (w1 === 2 && w[2] === 0) return "benchmarking" // 2001:2::/48
    if ((w1 & 0xfff0) === 0x10 || (w1 & 0xfff0) === 0x20) return "reserved" // ORCHID
  }
  if ((w0 & 0xfff0) === 0x3ff0 && w0 <= 0x3fff) return "documentation" // 3fff::/20
  // Only 2000::/3 is global unicast; everything else (100::/64 discard included) is not a valid target.
  if ((w0 & 0xe000) !== 0x2000) return "reserved"
  return undefined
}

/**
 * Why an IP address is not an acceptable webhook target, or `undefined` when it is.
 * Anything that is not a valid IP literal is refused ("invalid_address"): the guard fails closed.
 */
export const classifyAddress = (ip: string): ForbiddenReason | undefined => {
  const zone = ip.indexOf("%")
  const address = zone >= 0 ? ip.slice(0, zone) : ip
  const family = isIP(address)
  if (family === 4) {
    const n = parseV4(address, 0)
    return n < 0 ? "invalid_address" : classifyV4Number(n)
  }
  if (family === 6) {
    const words = parseV6(address)
    return words === undefined ? "invalid_address" : classifyV6(words)
  }
  return "invalid_address"
}

export const isForbiddenAddress = (ip: string): boolean => classifyAddress(ip) !== undefined

// ---------------------------------------------------------------------------------------------------------
// Registration-time check

export class TargetForbidden extends Schema.TaggedError<TargetForbidden>()("TargetForbidden", {
  url: Schema.String,
  address: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `webhook target ${this.url} resolves to ${this.address}, which is not allowed (${this.reason})`
  }
}

export class InvalidTargetUrl extends Schema.TaggedError<InvalidTargetUrl>()("InvalidTargetUrl", {
  url: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid webhook target ${this.url}: ${this.reason}`
  }
}

export interface TargetPolicy {
  /** HOOKLINE_ALLOW_PRIVATE_TARGETS: development and tests only. */
  readonly allowPrivateTargets: boolean
}

const hostOf = (url: URL): string => {
  const h = url.hostname
  return h.length > 1 && h.charCodeAt(0) === 91 ? h.slice(1, -1) : h
}

/**
 * Validates a webhook URL at registration: http(s) only, https unless private targets are allowed, and every
 * address the host resolves to must be acceptable. Succeeds with the resolved addresses (empty when the
 * policy allows everything, because then nothing needs resolving, and when the name does not resolve).
 *
 * A name that does not resolve is accepted: a transient DNS failure, or a record not published yet, must
 * not block a customer. Its attempts fail with errorClass "dns" and retry as usual, and the connect-time
 * guard checks whatever the name resolves to on every attempt.
 */
export const checkUrl = (
  url: string,
  policy: TargetPolicy
): Effect.Effect<ReadonlyArray<string>, TargetForbidden | InvalidTargetUrl> =>
  Effect.suspend((): Effect.Effect<ReadonlyArray<string>, TargetForbidden | InvalidTargetUrl> => {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return Effect.fail(new InvalidTargetUrl({ url, reason: "not a valid absolute URL" }))
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
      return Effect.fail(new InvalidTargetUrl({ url, reason: `scheme ${parsed.protocol} is not supported` }))
    }
    if (policy.allowPrivateTargets) return Effect.succeed([])
    if (parsed.protocol !== "https:") {
      return Effect.fail(new InvalidTargetUrl({ url, reason: "only https URLs are allowed" }))
    }
    const host = hostOf(parsed)
    if (isIP(host) !== 0) {
      const reason = classifyAddress(host)
      return reason === undefined
        ? Effect.succeed([host])
        : Effect.fail(new TargetForbidden({ url, address: host, reason }))
    }
    return Effect.tryPromise(() => dns.promises.lookup(host, { all: true, verbatim: true })).pipe(
      Effect.orElseSucceed((): ReadonlyArray<dns.LookupAddress> => []),
      Effect.flatMap((addresses) => {
        for (const a of addresses) {
          const reason = classifyAddress(a.address)
          if (reason !== undefined) return Effect.fail(new TargetForbidden({ url, address: a.address, reason }))
        }
        return Effect.succeed(addresses.map((a) => a.address))
      })
    )
  })

// ---------------------------------------------------------------------------------------------------------
// Connect-time check

export const BLOCKED_TARGET_CODE = "HOOKLINE_BLOCKED_TARGET"

/**
 * A plain Error (not a TaggedError) because it travels through Node's socket and undici's callbacks; the
 * sender recognises it by `code` and reports errorClass "blocked_target".
 */
export class BlockedTargetError extends Error {
  readonly code = BLOCKED_TARGET_CODE
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: ForbiddenReason
  ) {
    super(`connection to ${host} (${address}) refused by the target guard: ${reason}`)
    this.name = "BlockedTargetError"
  }
}

/**
 * A `net.connect` lookup that refuses the connection if ANY address the name resolves to is forbidden
 * (not just the one that would be tried first: with autoSelectFamily Node may try them all).
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { family: options.family, hints: options.hints, all: true }, (err, addresses) => {
    if (err) {
      callback(err, "")
      return
    }
    for (let i = 0; i < addresses.length; i++) {
      const reason = classifyAddress(addresses[i]!.address)
      if (reason !== undefined) {
        callback(new BlockedTargetError(hostname, addresses[i]!.address, reason), "")
        return
      }
    }
    if (options.all === true) {
      callback(null, addresses)
    } else if (addresses.length === 0) {
      const e: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`)
      e.code = "ENOTFOUND"
      callback(e, "")
    } else {
      callback(null, addresses[0]!.address, addresses[0]!.family)
    }
  })
}

/**
 * An undici connector that checks IP-literal hosts itself (Node skips `lookup` for them) and resolves
 * names through `guardedLookup`, so the address checked is the address connected to.
 */
export const guardedConnector = (options: buildConnector.BuildOptions = {}): buildConnector.connector => {
  const base = buildConnector({ ...options, lookup: guardedLookup })
  return (opts, callback) => {
    const host = opts.hostname
    if (isIP(host) !== 0) {
      const reason = classifyAddress(host)
      if (reason !== undefined) {
        callback(new BlockedTargetError(host, host, reason), null)
        return
      }
    }
    base(opts, callback)
  }
}
