/**
 * The framework documents its own decode error on every route, but clients never see it: the API maps it
 * to the common error shape (see uniform-errors.ts). Removing it keeps the document true.
 */

const decodeErrorRef = "#/components/schemas/HttpApiDecodeError"

const isDecodeErrorRef = (value: unknown): boolean =>
  typeof value === "object" && value !== null && (value as { $ref?: unknown }).$ref === decodeErrorRef

const prune = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(prune)
  if (typeof value !== "object" || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [key, child] of Object.entries(value)) out[key] = prune(child)
  const anyOf = out.anyOf
  if (Array.isArray(anyOf) && anyOf.some(isDecodeErrorRef)) {
    const rest = anyOf.filter((member) => !isDecodeErrorRef(member))
    delete out.anyOf
    return rest.length === 1 ? { ...out, ...(rest[0] as object) } : { ...out, anyOf: rest }
  }
  return out
}

export const withoutFrameworkDecodeError = (spec: Record<string, unknown>): Record<string, unknown> => {
  const pruned = prune(spec) as Record<string, unknown>
  const components = pruned.components as { schemas?: Record<string, unknown> } | undefined
  if (components?.schemas !== undefined) {
    delete components.schemas.HttpApiDecodeError
    delete components.schemas.Issue
  }
  return pruned
}
