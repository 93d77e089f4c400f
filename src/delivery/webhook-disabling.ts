import { Context, type Effect } from "effect"

/**
 * The engine's way to disable a webhook (410 Gone, a refused target, days without a success): the same
 * command path as every change made through the API, provided by the application layer, so the engine
 * holds no second copy of the webhook's rules.
 */
export interface WebhookDisablingShape {
  /** True when this call disabled it; false when it was already disabled or is gone. */
  readonly disable: (webhookId: string, reason: string) => Effect.Effect<boolean, unknown>
}

export class WebhookDisabling extends Context.Service<WebhookDisabling, WebhookDisablingShape>()("hookline/WebhookDisabling") {}
