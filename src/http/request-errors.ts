import * as HttpApiError from "effect/http-api/HttpApiError"
import * as HttpApiMiddleware from "effect/http-api/HttpApiMiddleware"
import { Effect, type SchemaIssue } from "effect"
import { issuesFromSchemaIssue } from "../domain/index.js"
import { BadRequest, BadRequestError, PayloadTooLargeError, ServiceUnavailableError } from "./errors.js"

/**
 * Failures any route can meet (a malformed or invalid request, an oversized body, a database outage),
 * declared once for the whole API: every endpoint's handlers may fail with them and the OpenAPI document
 * lists them on every operation. The middleware also turns the framework's request decoding failures
 * into our `validation_failed` / `malformed_body` answers (it would otherwise answer an empty 400).
 */
export class RequestErrors extends HttpApiMiddleware.Service<RequestErrors>()("hookline/RequestErrors", {
  error: [BadRequestError, PayloadTooLargeError, ServiceUnavailableError]
}) {}

/** The message of the issue HttpApiBuilder raises when a JSON body does not parse. */
const unparsableJson = "Expected a valid JSON body"

const isUnparsableJson = (issue: SchemaIssue.Issue): boolean =>
  issue._tag === "InvalidValue" && issue.annotations?.message === unparsableJson

export const toBadRequest = (error: HttpApiError.HttpApiSchemaError): BadRequest => {
  if (error.kind === "Payload" && isUnparsableJson(error.cause.issue)) {
    return new BadRequest({ code: "malformed_body", message: "the request body is not valid JSON" })
  }
  // Worded as the domain words its own validation failures (batch items, event data).
  const issues = issuesFromSchemaIssue(error.cause.issue)
  return new BadRequest({
    code: "validation_failed",
    message: issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("; "),
    details: { issues }
  })
}

export const RequestErrorsLive = HttpApiMiddleware.layerSchemaErrorTransform(RequestErrors, (error) =>
  // A response that fails encoding is our bug: it stays a defect (logged, answered 500).
  error.kind === "Body" || error.kind === "ResponseHeaders" ? Effect.fail(error) : Effect.fail(toBadRequest(error))
)
