import { Result, Schema } from "effect"
import { LogPosition } from "../eventstore/types.js"
import { BadRequest } from "./errors.js"

const limitMessage = "must be an integer from 1 to 100"

/**
 * The OpenAPI schema of `limit`: a query value is a string on the wire, so the generated document says
 * `string`; the API's transform (api.ts) documents what is accepted.
 */
export const limitJsonSchema = { type: "integer", minimum: 1, maximum: 100 } as const

/** `?limit=&cursor=` on every list; cursors are opaque to clients. */
export const PageParams = Schema.Struct({
  limit: Schema.optional(
    Schema.NumberFromString.check(
      Schema.isInt({ message: limitMessage }),
      Schema.isBetween({ minimum: 1, maximum: 100 }, { message: limitMessage })
    )
  ),
  cursor: Schema.optional(Schema.String.check(Schema.isMaxLength(200)))
})

export const defaultLimit = 20

export const Page = <S extends Schema.Top>(item: S) =>
  Schema.Struct({
    data: Schema.Array(item),
    nextCursor: Schema.NullOr(Schema.String).annotate({ description: "pass as `cursor` for the next page; null at the end" })
  })

const invalidCursor = new BadRequest({
  code: "invalid_cursor",
  message: "cursor is not one this API returned",
  details: { issues: [{ path: "cursor", message: "invalid cursor" }] }
})

const encode = (text: string) => Buffer.from(text, "utf8").toString("base64url")
const decode = (cursor: string) => Buffer.from(cursor, "base64url").toString("utf8")

export const positionCursor = {
  format: (position: LogPosition): string => encode(`p:${LogPosition.format(position)}`),
  parse: (cursor: string | undefined): Result.Result<LogPosition | undefined, BadRequest> => {
    if (cursor === undefined) return Result.succeed(undefined)
    const text = decode(cursor)
    const position = text.startsWith("p:") ? LogPosition.parse(text.slice(2)) : undefined
    return position === undefined ? Result.fail(invalidCursor) : Result.succeed(position)
  }
}

export const versionCursor = {
  format: (version: number): string => encode(`v:${version}`),
  parse: (cursor: string | undefined): Result.Result<number, BadRequest> => {
    if (cursor === undefined) return Result.succeed(0)
    const match = /^v:(\d{1,9})$/.exec(decode(cursor))
    return match === null ? Result.fail(invalidCursor) : Result.succeed(Number(match[1]))
  }
}

/** A cursor on a read model ordered by (seq, id) descending; `tag` keeps one list's cursors out of another. */
export const seqCursor = (tag: string) => ({
  format: (next: { readonly seq: string; readonly id: string }): string => encode(`${tag}:${next.seq}:${next.id}`),
  parse: (
    cursor: string | undefined
  ): Result.Result<{ readonly seq: string; readonly id: string } | undefined, BadRequest> => {
    if (cursor === undefined) return Result.succeed(undefined)
    const text = decode(cursor)
    const match = /^(\d{1,20}):(.{1,200})$/s.exec(text.startsWith(`${tag}:`) ? text.slice(tag.length + 1) : "")
    return match === null ? Result.fail(invalidCursor) : Result.succeed({ seq: match[1]!, id: match[2]! })
  }
})
