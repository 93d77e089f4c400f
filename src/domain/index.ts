/**
 * The pure domain. Aggregates are exported as namespaces because each has its own `decide`, `evolve`
 * and `initialState`: `Webhook.decide(...)`, `Account.evolve(...)`.
 */
export * as Account from "./account.js"
export * as Credentials from "./credentials.js"
export * from "./errors.js"
export * as EventTypes from "./event-types.js"
export * as Json from "./json.js"
export * as Plans from "./plans.js"
export * as PublishedEvent from "./published-event.js"
export * as Streams from "./streams.js"
export * as Time from "./time.js"
export * as Webhook from "./webhook.js"
export * as WebhookInput from "./webhook-input.js"
