import { Schema } from "effect"

// An explicit offset is required: a local time without one means a different instant on every server.
const isoDateTimePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/

export const isIsoDateTime = (value: string): boolean =>
  isoDateTimePattern.test(value) && !Number.isNaN(Date.parse(value))

/**
 * An ISO 8601 date-time string with an offset. Kept a string (not a DateTime transformation) so event data
 * is its own JSON encoding and the JSON Schema is a plain `format: date-time`.
 */
export const IsoDateTime = Schema.String.check(
  Schema.makeFilter(isIsoDateTime, {
    message: "must be an ISO 8601 date-time with a time zone, e.g. 2025-01-31T12:00:00Z",
    toJsonSchema: () => ({ format: "date-time" })
  })
).annotate({ identifier: "IsoDateTime", description: "ISO 8601 date-time with a time zone" })

/** The canonical form stored in events: UTC with milliseconds, as `Date.prototype.toISOString` writes it. */
export const toIsoString = (date: Date): string => date.toISOString()

export const addSeconds = (date: Date, seconds: number): Date => new Date(date.getTime() + seconds * 1000)
