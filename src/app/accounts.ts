import { Context, Effect, Layer } from "effect"
import { Account, Credentials, Streams } from "../domain/index.js"
import { EventStore } from "../eventstore/event-store.js"
import type { EventStoreUnavailable } from "../eventstore/errors.js"
import type { LogPosition } from "../eventstore/types.js"
import { accountsProjectionName } from "../projections/accounts.js"
import { type CommandConflict, expectedVersion, lastPosition, loadAggregate, withConflictRetry } from "./aggregate.js"
import { type Caller, eventMetadata } from "./caller.js"
import { accountCodec } from "../domain/codecs.js"
import { newAccountId, newLogEventId } from "./ids.js"
import { ApiKeyCache } from "./api-key-cache.js"
import { ReadYourWrites } from "./read-your-writes.js"

export type AccountCommandError = Account.AccountError | CommandConflict | EventStoreUnavailable

export interface AccountWithKey {
  readonly account: Account.OpenAccount
  /** The key in clear: the only time anyone sees it. */
  readonly apiKey: Credentials.IssuedApiKey
}

export interface AccountCommandsShape {
  readonly create: (
    input: Account.CreateAccountInput,
    caller: Caller
  ) => Effect.Effect<AccountWithKey, AccountCommandError>
  readonly issueKey: (
    accountId: string,
    input: Account.IssueApiKeyInput,
    caller: Caller
  ) => Effect.Effect<AccountWithKey, AccountCommandError>
  readonly revokeKey: (
    accountId: string,
    keyId: string,
    caller: Caller
  ) => Effect.Effect<Account.ApiKeyState, AccountCommandError>
}

export class AccountCommands extends Context.Service<AccountCommands, AccountCommandsShape>()("hookline/AccountCommands") {}

const decideAll = (commands: ReadonlyArray<Account.AccountCommand>, initial: Account.AccountState) =>
  Effect.gen(function* () {
    let state = initial
    const events: Array<Account.AccountEvent> = []
    for (const command of commands) {
      const decided = yield* Effect.fromResult(Account.decide(command, state))
      state = Account.fold(decided, state)
      events.push(...decided)
    }
    return { state, events: events as ReadonlyArray<Account.AccountEvent> }
  })

/** After a successful decision on an existing account the state is open; anything else is a bug. */
const requireOpen = (state: Account.AccountState) =>
  state.status === "open" ? Effect.succeed(state) : Effect.die(new Error("account decided on without being open"))

export const make = Effect.gen(function* () {
  const store = yield* EventStore
  const readYourWrites = yield* ReadYourWrites
  const keyCache = yield* ApiKeyCache

  /** Load, decide the commands in order, append all their events at the loaded version. */
  const execute = (accountId: string, caller: Caller, commands: ReadonlyArray<Account.AccountCommand>) =>
    withConflictRetry(
      Effect.gen(function* () {
        const streamId = Streams.accountStream(accountId)
        const loaded = yield* loadAggregate(streamId, accountCodec, Account.fold).pipe(
          Effect.provideService(EventStore, store)
        )
        const decided = yield* decideAll(commands, loaded.state)
        let position: LogPosition | undefined
        if (decided.events.length > 0) {
          const metadata = eventMetadata(caller)
          const events = yield* Effect.forEach(decided.events, (event) =>
            Effect.map(newLogEventId, (id) => accountCodec.encode(event, id, metadata))
          )
          const result = yield* store.append(streamId, expectedVersion(loaded.version), events).pipe(
            Effect.catchTag("DuplicateEventId", Effect.die)
          )
          position = lastPosition(result.events.map((e) => e.position))
        }
        return { state: decided.state, position }
      })
    ).pipe(
      Effect.tap(({ position }) => readYourWrites.awaitWrite(position, [accountsProjectionName])),
      Effect.map(({ state }) => state)
    )

  const withNewKey = (
    accountId: string,
    caller: Caller,
    first: ReadonlyArray<Account.AccountCommand>,
    name?: string
  ) =>
    Effect.gen(function* () {
      const apiKey = yield* Credentials.generateApiKey
      const state = yield* execute(accountId, caller, [
        ...first,
        Account.AccountCommand.IssueApiKey({
          accountId,
          keyId: apiKey.keyId,
          prefix: apiKey.prefix,
          keyHash: apiKey.keyHash,
          name
        })
      ])
      return { account: yield* requireOpen(state), apiKey }
    })

  return AccountCommands.of({
    create: (input, caller) =>
      Effect.flatMap(newAccountId, (accountId) =>
        withNewKey(accountId, caller, [Account.AccountCommand.CreateAccount({ accountId, ...input })])
      ),
    issueKey: (accountId, input, caller) => withNewKey(accountId, caller, [], input.name),
    revokeKey: (accountId, keyId, caller) =>
      execute(accountId, caller, [Account.AccountCommand.RevokeApiKey({ accountId, keyId })]).pipe(
        Effect.tap(() => Effect.sync(() => keyCache.evict(keyId))),
        Effect.flatMap(requireOpen),
        Effect.flatMap((account) => {
          const key = account.keys.get(keyId)
          return key === undefined ? Effect.die(new Error("a revoked key vanished from its account")) : Effect.succeed(key)
        })
      )
  })
})

export const AccountCommandsLive = Layer.effect(AccountCommands, make)
