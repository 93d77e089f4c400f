import { Result, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  ValidationFailed,
  WebhookAlreadyDeleted,
  WebhookAlreadyExists,
  WebhookNotFound
} from "../../../src/domain/errors.js"
import {
  decide,
  describeChange,
  effectiveRetrySchedule,
  evolve,
  fold,
  initialState,
  signingSecrets,
  WebhookCommand,
  WebhookEvent
} from "../../../src/domain/webhook.js"
import { at, patch, secret, settings, validInput } from "./fixtures.js"

const webhookId = "wh_1"
const accountId = "acc_1"
const ids = { webhookId, accountId }
const now = at("2025-03-01T12:00:00.000Z")

const created: WebhookEvent = {
  _tag: "WebhookCreated",
  webhookId,
  accountId,
  name: "Orders",
  url: "https://hooks.example.com/vivollo",
  events: ["message.created"],
  headers: { "X-Api-Key": "customer-credential-value" },
  secret: secret(1),
  retrySchedule: null,
  maxConcurrency: null,
  rateLimit: null,
  createdAt: "2025-03-01T12:00:00.000Z"
}
const paused: WebhookEvent = { _tag: "WebhookPaused" }
const disabled: WebhookEvent = { _tag: "WebhookDisabled", reason: "endpoint failing for 5 days" }
const deleted: WebhookEvent = { _tag: "WebhookDeleted" }

const update = (input: unknown) => WebhookCommand.UpdateWebhook({ ...ids, patch: patch(input) })

type Case = readonly [
  string,
  ReadonlyArray<WebhookEvent>,
  WebhookCommand,
  Result.Result<ReadonlyArray<WebhookEvent>, unknown>
]

const cases: ReadonlyArray<Case> = [
  [
    "creating a webhook",
    [],
    WebhookCommand.CreateWebhook({
      ...ids,
      settings: settings({ ...validInput, headers: { "X-Api-Key": "customer-credential-value" } }),
      secret: secret(1),
      now
    }),
    Result.succeed([created])
  ],
  [
    "creating with a policy",
    [],
    WebhookCommand.CreateWebhook({
      ...ids,
      settings: settings({ ...validInput, retrySchedule: [1, 60], maxConcurrency: 5, rateLimit: 20 }),
      secret: secret(1),
      now
    }),
    Result.succeed([{ ...created, headers: {}, retrySchedule: [1, 60], maxConcurrency: 5, rateLimit: 20 }])
  ],
  [
    "creating it twice",
    [created],
    WebhookCommand.CreateWebhook({ ...ids, settings: settings(validInput), secret: secret(1), now }),
    Result.fail(new WebhookAlreadyExists({ webhookId }))
  ],
  [
    "creating with a malformed secret",
    [],
    WebhookCommand.CreateWebhook({ ...ids, settings: settings(validInput), secret: "hunter2", now }),
    Result.fail(new ValidationFailed({ issues: [{ path: "secret", message: "must be a whsec_ signing secret" }] }))
  ],
  ["any command on a missing webhook", [], WebhookCommand.PauseWebhook(ids), Result.fail(new WebhookNotFound({ webhookId }))],
  [
    "any command from another account",
    [created],
    WebhookCommand.PauseWebhook({ webhookId, accountId: "acc_other" }),
    Result.fail(new WebhookNotFound({ webhookId }))
  ],
  ["an empty patch", [created], update({}), Result.succeed([])],
  [
    "a patch equal to the current settings",
    [created],
    update({ name: "Orders", url: created.url, events: ["message.created"], headers: created.headers, rateLimit: null }),
    Result.succeed([])
  ],
  ["renaming", [created], update({ name: "Orders v2" }), Result.succeed([{ _tag: "WebhookRenamed", name: "Orders v2" }])],
  [
    "changing the URL",
    [created],
    update({ url: "https://new.example.com/h" }),
    Result.succeed([{ _tag: "WebhookUrlChanged", url: "https://new.example.com/h" }])
  ],
  [
    "changing the events",
    [created],
    update({ events: ["user.updated", "message.created"] }),
    Result.succeed([{ _tag: "WebhookEventsChanged", events: ["user.updated", "message.created"] }])
  ],
  [
    "reordering the same events",
    [{ ...created, events: ["message.created", "user.updated"] }],
    update({ events: ["user.updated", "message.created", "user.updated"] }),
    Result.succeed([])
  ],
  [
    "changing the headers",
    [created],
    update({ headers: {} }),
    Result.succeed([{ _tag: "WebhookHeadersChanged", headers: {} }])
  ],
  [
    "changing a header value only",
    [created],
    update({ headers: { "X-Api-Key": "new-value" } }),
    Result.succeed([{ _tag: "WebhookHeadersChanged", headers: { "X-Api-Key": "new-value" } }])
  ],
  [
    "changing one policy field carries all three",
    [{ ...created, retrySchedule: [5, 10], maxConcurrency: 4 }],
    update({ rateLimit: 50 }),
    Result.succeed([{ _tag: "WebhookPolicyChanged", retrySchedule: [5, 10], maxConcurrency: 4, rateLimit: 50 }])
  ],
  [
    "resetting the retry schedule to the default",
    [{ ...created, retrySchedule: [5, 10] }],
    update({ retrySchedule: null }),
    Result.succeed([{ _tag: "WebhookPolicyChanged", retrySchedule: null, maxConcurrency: null, rateLimit: null }])
  ],
  [
    "setting the retry schedule it already has",
    [{ ...created, retrySchedule: [5, 10] }],
    update({ retrySchedule: [5, 10] }),
    Result.succeed([])
  ],
  [
    "changing everything emits one event per group, in a fixed order",
    [created],
    update({
      name: "N",
      url: "https://n.example.com/",
      events: ["session.updated"],
      headers: { "X-A": "1" },
      maxConcurrency: 2
    }),
    Result.succeed([
      { _tag: "WebhookRenamed", name: "N" },
      { _tag: "WebhookUrlChanged", url: "https://n.example.com/" },
      { _tag: "WebhookEventsChanged", events: ["session.updated"] },
      { _tag: "WebhookHeadersChanged", headers: { "X-A": "1" } },
      { _tag: "WebhookPolicyChanged", retrySchedule: null, maxConcurrency: 2, rateLimit: null }
    ])
  ],
  ["updating a paused webhook", [created, paused], update({ name: "P" }), Result.succeed([{ _tag: "WebhookRenamed", name: "P" }])],
  ["pausing", [created], WebhookCommand.PauseWebhook(ids), Result.succeed([paused])],
  ["pausing a paused webhook (idempotent)", [created, paused], WebhookCommand.PauseWebhook(ids), Result.succeed([])],
  ["pausing a disabled webhook records the pause", [created, disabled], WebhookCommand.PauseWebhook(ids), Result.succeed([paused])],
  ["resuming", [created, paused], WebhookCommand.ResumeWebhook(ids), Result.succeed([{ _tag: "WebhookResumed" }])],
  ["resuming an active webhook (idempotent)", [created], WebhookCommand.ResumeWebhook(ids), Result.succeed([])],
  ["resuming re-enables a disabled webhook", [created, disabled], WebhookCommand.ResumeWebhook(ids), Result.succeed([{ _tag: "WebhookResumed" }])],
  [
    "disabling",
    [created],
    WebhookCommand.DisableWebhook({ ...ids, reason: " endpoint failing for 5 days " }),
    Result.succeed([disabled])
  ],
  ["disabling a disabled webhook", [created, disabled], WebhookCommand.DisableWebhook({ ...ids, reason: "again" }), Result.succeed([])],
  [
    "disabling without a reason",
    [created],
    WebhookCommand.DisableWebhook({ ...ids, reason: " " }),
    Result.fail(new ValidationFailed({ issues: [{ path: "reason", message: "must not be empty" }] }))
  ],
  [
    "rotating the secret",
    [created],
    WebhookCommand.RotateSecret({ ...ids, newSecret: secret(2), now, overlapSeconds: 3600 }),
    Result.succeed([{
      _tag: "WebhookSecretRotated",
      secret: secret(2),
      previousSecretExpiresAt: "2025-03-01T13:00:00.000Z"
    }])
  ],
  [
    "rotating to the current secret",
    [created],
    WebhookCommand.RotateSecret({ ...ids, newSecret: secret(1), now, overlapSeconds: 0 }),
    Result.fail(new ValidationFailed({ issues: [{ path: "secret", message: "must differ from the current secret" }] }))
  ],
  [
    "rotating with a negative overlap",
    [created],
    WebhookCommand.RotateSecret({ ...ids, newSecret: secret(2), now, overlapSeconds: -1 }),
    Result.fail(new ValidationFailed({ issues: [{ path: "overlapSeconds", message: "must be an integer from 0 to 604800" }] }))
  ],
  ["deleting", [created], WebhookCommand.DeleteWebhook(ids), Result.succeed([deleted])],
  ["deleting a paused webhook", [created, paused], WebhookCommand.DeleteWebhook(ids), Result.succeed([deleted])],
  ...(
    [
      ["deleting again", WebhookCommand.DeleteWebhook(ids)],
      ["pausing after delete", WebhookCommand.PauseWebhook(ids)],
      ["resuming after delete", WebhookCommand.ResumeWebhook(ids)],
      ["updating after delete", update({ name: "x" })],
      ["rotating after delete", WebhookCommand.RotateSecret({ ...ids, newSecret: secret(3), now, overlapSeconds: 0 })],
      ["disabling after delete", WebhookCommand.DisableWebhook({ ...ids, reason: "r" })]
    ] as const
  ).map(([label, command]): Case => [label, [created, deleted], command, Result.fail(new WebhookAlreadyDeleted({ webhookId }))]),
  [
    "creating over a deleted webhook",
    [created, deleted],
    WebhookCommand.CreateWebhook({ ...ids, settings: settings(validInput), secret: secret(1), now }),
    Result.fail(new WebhookAlreadyExists({ webhookId }))
  ],
  [
    "another account asking about a deleted webhook learns nothing",
    [created, deleted],
    WebhookCommand.PauseWebhook({ webhookId, accountId: "acc_other" }),
    Result.fail(new WebhookNotFound({ webhookId }))
  ]
]

describe("webhook: given events, when command, then", () => {
  it.each(cases)("%s", (_, given, when, then) => {
    expect(decide(when, fold(given))).toEqual(then)
  })
})

describe("webhook state", () => {
  it("follows the lifecycle", () => {
    const statusAfter = (events: ReadonlyArray<WebhookEvent>) => fold(events).status
    expect(statusAfter([])).toBe("none")
    expect(statusAfter([created])).toBe("active")
    expect(statusAfter([created, paused])).toBe("paused")
    expect(statusAfter([created, paused, { _tag: "WebhookResumed" }])).toBe("active")
    expect(statusAfter([created, disabled])).toBe("disabled")
    expect(statusAfter([created, disabled, { _tag: "WebhookResumed" }])).toBe("active")
    expect(statusAfter([created, paused, deleted])).toBe("deleted")
  })

  it("applies changes and keeps the replaced secret with its expiry", () => {
    const state = fold([
      created,
      { _tag: "WebhookRenamed", name: "R" },
      { _tag: "WebhookUrlChanged", url: "https://r.example.com/" },
      { _tag: "WebhookEventsChanged", events: ["user.updated"] },
      { _tag: "WebhookHeadersChanged", headers: {} },
      { _tag: "WebhookPolicyChanged", retrySchedule: [1], maxConcurrency: 2, rateLimit: 3 },
      { _tag: "WebhookSecretRotated", secret: secret(2), previousSecretExpiresAt: "2025-03-02T00:00:00.000Z" }
    ])
    expect(state).toMatchObject({
      name: "R",
      url: "https://r.example.com/",
      events: ["user.updated"],
      headers: {},
      retrySchedule: [1],
      maxConcurrency: 2,
      rateLimit: 3,
      secret: secret(2),
      previousSecret: { secret: secret(1), expiresAt: "2025-03-02T00:00:00.000Z" }
    })
  })

  it("ignores events before creation", () => {
    expect(evolve(initialState, paused)).toBe(initialState)
  })

  it("falls back to the default retry schedule only when none is set", () => {
    const state = fold([created])
    if (state.status === "none") throw new Error("unreachable")
    expect(effectiveRetrySchedule(state, [5, 300])).toEqual([5, 300])
    expect(effectiveRetrySchedule({ ...state, retrySchedule: [] }, [5, 300])).toEqual([])
  })

  it("every event round-trips through its JSON encoding", () => {
    const events: ReadonlyArray<WebhookEvent> = [
      created,
      paused,
      disabled,
      deleted,
      { _tag: "WebhookPolicyChanged", retrySchedule: null, maxConcurrency: 1, rateLimit: null },
      { _tag: "WebhookSecretRotated", secret: secret(2), previousSecretExpiresAt: "2025-03-02T00:00:00.000Z" }
    ]
    for (const event of events) {
      const json = JSON.parse(JSON.stringify(Schema.encodeSync(WebhookEvent)(event)))
      expect(Schema.decodeUnknownSync(WebhookEvent)(json)).toEqual(event)
    }
  })
})

describe("signingSecrets", () => {
  const rotated = fold([
    created,
    { _tag: "WebhookSecretRotated", secret: secret(2), previousSecretExpiresAt: "2025-03-01T13:00:00.000Z" }
  ])

  it("signs with the current secret only before any rotation", () => {
    expect(signingSecrets(fold([created]), now)).toEqual([secret(1)])
  })

  it("signs with the new secret first and the previous one while the overlap lasts", () => {
    expect(signingSecrets(rotated, at("2025-03-01T12:00:00Z"))).toEqual([secret(2), secret(1)])
    expect(signingSecrets(rotated, at("2025-03-01T12:59:59.999Z"))).toEqual([secret(2), secret(1)])
  })

  it("drops the previous secret when the overlap ends", () => {
    expect(signingSecrets(rotated, at("2025-03-01T13:00:00.000Z"))).toEqual([secret(2)])
    expect(signingSecrets(rotated, at("2025-03-05T00:00:00Z"))).toEqual([secret(2)])
  })

  it("keeps only the latest previous secret after two rotations", () => {
    const twice = fold([
      created,
      { _tag: "WebhookSecretRotated", secret: secret(2), previousSecretExpiresAt: "2025-03-01T13:00:00.000Z" },
      { _tag: "WebhookSecretRotated", secret: secret(3), previousSecretExpiresAt: "2025-03-01T14:00:00.000Z" }
    ])
    expect(signingSecrets(twice, now)).toEqual([secret(3), secret(2)])
  })

  it("a zero overlap retires the previous secret at once", () => {
    const decided = decide(WebhookCommand.RotateSecret({ ...ids, newSecret: secret(2), now, overlapSeconds: 0 }), fold([created]))
    const state = fold(Result.getOrThrow(decided), fold([created]))
    expect(signingSecrets(state, now)).toEqual([secret(2)])
  })

  it("has nothing to sign with for a missing or deleted webhook", () => {
    expect(signingSecrets(initialState, now)).toEqual([])
    expect(signingSecrets(fold([created, deleted]), now)).toEqual([])
  })
})

describe("describeChange", () => {
  const events: ReadonlyArray<WebhookEvent> = [
    created,
    { _tag: "WebhookRenamed", name: "N" },
    { _tag: "WebhookUrlChanged", url: "https://n.example.com/" },
    { _tag: "WebhookEventsChanged", events: ["user.updated", "message.created"] },
    { _tag: "WebhookHeadersChanged", headers: { "X-Api-Key": "another-credential-value", "X-Tenant": "tenant-42" } },
    { _tag: "WebhookHeadersChanged", headers: {} },
    { _tag: "WebhookPolicyChanged", retrySchedule: [5, 60], maxConcurrency: 3, rateLimit: null },
    paused,
    { _tag: "WebhookResumed" },
    { _tag: "WebhookSecretRotated", secret: secret(2), previousSecretExpiresAt: "2025-03-02T00:00:00.000Z" },
    disabled,
    deleted
  ]
  const forbidden = [secret(1), secret(2), "customer-credential-value", "another-credential-value", "tenant-42"]

  it.each(events.map((event) => [event._tag, event] as const))("describes %s without secrets or header values", (_, event) => {
    const text = JSON.stringify(describeChange(event))
    expect(describeChange(event).type).toBe(event._tag)
    for (const value of forbidden) expect(text).not.toContain(value)
  })

  it("shows header names and what changed", () => {
    const headers = describeChange({ _tag: "WebhookHeadersChanged", headers: { "X-Api-Key": "v", "X-Tenant": "t" } })
    expect(headers.details).toEqual({ headerNames: ["X-Api-Key", "X-Tenant"] })
    expect(headers.summary).toContain("X-Api-Key")
    expect(describeChange({ _tag: "WebhookRenamed", name: "New name" }).summary).toContain("New name")
    expect(describeChange(disabled).details).toEqual({ reason: "endpoint failing for 5 days" })
    expect(describeChange(created).details).toMatchObject({ url: created.url, headerNames: ["X-Api-Key"] })
  })

  it("never leaks random secrets or header values", () => {
    const value = fc.string({ minLength: 12, maxLength: 40 }).filter((text) => text.trim().length >= 12)
    fc.assert(fc.property(value, value, (headerValue, secretText) => {
      const descriptions = [
        describeChange({ ...created, headers: { "X-Key": headerValue }, secret: secretText } as WebhookEvent),
        describeChange({ _tag: "WebhookHeadersChanged", headers: { "X-Key": headerValue } }),
        describeChange({ _tag: "WebhookSecretRotated", secret: secretText, previousSecretExpiresAt: "2025-01-01T00:00:00Z" })
      ].map((description) => JSON.stringify(description))
      for (const text of descriptions) {
        expect(text).not.toContain(JSON.stringify(headerValue).slice(1, -1))
        expect(text).not.toContain(JSON.stringify(secretText).slice(1, -1))
      }
    }))
  })
})

describe("webhook properties", () => {
  const patchInput = fc.record({
    name: fc.constantFrom("A", "B"),
    url: fc.constantFrom("https://a.example.com/", "https://b.example.com/"),
    events: fc.subarray(["message.created", "user.updated", "session.updated"], { minLength: 1 }),
    headers: fc.constantFrom({}, { "X-A": "1" }, { "X-A": "2" }),
    retrySchedule: fc.constantFrom(null, [1], [1, 2]),
    maxConcurrency: fc.constantFrom(null, 1, 5),
    rateLimit: fc.constantFrom(null, 10)
  }, { requiredKeys: [] })

  const lifecycle = fc.constantFrom(
    WebhookCommand.PauseWebhook(ids),
    WebhookCommand.ResumeWebhook(ids),
    WebhookCommand.DisableWebhook({ ...ids, reason: "failing" })
  )

  it("applying an update's events then re-deciding the same update records nothing", () => {
    fc.assert(fc.property(fc.array(patchInput, { maxLength: 5 }), patchInput, (earlier, next) => {
      let state = fold([created])
      for (const input of earlier) state = fold(Result.getOrThrow(decide(update(input), state)), state)
      const first = Result.getOrThrow(decide(update(next), state))
      const after = fold(first, state)
      expect(decide(update(next), after)).toEqual(Result.succeed([]))
      // Every field the patch names now has the patched value.
      for (const [key, value] of Object.entries(next)) {
        expect(after).toHaveProperty(key, value)
      }
    }))
  })

  it("lifecycle commands are idempotent and never leave a deleted state", () => {
    fc.assert(fc.property(fc.array(lifecycle, { maxLength: 20 }), (commands) => {
      let state = fold([created])
      for (const command of commands) {
        const events = Result.getOrThrow(decide(command, state))
        state = fold(events, state)
        expect(decide(command, state)).toEqual(Result.succeed([]))
        expect(state.status).not.toBe("deleted")
      }
    }))
  })
})
