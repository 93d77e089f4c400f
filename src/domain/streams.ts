import { Option } from "effect"

/**
 * Stream ids are `<category>-<id>`. Categories never contain "-", so the id is everything after the first
 * "-" and may itself contain dashes (UUIDs do).
 */

export const streamCategories = ["account", "webhook", "event", "delivery", "endpoint"] as const
export type StreamCategory = (typeof streamCategories)[number]

export type StreamId<C extends StreamCategory = StreamCategory> = `${C}-${string}`

const make = <C extends StreamCategory>(category: C) => (id: string): StreamId<C> => `${category}-${id}`

export const accountStream = make("account")
export const webhookStream = make("webhook")
/** A published event's stream; the id is the event id, so a retried publish lands on the same stream. */
export const eventStream = make("event")
export const deliveryStream = make("delivery")
/** Circuit-breaker state of one webhook's endpoint: keyed by the webhook, not the URL. */
export const endpointStream = make("endpoint")

export interface ParsedStreamId {
  readonly category: StreamCategory
  readonly id: string
}

const isCategory = (value: string): value is StreamCategory =>
  (streamCategories as ReadonlyArray<string>).includes(value)

export const parseStreamId = (streamId: string): Option.Option<ParsedStreamId> => {
  const dash = streamId.indexOf("-")
  if (dash <= 0) return Option.none()
  const category = streamId.slice(0, dash)
  const id = streamId.slice(dash + 1)
  return isCategory(category) && id !== "" ? Option.some({ category, id }) : Option.none()
}

/** The id part of a stream id (`webhook-wh_1` → `wh_1`), for a stream whose category the caller knows. */
export const idInStream = (streamId: string): string => streamId.slice(streamId.indexOf("-") + 1)

/** The category prefix for "read all streams of a category" queries (`stream_id LIKE 'webhook-%'`). */
export const categoryPrefix = (category: StreamCategory): string => `${category}-`
