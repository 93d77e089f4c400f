import { Layer } from "effect"
import { AccountCommandsLive } from "./accounts.js"
import { ApiKeyCache } from "./api-key-cache.js"
import { DeliveriesLive } from "./deliveries.js"
import { GroupCommitLive } from "./group-commit.js"
import { KeyUsageLive } from "./key-usage.js"
import { OperatorTokenLive } from "./operator-token.js"
import { PublishedEventsLive } from "./published-events.js"
import { ReadYourWrites } from "./read-your-writes.js"
import { WebhookCommandsLive } from "./webhooks.js"
import { WebhookHistory } from "./webhook-history.js"

/** The command and query services behind the API; needs the event store, projection runner and settings. */
export const AppLive = Layer.mergeAll(
  AccountCommandsLive,
  WebhookCommandsLive,
  WebhookHistory.layer,
  PublishedEventsLive,
  OperatorTokenLive,
  DeliveriesLive,
  KeyUsageLive
).pipe(Layer.provide(ReadYourWrites.layer), Layer.provide(GroupCommitLive), Layer.provideMerge(ApiKeyCache.layer))
