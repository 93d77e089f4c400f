import { describe, expect, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { checkUrl, classifyAddress, isForbiddenAddress } from "../../../src/delivery/target-guard.js"
import type { ForbiddenReason } from "../../../src/delivery/target-guard.js"

const forbidden: ReadonlyArray<readonly [string, ForbiddenReason]> = [
  // IPv4
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "unspecified"],
  ["10.0.0.1", "private"],
  ["10.255.255.255", "private"],
  ["100.64.0.1", "shared_address"],
  ["100.127.255.254", "shared_address"],
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["169.254.169.254", "link_local"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["192.0.0.8", "reserved"],
  ["192.0.2.10", "documentation"],
  ["192.88.99.1", "reserved"],
  ["192.168.1.1", "private"],
  ["198.18.0.1", "benchmarking"],
  ["198.19.255.255", "benchmarking"],
  ["198.51.100.7", "documentation"],
  ["203.0.113.9", "documentation"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "broadcast"],
  // IPv6
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["0:0:0:0:0:0:0:1", "loopback"],
  ["::ffff:127.0.0.1", "loopback"],
  ["::ffff:7f00:1", "loopback"],
  ["::ffff:10.1.2.3", "private"],
  ["::ffff:169.254.169.254", "link_local"],
  ["::ffff:0.0.0.0", "unspecified"],
  ["::127.0.0.1", "loopback"],
  ["::7f00:1", "loopback"],
  ["::192.168.0.1", "private"],
  ["::8.8.8.8", "reserved"],
  ["::ffff:0:7f00:1", "loopback"],
  ["64:ff9b::127.0.0.1", "loopback"],
  ["64:ff9b::a00:1", "private"],
  ["64:ff9b:1::1", "private"],
  ["2002:7f00:1::1", "loopback"],
  ["2002:c0a8:101::", "private"],
  ["fc00::1", "unique_local"],
  ["fd12:3456:789a::1", "unique_local"],
  ["fe80::1", "link_local"],
  ["fe80::1%eth0", "link_local"],
  ["febf:ffff::1", "link_local"],
  ["fec0::1", "site_local"],
  ["ff02::1", "multicast"],
  ["ff05::1:3", "multicast"],
  ["2001:db8::1", "documentation"],
  ["3fff::1", "documentation"],
  ["2001::1", "reserved"],
  ["2001:2::1", "benchmarking"],
  ["2001:10::1", "reserved"],
  ["100::1", "reserved"],
  ["::2", "unspecified"], // ::0.0.0.2, IPv4-compatible form of 0.0.0.0/8
  ["1::", "reserved"],
  ["4000::1", "reserved"],
  // Not addresses at all: fail closed
  ["", "invalid_address"],
  ["localhost", "invalid_address"],
  ["127.1", "invalid_address"],
  ["256.1.1.1", "invalid_address"],
  ["01.2.3.4", "invalid_address"],
  ["::ffff:1.2.3", "invalid_address"],
  ["1:2:3:4:5:6:7:8:9", "invalid_address"]
]

const allowed: ReadonlyArray<string> = [
  "1.1.1.1",
  "8.8.8.8",
  "9.255.255.255",
  "11.0.0.1",
  "100.63.255.255",
  "100.128.0.1",
  "126.255.255.255",
  "128.0.0.1",
  "169.253.255.255",
  "169.255.0.1",
  "172.15.255.255",
  "172.32.0.1",
  "192.0.1.1",
  "192.0.3.1",
  "192.167.255.255",
  "192.169.0.1",
  "198.17.255.255",
  "198.20.0.1",
  "223.255.255.255",
  "2606:4700:4700::1111",
  "2001:4860:4860::8888",
  "2a00:1450:4001:81a::200e",
  "::ffff:8.8.8.8",
  "::ffff:0808:0808",
  "64:ff9b::8.8.8.8",
  "2002:0808:0808::1",
  "2001:db9::1",
  "2001:200::1"
]

describe("classifyAddress", () => {
  it.each(forbidden)("refuses %s (%s)", (ip, reason) => {
    expect(classifyAddress(ip)).toBe(reason)
    expect(isForbiddenAddress(ip)).toBe(true)
  })

  it.each(allowed)("allows %s", (ip) => {
    expect(classifyAddress(ip)).toBeUndefined()
    expect(isForbiddenAddress(ip)).toBe(false)
  })
})

const guardOn = { allowPrivateTargets: false }
const guardOff = { allowPrivateTargets: true }

describe("checkUrl", () => {
  it.live("refuses a hostname that resolves to loopback", () =>
    Effect.gen(function*() {
      const result = yield* Effect.result(checkUrl("https://localhost:8443/hook", guardOn))
      expect(Result.isFailure(result)).toBe(true)
      if (Result.isFailure(result)) {
        expect(result.failure._tag).toBe("TargetForbidden")
        if (result.failure._tag === "TargetForbidden") expect(result.failure.reason).toBe("loopback")
      }
    }))

  it.live("refuses a literal loopback address without resolving it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(checkUrl("https://127.0.0.1/hook", guardOn))
      expect(error).toMatchObject({ _tag: "TargetForbidden", address: "127.0.0.1", reason: "loopback" })
      const v6 = yield* Effect.flip(checkUrl("https://[::ffff:127.0.0.1]/hook", guardOn))
      expect(v6).toMatchObject({ _tag: "TargetForbidden", address: "::ffff:7f00:1", reason: "loopback" })
      const hex = yield* Effect.flip(checkUrl("https://0x7f.1/hook", guardOn))
      expect(hex).toMatchObject({ _tag: "TargetForbidden", address: "127.0.0.1" })
    }))

  it.live("allows everything when private targets are allowed", () =>
    Effect.gen(function*() {
      expect(yield* checkUrl("https://localhost:8443/hook", guardOff)).toEqual([])
      expect(yield* checkUrl("http://127.0.0.1:9/hook", guardOff)).toEqual([])
      expect(yield* checkUrl("http://[::1]/hook", guardOff)).toEqual([])
    }))

  it.live("accepts a public literal address", () =>
    Effect.gen(function*() {
      expect(yield* checkUrl("https://8.8.8.8/hook", guardOn)).toEqual(["8.8.8.8"])
    }))

  it.live("refuses plain http unless private targets are allowed, and other schemes always", () =>
    Effect.gen(function*() {
      expect(yield* Effect.flip(checkUrl("http://8.8.8.8/hook", guardOn))).toMatchObject({
        _tag: "InvalidTargetUrl"
      })
      expect(yield* Effect.flip(checkUrl("ftp://8.8.8.8/hook", guardOff))).toMatchObject({
        _tag: "InvalidTargetUrl"
      })
      expect(yield* Effect.flip(checkUrl("not a url", guardOff))).toMatchObject({ _tag: "InvalidTargetUrl" })
    }))

  // A transient DNS failure must not block a customer: the attempts retry, and the connect-time guard
  // checks whatever the name resolves to later.
  it.live("accepts a name that does not resolve, with no addresses", () =>
    Effect.gen(function*() {
      expect(yield* checkUrl("https://no-such-host.invalid/hook", guardOn)).toEqual([])
    }))
})
