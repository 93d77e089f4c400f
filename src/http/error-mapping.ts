import type { SqlError } from "effect/sql/SqlError"
import { Effect } from "effect"
import type { CommandConflict } from "../app/aggregate.js"
import type { PublishOverloaded } from "../app/group-commit.js"
import type { TargetRefused } from "../app/webhooks.js"
import type {
  AccountAlreadyExists,
  AccountNotFound,
  ApiKeyAlreadyExists,
  ApiKeyAlreadyRevoked,
  ApiKeyNotFound,
  EventIdConflict,
  PayloadTooLarge as PayloadTooLargeError,
  PlanLimitReached,
  ValidationFailed,
  WebhookAlreadyDeleted,
  WebhookAlreadyExists,
  WebhookNotFound
} from "../domain/index.js"
import type { EventStoreUnavailable } from "../eventstore/errors.js"
import type { ProjectionNotFound } from "../projections/runner.js"
import {
  type ApiError,
  BadRequest,
  Conflict,
  Forbidden,
  Gone,
  NotFound,
  PayloadTooLarge,
  ServiceUnavailable
} from "./errors.js"

/** Every error the application services can fail with, as the HTTP layer receives them. */
export type ServiceError =
  | ValidationFailed
  | PlanLimitReached
  | AccountNotFound
  | AccountAlreadyExists
  | ApiKeyNotFound
  | ApiKeyAlreadyExists
  | ApiKeyAlreadyRevoked
  | WebhookNotFound
  | WebhookAlreadyExists
  | WebhookAlreadyDeleted
  | PayloadTooLargeError
  | EventIdConflict
  | TargetRefused
  | CommandConflict
  | ProjectionNotFound
  | EventStoreUnavailable
  | SqlError
  | PublishOverloaded

/** The status and code of each service error; the one place the API's error codes are decided. */
export const toApiError = (error: ServiceError): ApiError => {
  switch (error._tag) {
    case "ValidationFailed":
      return new BadRequest({ code: "validation_failed", message: error.message, details: { issues: error.issues } })
    case "TargetForbidden":
      return new BadRequest({
        code: "target_not_allowed",
        message: `${error.message}; private, loopback and link-local targets are refused`,
        details: { url: error.url, address: error.address, reason: error.reason }
      })
    case "InvalidTargetUrl":
      return new BadRequest({ code: "invalid_target_url", message: error.message, details: { url: error.url } })
    case "PlanLimitReached":
      return new Forbidden({
        code: "plan_limit_reached",
        message: error.message,
        details: { plan: error.plan, limit: error.limit, current: error.current }
      })
    case "AccountNotFound":
      return new NotFound({ code: "account_not_found", message: error.message })
    case "ApiKeyNotFound":
      return new NotFound({ code: "api_key_not_found", message: error.message })
    case "WebhookNotFound":
      return new NotFound({ code: "webhook_not_found", message: error.message })
    case "WebhookAlreadyDeleted":
      return new Gone({ code: "webhook_deleted", message: `${error.message}; its history and delivery log stay readable` })
    case "ProjectionNotFound":
      return new NotFound({ code: "projection_not_found", message: `projection ${error.name} not found` })
    case "AccountAlreadyExists":
      return new Conflict({ code: "account_already_exists", message: error.message })
    case "ApiKeyAlreadyExists":
      return new Conflict({ code: "api_key_already_exists", message: error.message })
    case "ApiKeyAlreadyRevoked":
      return new Conflict({ code: "api_key_already_revoked", message: error.message })
    case "WebhookAlreadyExists":
      return new Conflict({ code: "webhook_already_exists", message: error.message })
    case "EventIdConflict":
      return new Conflict({
        code: "event_id_conflict",
        message: `${error.message}; choose another id`,
        details: { eventId: error.eventId }
      })
    case "CommandConflict":
      return new Conflict({ code: "concurrent_modification", message: error.message })
    case "PayloadTooLarge":
      return new PayloadTooLarge({
        code: "payload_too_large",
        message: error.message,
        details: { limit: error.limit, size: error.size }
      })
    case "PublishOverloaded":
      // The Retry-After header is added by the back-pressure middleware from `details.retryAfterSeconds`.
      return new ServiceUnavailable({
        code: "overloaded",
        message: error.message,
        details: { retryAfterSeconds: error.retryAfterSeconds }
      })
    case "EventStoreUnavailable":
    case "SqlError":
      return new ServiceUnavailable({ code: "service_unavailable", message: "the database is unavailable; retry shortly" })
  }
}

/** The API error each service error becomes, by type, so each endpoint declares only what it can answer. */
export type ApiErrorFor<E extends ServiceError> = E extends ValidationFailed | TargetRefused
  ? BadRequest
  : E extends PlanLimitReached
    ? Forbidden
    : E extends AccountNotFound | ApiKeyNotFound | WebhookNotFound | ProjectionNotFound
      ? NotFound
      : E extends WebhookAlreadyDeleted
      ? Gone
      : E extends PayloadTooLargeError
        ? PayloadTooLarge
        : E extends EventStoreUnavailable | SqlError | PublishOverloaded
          ? ServiceUnavailable
          : Conflict

/**
 * Maps a service's failures to API errors. Database outages are logged with their cause here, because
 * the answer deliberately says nothing about it.
 */
export const orApiError = <A, E extends ServiceError, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.mapError(
    Effect.tapError(effect, (error) =>
      error._tag === "EventStoreUnavailable" || error._tag === "SqlError"
        ? Effect.logError("database unavailable while serving a request", error)
        : Effect.void
    ),
    // `toApiError` follows the same table as ApiErrorFor; TypeScript cannot check a switch against it.
    (error) => toApiError(error) as ApiErrorFor<E>
  )
