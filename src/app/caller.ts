import type { EventMetadata } from "../eventstore/types.js"

/** Who issues a command and in answer to which request: recorded on every event it causes. */
export type Actor =
  | { readonly kind: "account"; readonly accountId: string; readonly keyId: string }
  | { readonly kind: "operator" }
  | { readonly kind: "system" }

export interface Caller {
  readonly actor: Actor
  readonly correlationId: string
}

export const eventMetadata = (caller: Caller): EventMetadata => ({
  actor: caller.actor,
  correlationId: caller.correlationId
})

export const systemCaller = (correlationId: string): Caller => ({ actor: { kind: "system" }, correlationId })
