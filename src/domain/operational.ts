import { createHash } from "node:crypto"
import type {
  DeliveryExhaustedPayload,
  EndpointCircuitClosedPayload,
  EndpointCircuitOpenedPayload,
  EndpointDisabledPayload,
  EndpointRecoveredPayload
} from "./event-types.js"
import { isOperationalEventType } from "./event-types.js"

/**
 * Operational events: what Hookline tells about itself (a webhook disabled, a circuit opened or closed,
 * a delivery exhausted, an endpoint recovered), published as ordinary `EventPublished` events so the
 * dispatcher delivers them with the same signing, retries and delivery log. The decisions are here,
 * pure; the reactor that reads the log and appends them is src/delivery/operational.ts.
 */

/** The operator's own account: created at start, it receives every operational event. */
export const operatorAccountId = "acc_operator"
export const operatorAccountName = "Hookline operator"

export type OperationalNotice =
  | { readonly type: "endpoint.disabled"; readonly webhookId: string; readonly data: EndpointDisabledPayload }
  | { readonly type: "endpoint.circuit_opened"; readonly webhookId: string; readonly data: EndpointCircuitOpenedPayload }
  | { readonly type: "endpoint.circuit_closed"; readonly webhookId: string; readonly data: EndpointCircuitClosedPayload }
  | { readonly type: "delivery.exhausted"; readonly webhookId: string; readonly data: DeliveryExhaustedPayload }
  | { readonly type: "endpoint.recovered"; readonly webhookId: string; readonly data: EndpointRecoveredPayload }

/**
 * The id of the operational event a source log event gives an account. Derived from both, so a reactor
 * that decides again over the same source (after a crash) names the same event, which the store answers
 * as a duplicate: never a second event. The account is part of it because an event's stream is keyed
 * by its id alone, and the operator's copy and the owner's are two events.
 */
export const operationalEventId = (sourceEventId: string, accountId: string): string =>
  `op_${createHash("sha256").update(sourceEventId).update("\u0000").update(accountId).digest("base64url").slice(0, 32)}`

/**
 * Who receives a notice: the operator's account always, and the account owning the webhook concerned
 * (only that one: an account sees events about its own webhooks and no one else's). Either delivers it
 * only to its webhooks subscribed to the type.
 */
export const recipientsOf = (ownerAccountId: string | undefined): ReadonlyArray<string> =>
  ownerAccountId === undefined || ownerAccountId === operatorAccountId
    ? [operatorAccountId]
    : [operatorAccountId, ownerAccountId]

/**
 * The loop rule. A delivery of an operational event that is exhausted is not told about: its endpoint
 * is the one failing, so the news would go to it (or to the operator's endpoint, itself perhaps the one
 * failing), be exhausted in turn, and so on forever, one event per retry schedule. The other notices
 * follow circuit transitions and disabling, which an endpoint makes at most once per cooldown whatever
 * it is sent, so they cannot feed themselves.
 */
export const noticeOfExhaustion = (eventType: string): boolean => !isOperationalEventType(eventType)

/** The distinct error classes of the failures that opened a circuit, in their first order. */
export const failureClasses = (failures: ReadonlyArray<{ readonly errorClass: string }>): ReadonlyArray<string> => [
  ...new Set(failures.map((f) => f.errorClass))
]
