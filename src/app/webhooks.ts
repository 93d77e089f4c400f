import { Clock, Context, Effect, Layer } from "effect"
import { Settings } from "../config.js"
import { SqlClient } from "effect/sql/SqlClient"
import { cancelDeliveries, openDeliveriesOf, webhookDeletedReason } from "../delivery/cancellation.js"
import { checkUrl, type InvalidTargetUrl, type TargetForbidden } from "../delivery/target-guard.js"
import { WebhookDisabling } from "../delivery/webhook-disabling.js"
import {
  Account,
  Credentials,
  Streams,
  Webhook,
  WebhookInput
} from "../domain/index.js"
import { EventStore } from "../eventstore/event-store.js"
import { EventStoreUnavailable } from "../eventstore/errors.js"
import type { EventMetadata, NewEvent } from "../eventstore/types.js"
import { accountsProjectionName } from "../projections/accounts.js"
import { deliveriesProjectionName } from "../projections/deliveries.js"
import { webhooksProjectionName } from "../projections/webhooks.js"
import { type CommandConflict, expectedVersion, lastPosition, loadAggregate, withConflictRetry } from "./aggregate.js"
import { type Caller, eventMetadata, systemCaller } from "./caller.js"
import { accountCodec, webhookCodec } from "../domain/codecs.js"
import { newLogEventId, newWebhookId } from "./ids.js"
import { ReadYourWrites } from "./read-your-writes.js"

export type TargetRefused = TargetForbidden | InvalidTargetUrl

export type WebhookCommandError =
  | Webhook.WebhookError
  | Account.AccountError
  | TargetRefused
  | CommandConflict
  | EventStoreUnavailable

/** A webhook as a command left it, with the signing secret when the command made a new one. */
export interface WebhookWithSecret {
  readonly webhook: Webhook.Webhook
  readonly secret: string
}

export interface RotateSecretOptions {
  /** Default: the configured overlap. */
  readonly overlapSeconds?: number | undefined
  /** The caller's own secret, already shape-checked; absent: a generated one. */
  readonly secret?: string | undefined
}

export interface WebhookCommandsShape {
  /** `input` is the request body, already shape-checked; the configuration-dependent rules run here. */
  readonly create: (
    accountId: string,
    input: unknown,
    caller: Caller
  ) => Effect.Effect<WebhookWithSecret, WebhookCommandError>
  readonly update: (
    accountId: string,
    webhookId: string,
    input: unknown,
    caller: Caller
  ) => Effect.Effect<Webhook.Webhook, WebhookCommandError>
  readonly pause: (accountId: string, webhookId: string, caller: Caller) => Effect.Effect<Webhook.Webhook, WebhookCommandError>
  readonly resume: (accountId: string, webhookId: string, caller: Caller) => Effect.Effect<Webhook.Webhook, WebhookCommandError>
  readonly rotateSecret: (
    accountId: string,
    webhookId: string,
    options: RotateSecretOptions,
    caller: Caller
  ) => Effect.Effect<WebhookWithSecret, WebhookCommandError>
  readonly delete: (accountId: string, webhookId: string, caller: Caller) => Effect.Effect<void, WebhookCommandError>
  /**
   * Disables a webhook whatever its account (the engine's decision: 410 Gone, a refused target, days
   * without a success). True when this call disabled it.
   */
  readonly disable: (webhookId: string, reason: string, caller: Caller) => Effect.Effect<boolean, WebhookCommandError>
}

export class WebhookCommands extends Context.Service<WebhookCommands, WebhookCommandsShape>()("hookline/WebhookCommands") {}

/** After a successful decision on an existing webhook the state is a webhook; anything else is a bug. */
const requireWebhook = (state: Webhook.WebhookState) =>
  state.status === "none" ? Effect.die(new Error("webhook decided on without existing")) : Effect.succeed(state)

const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

export const make = Effect.gen(function* () {
  const store = yield* EventStore
  const sql = yield* SqlClient
  const readYourWrites = yield* ReadYourWrites
  const settings = yield* Settings
  const policy = { allowPrivateTargets: settings.allowPrivateTargets }

  const encodeAll = <A extends { readonly _tag: string }>(
    encode: (event: A, eventId: string, metadata?: EventMetadata) => NewEvent,
    events: ReadonlyArray<A>,
    metadata: EventMetadata
  ) => Effect.forEach(events, (event) => Effect.map(newLogEventId, (id) => encode(event, id, metadata)))

  const load = (webhookId: string) =>
    loadAggregate(Streams.webhookStream(webhookId), webhookCodec, Webhook.fold).pipe(
      Effect.provideService(EventStore, store)
    )

  const loadAccount = (accountId: string) =>
    loadAggregate(Streams.accountStream(accountId), accountCodec, Account.fold).pipe(
      Effect.provideService(EventStore, store)
    )

  /** Appends to the webhook stream and, when given, the account stream, in one transaction. */
  const appendTogether = (
    webhookId: string,
    webhookVersion: number,
    webhookEvents: ReadonlyArray<Webhook.WebhookEvent>,
    account: { readonly accountId: string; readonly version: number; readonly events: ReadonlyArray<Account.AccountEvent> },
    caller: Caller
  ) =>
    Effect.gen(function* () {
      const metadata = eventMetadata(caller)
      const appends = [
        {
          streamId: Streams.webhookStream(webhookId),
          expectedVersion: expectedVersion(webhookVersion),
          events: yield* encodeAll(webhookCodec.encode, webhookEvents, metadata)
        },
        {
          streamId: Streams.accountStream(account.accountId),
          expectedVersion: expectedVersion(account.version),
          events: yield* encodeAll(accountCodec.encode, account.events, metadata)
        }
      ].filter((append) => append.events.length > 0)
      if (appends.length === 0) return undefined
      const results = yield* store.appendBatch(appends).pipe(Effect.catchTag("DuplicateEventId", Effect.die))
      return lastPosition(results.flatMap((r) => r.events.map((e) => e.position)))
    })

  /** Load, decide, append at the loaded version; retried on a concurrent change. */
  const onWebhook = (
    accountId: string,
    webhookId: string,
    caller: Caller,
    command: (state: Webhook.WebhookState) => Effect.Effect<Webhook.WebhookCommand>
  ) =>
    withConflictRetry(
      Effect.gen(function* () {
        const loaded = yield* load(webhookId)
        const events = yield* Effect.fromResult(Webhook.decide(yield* command(loaded.state), loaded.state))
        const position = yield* appendTogether(webhookId, loaded.version, events, { accountId, version: 0, events: [] }, caller)
        return { state: Webhook.fold(events, loaded.state), position }
      })
    ).pipe(
      Effect.tap(({ position }) => readYourWrites.awaitWrite(position, [webhooksProjectionName])),
      Effect.flatMap(({ state }) => requireWebhook(state))
    )

  const create: WebhookCommandsShape["create"] = (accountId, input, caller) =>
    Effect.gen(function* () {
      const { settings: valid, secret: chosenSecret } = yield* Effect.fromResult(
        WebhookInput.validateNewWebhook(input, policy)
      )
      yield* checkUrl(valid.url, policy)
      const webhookId = yield* newWebhookId
      const secret = chosenSecret ?? (yield* Credentials.generateSigningSecret)
      const createdAt = yield* now
      const { state, position } = yield* withConflictRetry(
        Effect.gen(function* () {
          const account = yield* loadAccount(accountId)
          const accountEvents = yield* Effect.fromResult(Account.decide(
            Account.AccountCommand.RegisterWebhook({ accountId, webhookId, plans: settings.plans }),
            account.state
          ))
          const webhookEvents = yield* Effect.fromResult(Webhook.decide(
            Webhook.WebhookCommand.CreateWebhook({ webhookId, accountId, settings: valid, secret, now: createdAt }),
            Webhook.initialState
          ))
          const position = yield* appendTogether(
            webhookId,
            0,
            webhookEvents,
            { accountId, version: account.version, events: accountEvents },
            caller
          )
          return { state: Webhook.fold(webhookEvents), position }
        })
      )
      yield* readYourWrites.awaitWrite(position, [webhooksProjectionName, accountsProjectionName])
      return { webhook: yield* requireWebhook(state), secret }
    })

  const update: WebhookCommandsShape["update"] = (accountId, webhookId, input, caller) =>
    Effect.gen(function* () {
      const patch = yield* Effect.fromResult(WebhookInput.validateWebhookPatch(input, policy))
      if (patch.url !== undefined) yield* checkUrl(patch.url, policy)
      return yield* onWebhook(accountId, webhookId, caller, () =>
        Effect.succeed(Webhook.WebhookCommand.UpdateWebhook({ webhookId, accountId, patch }))
      )
    })

  const rotateSecret: WebhookCommandsShape["rotateSecret"] = (accountId, webhookId, { overlapSeconds, secret }, caller) =>
    Effect.gen(function* () {
      // The aggregate checks the secret's form again and that it differs from the current one.
      const newSecret = secret ?? (yield* Credentials.generateSigningSecret)
      const at = yield* now
      const webhook = yield* onWebhook(accountId, webhookId, caller, () =>
        Effect.succeed(
          Webhook.WebhookCommand.RotateSecret({
            webhookId,
            accountId,
            newSecret,
            now: at,
            overlapSeconds: overlapSeconds ?? settings.secretOverlapSeconds
          })
        )
      )
      return { webhook, secret: webhook.secret }
    })

  const remove: WebhookCommandsShape["delete"] = (accountId, webhookId, caller) =>
    withConflictRetry(
      Effect.gen(function* () {
        const loaded = yield* load(webhookId)
        const webhookEvents = yield* Effect.fromResult(Webhook.decide(
          Webhook.WebhookCommand.DeleteWebhook({ webhookId, accountId }),
          loaded.state
        ))
        // Frees the plan slot in the same transaction as the deletion.
        const account = yield* loadAccount(accountId)
        const accountEvents = yield* Effect.fromResult(Account.decide(
          Account.AccountCommand.UnregisterWebhook({ accountId, webhookId }),
          account.state
        ))
        return yield* appendTogether(
          webhookId,
          loaded.version,
          webhookEvents,
          { accountId, version: account.version, events: accountEvents },
          caller
        )
      })
    ).pipe(
      Effect.flatMap((position) =>
        Effect.gen(function* () {
          // The delivery log up to the deletion holds every delivery scheduled before it: those still
          // open end as cancelled, each with the event in its stream, before the answer goes out.
          yield* readYourWrites.awaitWrite(position, [webhooksProjectionName, accountsProjectionName, deliveriesProjectionName])
          const open = yield* openDeliveriesOf(webhookId).pipe(
            Effect.provideService(SqlClient, sql),
            Effect.mapError((cause) => new EventStoreUnavailable({ operation: "read open deliveries", cause }))
          )
          const cancelled = yield* cancelDeliveries(store, open, webhookDeletedReason, eventMetadata(caller))
          yield* readYourWrites.awaitWrite(cancelled, [deliveriesProjectionName])
        })
      )
    )

  const disable: WebhookCommandsShape["disable"] = (webhookId, reason, caller) =>
    withConflictRetry(
      Effect.gen(function* () {
        const loaded = yield* load(webhookId)
        if (loaded.state.status === "none") return undefined
        const { accountId } = loaded.state
        const events = yield* Effect.fromResult(
          Webhook.decide(Webhook.WebhookCommand.DisableWebhook({ webhookId, accountId, reason }), loaded.state)
        )
        return yield* appendTogether(webhookId, loaded.version, events, { accountId, version: 0, events: [] }, caller)
      })
    ).pipe(
      Effect.tap((position) => readYourWrites.awaitWrite(position, [webhooksProjectionName])),
      Effect.map((position) => position !== undefined)
    )

  return WebhookCommands.of({
    create,
    disable,
    update,
    pause: (accountId, webhookId, caller) =>
      onWebhook(accountId, webhookId, caller, () =>
        Effect.succeed(Webhook.WebhookCommand.PauseWebhook({ webhookId, accountId }))
      ),
    resume: (accountId, webhookId, caller) =>
      onWebhook(accountId, webhookId, caller, () =>
        Effect.succeed(Webhook.WebhookCommand.ResumeWebhook({ webhookId, accountId }))
      ),
    rotateSecret,
    delete: remove
  })
})

export const WebhookCommandsLive = Layer.effect(WebhookCommands, make)

/** The engine's port for disabling, served by the same commands as the API. */
export const WebhookDisablingLive = Layer.effect(
  WebhookDisabling,
  Effect.map(WebhookCommands, (commands) =>
    WebhookDisabling.of({
      disable: (webhookId, reason) =>
        Effect.flatMap(newLogEventId, (id) => commands.disable(webhookId, reason, systemCaller(id)))
    })
  )
)
