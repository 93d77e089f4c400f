import { Result, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  AccountCommand,
  AccountEvent,
  activeKeys,
  CreateAccountInput,
  decide,
  evolve,
  fold,
  initialState
} from "../../../src/domain/account.js"
import {
  AccountAlreadyExists,
  AccountNotFound,
  ApiKeyAlreadyExists,
  ApiKeyAlreadyRevoked,
  ApiKeyNotFound,
  PlanLimitReached,
  ValidationFailed
} from "../../../src/domain/errors.js"
import { defaultPlanTable, makePlanTable } from "../../../src/domain/plans.js"

const accountId = "acc_1"
const created: AccountEvent = { _tag: "AccountCreated", accountId, name: "Vivollo", plan: "free" }
const keyIssued: AccountEvent = { _tag: "ApiKeyIssued", keyId: "key_1", prefix: "hk_abcdefg", keyHash: "ab".repeat(32) }
const registered = (webhookId: string): AccountEvent => ({ _tag: "WebhookRegistered", webhookId })

const register = (webhookId: string, plans = defaultPlanTable) =>
  AccountCommand.RegisterWebhook({ accountId, webhookId, plans })

type Case = readonly [
  string,
  ReadonlyArray<AccountEvent>,
  AccountCommand,
  Result.Result<ReadonlyArray<AccountEvent>, unknown>
]

const cases: ReadonlyArray<Case> = [
  [
    "creating an account",
    [],
    AccountCommand.CreateAccount({ accountId, name: "  Vivollo ", plan: "free" }),
    Result.succeed([created])
  ],
  [
    "creating it twice",
    [created],
    AccountCommand.CreateAccount({ accountId, name: "Vivollo", plan: "free" }),
    Result.fail(new AccountAlreadyExists({ accountId }))
  ],
  [
    "creating with a blank name",
    [],
    AccountCommand.CreateAccount({ accountId, name: "  ", plan: "free" }),
    Result.fail(new ValidationFailed({ issues: [{ path: "name", message: "must not be empty" }] }))
  ],
  [
    "any command before creation",
    [],
    AccountCommand.ChangePlan({ accountId, plan: "pro" }),
    Result.fail(new AccountNotFound({ accountId }))
  ],
  [
    "changing the plan",
    [created],
    AccountCommand.ChangePlan({ accountId, plan: "pro" }),
    Result.succeed([{ _tag: "PlanChanged", plan: "pro" }])
  ],
  ["changing to the current plan", [created], AccountCommand.ChangePlan({ accountId, plan: "free" }), Result.succeed([])],
  [
    "issuing a key",
    [created],
    AccountCommand.IssueApiKey({ accountId, keyId: "key_1", prefix: "hk_abcdefg", keyHash: "ab".repeat(32) }),
    Result.succeed([keyIssued])
  ],
  [
    "issuing a named key: the name is trimmed and carried by the event",
    [created],
    AccountCommand.IssueApiKey({ accountId, keyId: "key_1", prefix: "hk_abcdefg", keyHash: "ab".repeat(32), name: "  ci deploys " }),
    Result.succeed([{ ...keyIssued, name: "ci deploys" }])
  ],
  [
    "issuing a key with a blank name",
    [created],
    AccountCommand.IssueApiKey({ accountId, keyId: "key_1", prefix: "hk_abcdefg", keyHash: "ab".repeat(32), name: "  " }),
    Result.fail(new ValidationFailed({ issues: [{ path: "name", message: "must not be empty" }] }))
  ],
  [
    "issuing a key with a name over 100 characters",
    [created],
    AccountCommand.IssueApiKey({ accountId, keyId: "key_1", prefix: "hk_abcdefg", keyHash: "ab".repeat(32), name: "k".repeat(101) }),
    Result.fail(new ValidationFailed({ issues: [{ path: "name", message: "must be at most 100 characters" }] }))
  ],
  [
    "issuing a key id twice",
    [created, keyIssued],
    AccountCommand.IssueApiKey({ accountId, keyId: "key_1", prefix: "hk_x", keyHash: "cd".repeat(32) }),
    Result.fail(new ApiKeyAlreadyExists({ keyId: "key_1" }))
  ],
  [
    "revoking a key",
    [created, keyIssued],
    AccountCommand.RevokeApiKey({ accountId, keyId: "key_1" }),
    Result.succeed([{ _tag: "ApiKeyRevoked", keyId: "key_1" }])
  ],
  [
    "revoking an unknown key",
    [created],
    AccountCommand.RevokeApiKey({ accountId, keyId: "key_9" }),
    Result.fail(new ApiKeyNotFound({ accountId, keyId: "key_9" }))
  ],
  [
    "revoking a revoked key",
    [created, keyIssued, { _tag: "ApiKeyRevoked", keyId: "key_1" }],
    AccountCommand.RevokeApiKey({ accountId, keyId: "key_1" }),
    Result.fail(new ApiKeyAlreadyRevoked({ keyId: "key_1" }))
  ],
  ["registering a webhook under the limit", [created], register("wh_1"), Result.succeed([registered("wh_1")])],
  [
    "registering the third of three on free",
    [created, registered("wh_1"), registered("wh_2")],
    register("wh_3"),
    Result.succeed([registered("wh_3")])
  ],
  [
    "registering a fourth on free",
    [created, registered("wh_1"), registered("wh_2"), registered("wh_3")],
    register("wh_4"),
    Result.fail(new PlanLimitReached({ plan: "free", limit: 3, current: 3 }))
  ],
  [
    "registering a fourth after upgrading to pro",
    [created, registered("wh_1"), registered("wh_2"), registered("wh_3"), { _tag: "PlanChanged", plan: "pro" }],
    register("wh_4"),
    Result.succeed([registered("wh_4")])
  ],
  [
    "registering again after one was unregistered",
    [created, registered("wh_1"), registered("wh_2"), registered("wh_3"), {
      _tag: "WebhookUnregistered",
      webhookId: "wh_2"
    }],
    register("wh_4"),
    Result.succeed([registered("wh_4")])
  ],
  [
    "registering with a limit from configuration",
    [created, registered("wh_1")],
    register("wh_2", makePlanTable({ free: 1 })),
    Result.fail(new PlanLimitReached({ plan: "free", limit: 1, current: 1 }))
  ],
  [
    "registering when a downgrade left the account above its limit",
    [created, { _tag: "PlanChanged", plan: "pro" }, ...["a", "b", "c", "d"].map(registered), {
      _tag: "PlanChanged",
      plan: "free"
    }],
    register("e"),
    Result.fail(new PlanLimitReached({ plan: "free", limit: 3, current: 4 }))
  ],
  [
    "registering a registered webhook again (a retried create)",
    [created, registered("wh_1"), registered("wh_2"), registered("wh_3")],
    register("wh_1"),
    Result.succeed([])
  ],
  [
    "unregistering a webhook",
    [created, registered("wh_1")],
    AccountCommand.UnregisterWebhook({ accountId, webhookId: "wh_1" }),
    Result.succeed([{ _tag: "WebhookUnregistered", webhookId: "wh_1" }])
  ],
  [
    "unregistering an unknown webhook",
    [created],
    AccountCommand.UnregisterWebhook({ accountId, webhookId: "wh_1" }),
    Result.succeed([])
  ]
]

describe("account: given events, when command, then", () => {
  it.each(cases)("%s", (_, given, when, then) => {
    expect(decide(when, fold(given))).toEqual(then)
  })
})

describe("account: key names", () => {
  it("decodes an ApiKeyIssued recorded before keys had names, and keeps a key's name in the state", () => {
    const decode = Schema.decodeUnknownSync(AccountEvent)
    const old = decode({ _tag: "ApiKeyIssued", keyId: "key_1", prefix: "hk_abcdefg", keyHash: "ab".repeat(32) })
    expect(old).toEqual(keyIssued)
    const named = decode({ _tag: "ApiKeyIssued", keyId: "key_2", prefix: "hk_2", keyHash: "cd".repeat(32), name: "ci" })
    const state = fold([created, old, named])
    if (state.status !== "open") throw new Error("account not open")
    expect(state.keys.get("key_1")?.name).toBeUndefined()
    expect(state.keys.get("key_2")?.name).toBe("ci")
  })
})

describe("account state", () => {
  it("tracks name, plan, keys and registered webhooks", () => {
    const state = fold([
      created,
      keyIssued,
      { _tag: "ApiKeyIssued", keyId: "key_2", prefix: "hk_2", keyHash: "cd".repeat(32) },
      { _tag: "ApiKeyRevoked", keyId: "key_1" },
      { _tag: "PlanChanged", plan: "scale" },
      registered("wh_1"),
      registered("wh_2"),
      { _tag: "WebhookUnregistered", webhookId: "wh_1" }
    ])
    expect(state.status).toBe("open")
    if (state.status !== "open") return
    expect(state.name).toBe("Vivollo")
    expect(state.plan).toBe("scale")
    expect(state.keys.get("key_1")?.status).toBe("revoked")
    expect(activeKeys(state).map((key) => key.keyId)).toEqual(["key_2"])
    expect(Array.from(state.webhooks)).toEqual(["wh_2"])
  })

  it("evolve does not mutate the previous state", () => {
    const before = fold([created, registered("wh_1")])
    const snapshot = JSON.stringify(before, (_, value) => (value instanceof Set ? [...value] : value))
    evolve(before, registered("wh_2"))
    evolve(before, { _tag: "WebhookUnregistered", webhookId: "wh_1" })
    expect(JSON.stringify(before, (_, value) => (value instanceof Set ? [...value] : value))).toBe(snapshot)
  })

  it("ignores events before creation", () => {
    expect(evolve(initialState, registered("wh_1"))).toBe(initialState)
  })

  it("every event round-trips through its JSON encoding", () => {
    const events: ReadonlyArray<AccountEvent> = [
      created,
      keyIssued,
      { _tag: "PlanChanged", plan: "pro" },
      registered("wh_1")
    ]
    for (const event of events) {
      const json = JSON.parse(JSON.stringify(Schema.encodeSync(AccountEvent)(event)))
      expect(Schema.decodeUnknownSync(AccountEvent)(json)).toEqual(event)
    }
  })
})

describe("account properties", () => {
  const command = fc.oneof(
    fc.constantFrom("free", "pro", "scale").map((plan) => AccountCommand.ChangePlan({ accountId, plan })),
    fc.integer({ min: 0, max: 6 }).map((n) => register(`wh_${n}`)),
    fc.integer({ min: 0, max: 6 }).map((n) => AccountCommand.UnregisterWebhook({ accountId, webhookId: `wh_${n}` })),
    fc.integer({ min: 0, max: 3 }).map((n) =>
      AccountCommand.IssueApiKey({ accountId, keyId: `key_${n}`, prefix: "hk_", keyHash: String(n) })
    ),
    fc.integer({ min: 0, max: 3 }).map((n) => AccountCommand.RevokeApiKey({ accountId, keyId: `key_${n}` }))
  )

  it("the number of registered webhooks never exceeds the limit of the plan it was registered under", () => {
    fc.assert(fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
      let state = fold([created])
      for (const next of commands) {
        const result = decide(next, state)
        if (Result.isFailure(result)) continue
        const wasRegister = next._tag === "RegisterWebhook"
        state = fold(result.success, state)
        if (wasRegister && state.status === "open") {
          expect(state.webhooks.size).toBeLessThanOrEqual(defaultPlanTable[state.plan])
        }
      }
    }))
  })

  it("deciding again on the state after the decided events records nothing (idempotent commands)", () => {
    fc.assert(fc.property(fc.array(command, { maxLength: 30 }), command, (history, next) => {
      let state = fold([created])
      for (const earlier of history) {
        const result = decide(earlier, state)
        if (Result.isSuccess(result)) state = fold(result.success, state)
      }
      const first = decide(next, state)
      if (Result.isFailure(first) || first.success.length === 0) return
      const again = decide(next, fold(first.success, state))
      // Issuing and revoking refuse a repeat; every other command is a no-op the second time.
      if (next._tag === "IssueApiKey" || next._tag === "RevokeApiKey") expect(Result.isFailure(again)).toBe(true)
      else expect(again).toEqual(Result.succeed([]))
    }))
  })
})

describe("CreateAccountInput", () => {
  it("accepts a name and a known plan, refuses the rest", () => {
    expect(Result.isSuccess(Schema.decodeUnknownResult(CreateAccountInput)({ name: "Acme", plan: "pro" }))).toBe(true)
    const bad = Schema.decodeUnknownResult(CreateAccountInput, { errors: "all" })({ name: " ", plan: "gold" })
    expect(Result.isFailure(bad) && bad.failure.message).toMatch(/valid plans: free, pro, scale/)
    expect(Result.isFailure(bad) && bad.failure.message).toMatch(/must not be empty/)
  })
})
