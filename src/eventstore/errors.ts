import { Schema } from "effect"

export class WrongExpectedVersion extends Schema.TaggedError<WrongExpectedVersion>()("WrongExpectedVersion", {
  streamId: Schema.String,
  expected: Schema.Union([Schema.Literals(["any", "no_stream", "new_or_any"]), Schema.Number]),
  actual: Schema.Number
}) {
  override get message() {
    return `stream ${this.streamId} is at version ${this.actual}, expected ${this.expected}`
  }
}

/** Some of the appended ids exist already, but not as this same append: a caller bug, not a retry. */
export class DuplicateEventId extends Schema.TaggedError<DuplicateEventId>()("DuplicateEventId", {
  eventIds: Schema.Array(Schema.String)
}) {
  override get message() {
    return `event ids already used by other appends: ${this.eventIds.join(", ")}`
  }
}

export class EventStoreUnavailable extends Schema.TaggedError<EventStoreUnavailable>()("EventStoreUnavailable", {
  operation: Schema.String,
  cause: Schema.Defect()
}) {
  override get message() {
    return `event store ${this.operation} failed: ${String(this.cause)}`
  }
}

export class UnknownEventType extends Schema.TaggedError<UnknownEventType>()("UnknownEventType", {
  type: Schema.String,
  eventId: Schema.String,
  streamId: Schema.String
}) {
  override get message() {
    return `unknown event type ${this.type} (event ${this.eventId} in ${this.streamId})`
  }
}

export class EventDecodeFailed extends Schema.TaggedError<EventDecodeFailed>()("EventDecodeFailed", {
  type: Schema.String,
  eventId: Schema.String,
  streamId: Schema.String,
  issue: Schema.String
}) {
  override get message() {
    return `event ${this.eventId} (${this.type} in ${this.streamId}) does not decode: ${this.issue}`
  }
}

/** A reactor's checkpoint was not where it expected: another instance moved it first. */
export class ReactorOvertaken extends Schema.TaggedError<ReactorOvertaken>()("ReactorOvertaken", {
  reactor: Schema.String
}) {
  override get message() {
    return `reactor ${this.reactor} was overtaken by another instance`
  }
}

export type AppendError = WrongExpectedVersion | DuplicateEventId | EventStoreUnavailable
