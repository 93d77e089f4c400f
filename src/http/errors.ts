import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HttpApiSchema from "effect/http-api/HttpApiSchema"
import { Schema, SchemaTransformation } from "effect"

/**
 * Every failure the API answers has one shape, `{"error": {"code", "message", "details"?}}`. Each status
 * is a tagged error class; on the wire it is encoded to that shape (the transformation below), so the
 * OpenAPI document shows exactly what clients receive.
 */

export const ErrorDetails = Schema.Record(Schema.String, Schema.Unknown)

export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    code: Schema.String.annotate({ description: "stable, machine-readable, snake_case" }),
    message: Schema.String.annotate({ description: "for humans; may change" }),
    details: Schema.optionalKey(ErrorDetails)
  })
}).annotate({ identifier: "Error" })
export type ErrorBody = typeof ErrorBody.Type

const fields = { code: Schema.String, message: Schema.String, details: Schema.optional(ErrorDetails) }

export interface ErrorFields {
  readonly code: string
  readonly message: string
  readonly details?: { readonly [key: string]: unknown } | undefined
}

export const errorBody = (error: ErrorFields): ErrorBody => ({
  error: {
    code: error.code,
    message: error.message,
    ...(error.details === undefined ? {} : { details: error.details })
  }
})

const onTheWire = <S extends Schema.Top & { readonly Type: ErrorFields }>(
  schema: S,
  make: (fields: ErrorFields) => S["Type"],
  status: number,
  description: string
) =>
  ErrorBody.pipe(
    Schema.decodeTo(
      Schema.toType(schema),
      SchemaTransformation.transform({ decode: (body) => make(body.error), encode: errorBody })
    ),
    HttpApiSchema.status(status)
  ).annotate({ description })

export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", fields) {}
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", fields) {}
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", fields) {}
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", fields) {}
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", fields) {}
export class Gone extends Schema.TaggedError<Gone>()("Gone", fields) {}
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", fields) {}
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()("ServiceUnavailable", fields) {}

export type ApiError =
  | BadRequest
  | Unauthorized
  | Forbidden
  | NotFound
  | Conflict
  | Gone
  | PayloadTooLarge
  | ServiceUnavailable

/** The one table of statuses: used by the endpoint schemas and by the error middleware alike. */
export const statusOf: { readonly [T in ApiError["_tag"]]: number } = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  Gone: 410,
  PayloadTooLarge: 413,
  ServiceUnavailable: 503
}

export const BadRequestError = onTheWire(BadRequest, (f) => new BadRequest(f), statusOf.BadRequest, "invalid request")
export const UnauthorizedError = onTheWire(
  Unauthorized,
  (f) => new Unauthorized(f),
  statusOf.Unauthorized,
  "missing or invalid credentials"
)
export const ForbiddenError = onTheWire(
  Forbidden,
  (f) => new Forbidden(f),
  statusOf.Forbidden,
  "not allowed, e.g. plan_limit_reached"
)
export const NotFoundError = onTheWire(
  NotFound,
  (f) => new NotFound(f),
  statusOf.NotFound,
  "no such resource (for this account)"
)
export const ConflictError = onTheWire(
  Conflict,
  (f) => new Conflict(f),
  statusOf.Conflict,
  "conflicts with the current state"
)
export const GoneError = onTheWire(
  Gone,
  (f) => new Gone(f),
  statusOf.Gone,
  "the webhook was deleted (webhook_deleted): nothing more can be done with it; its history and delivery log stay readable"
)
export const PayloadTooLargeError = onTheWire(
  PayloadTooLarge,
  (f) => new PayloadTooLarge(f),
  statusOf.PayloadTooLarge,
  "body or event data too large"
)
export const ServiceUnavailableError = onTheWire(
  ServiceUnavailable,
  (f) => new ServiceUnavailable(f),
  statusOf.ServiceUnavailable,
  "the database is unreachable; retry"
)

export const isApiError = (u: unknown): u is ApiError =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string" && Object.hasOwn(statusOf, u._tag)

/** For failures raised outside any endpoint (routing, body parsing): the same shape, built directly. */
export const errorResponse = (status: number, error: ErrorFields) =>
  HttpServerResponse.jsonUnsafe(errorBody(error), { status })
