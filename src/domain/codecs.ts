import { makeCodec } from "../eventstore/codec.js"
import * as Account from "./account.js"
import * as Delivery from "./delivery.js"
import * as PublishedEvent from "./published-event.js"
import * as Webhook from "./webhook.js"

/** The typed edge between each stream category's events and the log. One codec per category. */

export const webhookEventTypes = [
  "WebhookCreated",
  "WebhookRenamed",
  "WebhookUrlChanged",
  "WebhookEventsChanged",
  "WebhookHeadersChanged",
  "WebhookPolicyChanged",
  "WebhookPaused",
  "WebhookResumed",
  "WebhookSecretRotated",
  "WebhookDisabled",
  "WebhookDeleted"
] as const satisfies ReadonlyArray<Webhook.WebhookEventType>

export const webhookCodec = makeCodec(Webhook.WebhookEvent, webhookEventTypes)

export const accountEventTypes = [
  "AccountCreated",
  "PlanChanged",
  "ApiKeyIssued",
  "ApiKeyRevoked",
  "WebhookRegistered",
  "WebhookUnregistered"
] as const satisfies ReadonlyArray<Account.AccountEvent["_tag"]>

export const accountCodec = makeCodec(Account.AccountEvent, accountEventTypes)

export const publishedEventCodec = makeCodec(PublishedEvent.PublishedEventStreamEvent, ["EventPublished"])

export const deliveriesScheduledCodec = makeCodec(Delivery.DeliveriesScheduled, ["DeliveriesScheduled"])

export const deliveryCodec = makeCodec(Delivery.DeliveryEvent, Delivery.deliveryEventTypes)

export const endpointCodec = makeCodec(Delivery.EndpointEvent, Delivery.endpointEventTypes)
