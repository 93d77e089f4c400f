import { Result, Schema, SchemaIssue, SchemaParser } from "effect"
import { EventDecodeFailed, UnknownEventType } from "./errors.js"
import type { EventMetadata, NewEvent, RecordedEvent } from "./types.js"

/** Turns a payload stored at `fromVersion` into the shape of `fromVersion + 1`. */
export type Upcaster = (data: Readonly<Record<string, unknown>>) => Record<string, unknown>

export interface CodecOptions {
  /** The schema version each event type is written at today (1 when absent). */
  readonly currentVersions?: Readonly<Record<string, number>>
  /** Per event type, per stored version, the step to the next version. Old payloads are upcast on read, never rewritten. */
  readonly upcasters?: Readonly<Record<string, Readonly<Record<number, Upcaster>>>>
}

export interface EventCodec<A extends { readonly _tag: string }> {
  readonly types: ReadonlySet<string>
  readonly encode: (event: A, eventId: string, metadata?: EventMetadata) => NewEvent
  readonly decode: (recorded: RecordedEvent) => Result.Result<A, UnknownEventType | EventDecodeFailed>
}

/**
 * The edge between a stream category's typed events (a union of tagged structs) and the log's rows:
 * the tag is the stored event type, the rest is the payload.
 */
export const makeCodec = <A extends { readonly _tag: string }, I extends { readonly _tag: string }>(
  schema: Schema.Codec<A, I>,
  tags: ReadonlyArray<string>,
  options: CodecOptions = {}
): EventCodec<A> => {
  const types = new Set(tags)
  const encodeSync = Schema.encodeSync(schema)
  const decodeResult = SchemaParser.decodeUnknownResult(schema)
  const formatIssue = SchemaIssue.makeFormatterDefault()
  const currentVersions = options.currentVersions ?? {}
  const upcasters = options.upcasters ?? {}

  const encode = (event: A, eventId: string, metadata?: EventMetadata): NewEvent => {
    const { _tag, ...data } = encodeSync(event)
    return {
      eventId,
      type: _tag,
      schemaVersion: currentVersions[_tag] ?? 1,
      data,
      ...(metadata === undefined ? {} : { metadata })
    }
  }

  const decode = (recorded: RecordedEvent): Result.Result<A, UnknownEventType | EventDecodeFailed> => {
    const type = recorded.type
    if (!types.has(type)) {
      return Result.fail(
        new UnknownEventType({ type, eventId: recorded.eventId, streamId: recorded.streamId })
      )
    }
    const failed = (issue: string) =>
      new EventDecodeFailed({ type, eventId: recorded.eventId, streamId: recorded.streamId, issue })
    let data = recorded.data as Record<string, unknown>
    const target = currentVersions[type] ?? 1
    for (let version = recorded.schemaVersion; version < target; version++) {
      const step = upcasters[type]?.[version]
      if (step === undefined) return Result.fail(failed(`no upcaster from schema version ${version}`))
      data = step(data)
    }
    return Result.mapError(decodeResult({ ...data, _tag: type }), (issue) => failed(formatIssue(issue)))
  }

  return { types, encode, decode }
}
