import { Result, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { ValidationIssue } from "../../../src/domain/errors.js"
import {
  CreateWebhookInput,
  headerIssues,
  isReservedHeaderName,
  UpdateWebhookInput,
  urlProblem,
  validateCreateWebhook,
  validateNewWebhook,
  validateWebhookPatch
} from "../../../src/domain/webhook-input.js"
import { signingSecretFromBytes } from "../../../src/domain/credentials.js"
import { validInput } from "./fixtures.js"

const strict = { allowPrivateTargets: false }
const dev = { allowPrivateTargets: true }

const issuesOf = (input: unknown, context = strict): ReadonlyArray<ValidationIssue> => {
  const result = validateCreateWebhook(input, context)
  return Result.isFailure(result) ? result.failure.issues : []
}

const accepts = (input: unknown, context = strict) => expect(issuesOf(input, context)).toEqual([])
const refuses = (input: unknown, path: string, message: RegExp, context = strict) =>
  expect(issuesOf(input, context)).toContainEqual({ path, message: expect.stringMatching(message) })

describe("webhook input: name", () => {
  it("accepts 1 to 100 characters and stores the name trimmed", () => {
    accepts({ ...validInput, name: "a" })
    accepts({ ...validInput, name: "x".repeat(100) })
    const result = validateCreateWebhook({ ...validInput, name: "  Orders  " }, strict)
    expect(Result.getOrThrow(result).name).toBe("Orders")
  })

  it.each([
    ["empty", "", /must not be empty/],
    ["blank", "   \t ", /must not be empty/],
    ["101 characters", "x".repeat(101), /at most 100/],
    ["100 characters plus spaces is fine, 101 trimmed is not", ` ${"y".repeat(101)} `, /at most 100/]
  ])("refuses %s", (_, name, message) => refuses({ ...validInput, name }, "name", message))

  it("refuses a missing or non-string name", () => {
    refuses({ url: validInput.url, events: validInput.events }, "name", /missing/)
    refuses({ ...validInput, name: 42 }, "name", /string/)
  })
})

describe("webhook input: url", () => {
  it.each([
    "https://hooks.example.com/vivollo",
    "https://hooks.example.com:8443/a/b?x=1&y=2",
    "https://127.0.0.1/hook",
    `https://example.com/${"p".repeat(2048 - "https://example.com/".length)}`
  ])("accepts %s", (url) => accepts({ ...validInput, url }))

  it.each([
    ["a relative URL", "/hooks", /absolute URL/],
    ["no scheme", "example.com/hook", /absolute URL/],
    ["ftp", "ftp://example.com/hook", /https/],
    ["javascript", "javascript:alert(1)", /https/],
    ["credentials", "https://user:pass@example.com/hook", /credentials/],
    ["a user only", "https://user@example.com/hook", /credentials/],
    ["a fragment", "https://example.com/hook#part", /fragment/],
    ["an empty fragment", "https://example.com/hook#", /fragment/],
    ["a space", "https://example.com/a hook", /whitespace/],
    ["a newline", "https://example.com/hook\n", /whitespace/],
    ["2049 characters", `https://example.com/${"p".repeat(2049 - "https://example.com/".length)}`, /2048/]
  ])("refuses %s", (_, url, message) => refuses({ ...validInput, url }, "url", message))

  it("refuses http unless private targets are allowed", () => {
    refuses({ ...validInput, url: "http://example.com/hook" }, "url", /must use https/)
    accepts({ ...validInput, url: "http://example.com/hook" }, dev)
    accepts({ ...validInput, url: "http://127.0.0.1:9999/hook" }, dev)
  })

  it("still refuses credentials and fragments when private targets are allowed", () => {
    refuses({ ...validInput, url: "http://u:p@127.0.0.1/" }, "url", /credentials/, dev)
    refuses({ ...validInput, url: "http://127.0.0.1/#x" }, "url", /fragment/, dev)
  })

  it("reports a single url issue, not the https rule on top of a shape problem", () => {
    expect(issuesOf({ ...validInput, url: "http://u:p@example.com" }).filter((i) => i.path === "url"))
      .toHaveLength(1)
  })

  it("urlProblem is total on arbitrary strings", () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const problem = urlProblem(text)
      expect(problem === undefined || typeof problem === "string").toBe(true)
    }))
  })
})

describe("webhook input: events", () => {
  it("accepts catalogue types and de-duplicates them, keeping the first order", () => {
    const result = validateCreateWebhook({
      ...validInput,
      events: ["user.updated", "message.created", "user.updated", "message.created"]
    }, strict)
    expect(Result.getOrThrow(result).events).toEqual(["user.updated", "message.created"])
  })

  it("refuses an empty list", () => refuses({ ...validInput, events: [] }, "events", /at least one/))

  it("refuses unknown types and lists the valid ones", () => {
    refuses(
      { ...validInput, events: ["message.created", "message.deleted"] },
      "events[1]",
      /unknown event type "message.deleted"; valid types: message.created, conversation.updated, session.updated, user.updated/
    )
  })

  it("refuses the internal webhook.test type", () => {
    refuses({ ...validInput, events: ["webhook.test"] }, "events[0]", /cannot be subscribed/)
  })

  it("reports one issue per bad entry, not one per catalogue member", () => {
    expect(issuesOf({ ...validInput, events: ["nope"] })).toHaveLength(1)
  })
})

describe("webhook input: custom headers", () => {
  const withHeaders = (headers: Record<string, string>) => ({ ...validInput, headers })

  it("accepts token names and printable values", () => {
    accepts(withHeaders({ "X-Api-Key": "s3cr3t", Authorization: "Bearer abc", "x_custom.v1~": "a b\tc" }))
    accepts(withHeaders({ "X-Big": "v".repeat(1024) }))
    accepts(withHeaders(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`X-H${i}`, "v"]))))
  })

  it("refuses more than 20 headers", () => {
    refuses(withHeaders(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, "v"]))), "headers", /at most 20/)
  })

  it.each(["Host", "content-length", "Content-Type", "User-Agent", "connection", "Transfer-Encoding", "keep-alive",
    "Upgrade", "TE", "trailer", "Proxy-Authorization", "proxy-anything", "webhook-id", "Webhook-Signature",
    "WEBHOOK-TIMESTAMP", "webhook-custom", "expect", "content-encoding"])(
    "refuses the reserved name %s",
    (name) => refuses(withHeaders({ [name]: "x" }), `headers.${name}`, /reserved/)
  )

  it.each(["X Space", "X:Colon", "", "X(paren)", "Ünicode", "X\nNewline", "X/Slash", "X\"Quote"])(
    "refuses the invalid name %j",
    (name) => refuses(withHeaders({ [name]: "x" }), `headers.${name}`, /not a valid header name/)
  )

  it.each([["CR", "a\rb"], ["LF", "a\nb"], ["NUL", "a\u0000b"], ["DEL", "a\u007fb"], ["non-latin", "çay ☕"]])(
    "refuses a value with %s",
    (_, value) => refuses(withHeaders({ "X-Key": value }), "headers.X-Key", /printable ASCII/)
  )

  it("refuses a value over 1 KiB", () => {
    refuses(withHeaders({ "X-Key": "v".repeat(1025) }), "headers.X-Key", /at most 1024 bytes/)
  })

  it("refuses names that differ only in case", () => {
    expect(headerIssues({ "X-Key": "a", "x-key": "b" })).toEqual([
      { header: "x-key", message: expect.stringMatching(/case-insensitive/) }
    ])
  })

  it("isReservedHeaderName leaves ordinary names alone", () => {
    expect(isReservedHeaderName("Authorization")).toBe(false)
    expect(isReservedHeaderName("X-Webhook-Id")).toBe(false)
    expect(isReservedHeaderName("proxy")).toBe(false)
  })

  it("header validation never throws and accepts exactly what it reports no issue for", () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.string(), { maxKeys: 25 }), (headers) => {
      const issues = headerIssues(headers)
      const result = validateCreateWebhook({ ...validInput, headers }, strict)
      expect(Result.isSuccess(result)).toBe(issues.length === 0)
    }))
  })

  it("every accepted header set is safe to send", () => {
    const tokenChar = fc.constantFrom(..."!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    const name = fc.string({ unit: tokenChar, minLength: 1, maxLength: 20 })
    fc.assert(fc.property(fc.dictionary(name, fc.string({ maxLength: 50 }), { maxKeys: 5 }), (headers) => {
      const result = validateCreateWebhook({ ...validInput, headers }, strict)
      if (Result.isSuccess(result)) {
        for (const [key, value] of Object.entries(result.success.headers)) {
          expect(isReservedHeaderName(key)).toBe(false)
          expect(value).not.toMatch(/[\r\n\u0000]/)
        }
      }
    }))
  })
})

describe("webhook input: delivery policy", () => {
  it("accepts the bounds and null, and defaults absent fields to null", () => {
    accepts({ ...validInput, retrySchedule: [], maxConcurrency: 1, rateLimit: 1 })
    accepts({ ...validInput, retrySchedule: Array.from({ length: 20 }, () => 604_800), maxConcurrency: 100, rateLimit: 10_000 })
    accepts({ ...validInput, retrySchedule: null, maxConcurrency: null, rateLimit: null })
    const result = Result.getOrThrow(validateCreateWebhook(validInput, strict))
    expect(result).toMatchObject({ headers: {}, retrySchedule: null, maxConcurrency: null, rateLimit: null })
  })

  it.each([
    ["retrySchedule", Array.from({ length: 21 }, () => 1), "retrySchedule", /at most 20/],
    ["retrySchedule", [5, -1], "retrySchedule[1]", /from 0 to 604800/],
    ["retrySchedule", [1.5], "retrySchedule[0]", /integer/],
    ["retrySchedule", [604_801], "retrySchedule[0]", /from 0 to 604800/],
    ["retrySchedule", "5,10", "retrySchedule", /Expected/],
    ["maxConcurrency", 0, "maxConcurrency", /from 1 to 100/],
    ["maxConcurrency", 101, "maxConcurrency", /from 1 to 100/],
    ["maxConcurrency", 2.5, "maxConcurrency", /from 1 to 100/],
    ["rateLimit", 0, "rateLimit", /from 1 to 10000/],
    ["rateLimit", 10_001, "rateLimit", /from 1 to 10000/]
  ])("refuses %s = %j", (field, value, path, message) => refuses({ ...validInput, [field]: value }, path, message))

  it("does not bury the real problem under 'Expected null' noise", () => {
    expect(issuesOf({ ...validInput, maxConcurrency: 0 })).toEqual([
      { path: "maxConcurrency", message: "must be an integer from 1 to 100" }
    ])
  })
})

describe("webhook input: all issues at once", () => {
  it("reports every problem in one answer, including the config-dependent one", () => {
    const issues = issuesOf({
      name: "",
      url: "http://example.com",
      events: ["nope"],
      headers: { Host: "x" },
      maxConcurrency: 1000
    })
    expect(issues.map((issue) => issue.path).sort()).toEqual(
      ["events[0]", "headers.Host", "maxConcurrency", "name", "url"]
    )
  })

  it("refuses a non-object body", () => {
    expect(issuesOf(null).length).toBeGreaterThan(0)
    expect(issuesOf("webhook").length).toBeGreaterThan(0)
  })
})

describe("webhook input: own signing secret", () => {
  const own = signingSecretFromBytes(new Uint8Array(32).fill(7))

  it("keeps a given secret apart from the settings, and leaves it undefined when absent", () => {
    const chosen = Result.getOrThrow(validateNewWebhook({ ...validInput, secret: own }, strict))
    expect(chosen.secret).toBe(own)
    expect(chosen.settings).not.toHaveProperty("secret")
    expect(Result.getOrThrow(validateNewWebhook(validInput, strict)).secret).toBeUndefined()
    expect(Result.getOrThrow(validateCreateWebhook({ ...validInput, secret: own }, strict))).not.toHaveProperty("secret")
  })

  it("accepts 24 to 64 bytes", () => {
    accepts({ ...validInput, secret: signingSecretFromBytes(new Uint8Array(24).fill(1)) })
    accepts({ ...validInput, secret: signingSecretFromBytes(new Uint8Array(64).fill(2)) })
  })

  it.each([
    ["empty", ""],
    ["no prefix", Buffer.alloc(32, 3).toString("base64")],
    ["wrong prefix", `whsek_${Buffer.alloc(32, 3).toString("base64")}`],
    ["23 bytes", signingSecretFromBytes(new Uint8Array(23))],
    ["65 bytes", signingSecretFromBytes(new Uint8Array(65))],
    ["not base64", "whsec_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"],
    ["base64url", `whsec_${Buffer.alloc(32, 0xfb).toString("base64url")}`],
    ["missing padding", signingSecretFromBytes(new Uint8Array(32)).replace(/=+$/, "")],
    ["whitespace", ` ${signingSecretFromBytes(new Uint8Array(32))}`]
  ])("refuses a secret that is %s, without repeating it", (_, secret) => {
    const issues = issuesOf({ ...validInput, secret })
    expect(issues).toEqual([{ path: "secret", message: expect.stringMatching(/whsec_.*24 to 64/) }])
    if (secret.length > 6) expect(JSON.stringify(issues)).not.toContain(secret)
  })

  it("refuses a secret that is not a string", () => {
    expect(issuesOf({ ...validInput, secret: 42 }).map((issue) => issue.path)).toEqual(["secret"])
  })
})

describe("webhook patch", () => {
  it("accepts an empty patch", () => {
    expect(Result.getOrThrow(validateWebhookPatch({}, strict))).toEqual({})
  })

  it("keeps only the fields given, trims the name, de-duplicates events, keeps null resets", () => {
    const result = validateWebhookPatch(
      { name: " New ", events: ["user.updated", "user.updated"], rateLimit: null },
      strict
    )
    expect(Result.getOrThrow(result)).toEqual({ name: "New", events: ["user.updated"], rateLimit: null })
  })

  it("applies the same rules as creation", () => {
    const result = validateWebhookPatch({ name: "", url: "http://example.com", events: [] }, strict)
    expect(Result.isFailure(result) && result.failure.issues.map((issue) => issue.path).sort())
      .toEqual(["events", "name", "url"])
    expect(Result.isSuccess(validateWebhookPatch({ url: "http://example.com" }, dev))).toBe(true)
  })
})

describe("webhook input schemas", () => {
  it("render as JSON Schema for the OpenAPI document", () => {
    const create = JSON.stringify(Schema.toJsonSchemaDocument(CreateWebhookInput))
    expect(create).toContain("\"maxLength\":100")
    expect(create).toContain("message.created")
    expect(() => Schema.toJsonSchemaDocument(UpdateWebhookInput)).not.toThrow()
  })

  // HttpApi decodes JSON bodies with `Schema.toCodecJson`, which reads `null` as an absent `optional`
  // field; the optional fields are `optionalKey` so a null stays refused where it was.
  it("refuse null for optional fields that are not nullable, through the JSON codec too", () => {
    const decode = Schema.decodeUnknownResult(Schema.toCodecJson(CreateWebhookInput))
    expect(Result.isFailure(decode({ ...validInput, headers: null }))).toBe(true)
    expect(Result.isFailure(Schema.decodeUnknownResult(Schema.toCodecJson(UpdateWebhookInput))({ name: null })))
      .toBe(true)
    expect(Result.getOrThrow(decode({ ...validInput, maxConcurrency: null }))).toMatchObject({ maxConcurrency: null })
    expect(Result.getOrThrow(decode(validInput))).toEqual(validInput)
  })

  it("keep unknown fields out of the decoded value, as before", () => {
    expect(Result.getOrThrow(validateCreateWebhook({ ...validInput, signingKey: "mine", extra: 1 }, strict)))
      .not.toHaveProperty("signingKey")
    expect(Result.getOrThrow(validateWebhookPatch({ extra: 1 }, strict))).toEqual({})
  })

  it("decode their own output again (an HttpApi payload can be re-validated)", () => {
    const input = { ...validInput, headers: { "X-Key": "v" }, retrySchedule: [1, 2], maxConcurrency: 3, rateLimit: null }
    const once = Schema.decodeUnknownSync(CreateWebhookInput)(input)
    expect(Schema.decodeUnknownSync(CreateWebhookInput)(once)).toEqual(once)
  })
})
