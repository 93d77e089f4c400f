import { limitJsonSchema } from "./pagination.js"

/**
 * Corrections to the OpenAPI document HttpApi generates, for what the endpoint schemas cannot declare:
 * each says what the server really answers.
 */

type Spec = Record<string, unknown>

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

const operationsOf = (spec: Spec): ReadonlyArray<Record<string, unknown>> =>
  (isRecord(spec.paths) ? Object.values(spec.paths) : [])
    .filter(isRecord)
    .flatMap((item) => Object.values(item))
    .filter(isRecord)

/** Every list's `limit` query parameter, documented as the integer it is decoded to. */
const documentLimit = (spec: Spec): Spec => {
  for (const operation of operationsOf(spec)) {
    const parameters = Array.isArray(operation.parameters) ? operation.parameters : []
    for (const parameter of parameters) {
      if (isRecord(parameter) && parameter.in === "query" && parameter.name === "limit") parameter.schema = limitJsonSchema
    }
  }
  return spec
}

/**
 * The 415 a body that is not JSON gets (uniformErrors gives it the error shape). HttpApiBuilder answers it
 * itself, before any endpoint schema is involved, so no endpoint can declare it: it is listed here on
 * every operation that takes a body, with the same `Error` schema (ErrorBody's identifier) as the others.
 */
const unsupportedMediaType = () => ({
  description: "the body is not JSON (code unsupported_media_type): send it with content-type: application/json",
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } }
})

const documentUnsupportedMediaType = (spec: Spec): Spec => {
  for (const operation of operationsOf(spec)) {
    if (operation.requestBody !== undefined && isRecord(operation.responses)) {
      operation.responses["415"] = unsupportedMediaType()
    }
  }
  return spec
}

export const documentApi = (spec: Spec): Spec => documentUnsupportedMediaType(documentLimit(spec))
