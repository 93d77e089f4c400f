import { Layer } from "effect"
import { AccountCommandsLive } from "./accounts.js"
import { ApiKeyCache } from "./api-key-cache.js"
import { DeliveriesLive } from "./deliveries.js"
import { GroupCommitLive } from "./group-commit.js"
import { KeyUsageLive } from "./key-usage.js"
import { OperatorTokenLive } from "./operator-token.js"
import { PublishedEventsLive } from "./published-events.js"
import { ReadYourWrites } from "./read-your-writes.js"
import { WebhookCommandsLive, WebhookDisablingLive } from "./webhooks.js"
import { WebhookHistory } from "./webhook-history.js"

/**
 * The webhook commands, below the delivery engine: the engine disables webhooks through them (its
 * WebhookDisabling port), the API changes them through them. Needs the event store, the projection
 * runner and settings.
 */
export const CommandsLive = WebhookDisablingLive.pipe(
  Layer.provideMerge(WebhookCommandsLive),
  Layer.provideMerge(ReadYourWrites.layer)
)

/** The command and query services behind the API; needs the core, the commands and the delivery engine. */
export const AppLive = Layer.mergeAll(
  AccountCommandsLive,
  WebhookHistory.layer,
  PublishedEventsLive,
  OperatorTokenLive,
  DeliveriesLive,
  KeyUsageLive
).pipe(Layer.provide(ReadYourWrites.layer), Layer.provide(GroupCommitLive), Layer.provideMerge(ApiKeyCache.layer))
