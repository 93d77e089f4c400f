import { Either, Schema } from "effect"
import { LogPosition } from "../eventstore/types.js"
import { BadRequest } from "./errors.js"

/** `?limit=&cursor=` on every list; cursors are opaque to clients. */
export const PageParams = Schema.Struct({
  limit: Schema.optional(
    Schema.NumberFromString.pipe(
      Schema.int({ message: () => "must be an integer from 1 to 100" }),
      Schema.between(1, 100, { message: () => "must be an integer from 1 to 100" })
    )
  ),
  cursor: Schema.optional(Schema.String.pipe(Schema.maxLength(200)))
}).annotations({ parseOptions: { errors: "all" } })

export const defaultLimit = 20

export const Page = <A, I, R>(item: Schema.Schema<A, I, R>) =>
  Schema.Struct({
    data: Schema.Array(item),
    nextCursor: Schema.NullOr(Schema.String).annotations({ description: "pass as `cursor` for the next page; null at the end" })
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
  parse: (cursor: string | undefined): Either.Either<LogPosition | undefined, BadRequest> => {
    if (cursor === undefined) return Either.right(undefined)
    const text = decode(cursor)
    const position = text.startsWith("p:") ? LogPosition.parse(text.slice(2)) : undefined
    return position === undefined ? Either.left(invalidCursor) : Either.right(position)
  }
}

export const versionCursor = {
  format: (version: number): string => encode(`v:${version}`),
  parse: (cursor: string | undefined): Either.Either<number, BadRequest> => {
    if (cursor === undefined) return Either.right(0)
    const match = /^v:(\d{1,9})$/.exec(decode(cursor))
    return match === null ? Either.left(invalidCursor) : Either.right(Number(match[1]))
  }
}
