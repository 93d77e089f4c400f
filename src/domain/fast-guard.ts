import { Schema, SchemaAST } from "effect"

/**
 * A guard compiled once from a schema, for a hot path that decodes values which are nearly always valid
 * (published payloads): it answers true only when decoding would succeed and give back the same value.
 * Effect's decoder costs about 10 µs for a `message.created` payload, this guard about a tenth of that.
 * False means "ask the decoder", which also writes the error messages; it is not a verdict.
 *
 * So the guard refuses whatever the decoder would change: a property the schema does not know (the
 * decoder drops it), an `undefined` property. A schema with a transformation anywhere gets no guard at all
 * (undefined): its decoded value is not its input.
 *
 * With `unknownKeys: "keep"` the guard instead lets properties the schema does not know pass unchecked, at
 * any depth: for a caller that keeps the value as it was sent (an event's data), once the decoder would
 * accept it. True then means "the decoder would succeed", and the value is the input, extra keys included.
 */
export interface GuardOptions {
  readonly unknownKeys?: "refuse" | "keep" | undefined
}

export function compileGuard<A>(
  schema: Schema.Decoder<A>,
  options?: GuardOptions
): ((input: unknown) => input is A) | undefined
export function compileGuard(schema: Schema.Top, options?: GuardOptions): ((input: unknown) => boolean) | undefined
export function compileGuard(schema: Schema.Top, options: GuardOptions = {}): ((input: unknown) => boolean) | undefined {
  try {
    // What the guard accepts, the decoder gives back unchanged but for the unknown keys it may be told to
    // keep (so, for the first signature, it is an A).
    return compile(schema.ast, options.unknownKeys === "keep")
  } catch (error) {
    if (error instanceof Unsupported) return undefined
    throw error
  }
}

class Unsupported extends Error {}

type Guard = (input: unknown) => boolean

const noOptions: SchemaAST.ParseOptions = {}

const isRecord = (input: unknown): input is Record<string, unknown> =>
  typeof input === "object" && input !== null && !Array.isArray(input)

const passes = (checks: ReadonlyArray<SchemaAST.Check<unknown>>, input: unknown, ast: SchemaAST.AST): boolean =>
  checks.every((check) =>
    check._tag === "FilterGroup" ? passes(check.checks, input, ast) : check.run(input, ast, noOptions) === undefined
  )

/** A node's own shape, then its checks (`isMinLength`, `makeFilter`, `refine`...) on what passed. */
const compile = (ast: SchemaAST.AST, keepUnknownKeys: boolean): Guard => {
  // An encoding is a transformation: the decoded value is not the input.
  if (ast.encoding !== undefined) throw new Unsupported()
  const shape = compileShape(ast, keepUnknownKeys)
  const checks = ast.checks
  if (checks === undefined) return shape
  return (input) => shape(input) && passes(checks, input, ast)
}

const compileShape = (ast: SchemaAST.AST, keepUnknownKeys: boolean): Guard => {
  switch (ast._tag) {
    case "String":
      return (input) => typeof input === "string"
    case "Number":
      return (input) => typeof input === "number"
    case "Boolean":
      return (input) => typeof input === "boolean"
    case "Null":
      return (input) => input === null
    case "Undefined":
      return (input) => input === undefined
    case "Unknown":
    case "Any":
      return () => true
    case "Literal": {
      const literal = ast.literal
      return (input) => input === literal
    }
    case "Union": {
      const members = ast.types.map((member) => compile(member, keepUnknownKeys))
      return (input) => members.some((member) => member(input))
    }
    case "Arrays": {
      // Arrays only (`Schema.Array`: a rest element and nothing else).
      if (ast.elements.length > 0 || ast.rest.length !== 1) throw new Unsupported()
      const item = compile(ast.rest[0]!, keepUnknownKeys)
      return (input) => Array.isArray(input) && input.every(item)
    }
    case "Objects":
      return compileStruct(ast, keepUnknownKeys)
    case "Declaration": {
      // A declared type (`Schema.declare`) decodes to its input when it accepts it.
      if (ast.typeParameters.length > 0) throw new Unsupported()
      return Schema.is(Schema.make<Schema.Top>(ast))
    }
    default:
      // Suspensions, templates, enums, symbols: the decoder's.
      throw new Unsupported()
  }
}

const compileStruct = (ast: SchemaAST.Objects, keepUnknownKeys: boolean): Guard => {
  // An empty struct accepts any non-nullish value, primitives included: not worth a guard.
  if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) throw new Unsupported()
  const properties = ast.propertySignatures.map((signature) => {
    if (typeof signature.name !== "string") throw new Unsupported()
    return { name: signature.name, optional: SchemaAST.isOptional(signature.type), guard: compile(signature.type, keepUnknownKeys) }
  })
  const known = new Set(properties.map((p) => p.name))
  if (ast.indexSignatures.length > 1) throw new Unsupported()
  const index = ast.indexSignatures[0]
  // A refined key selects only the keys it matches and leaves the rest alone: the decoder's.
  if (index !== undefined && (index.parameter._tag !== "String" || index.parameter.checks !== undefined)) {
    throw new Unsupported()
  }
  const indexValue = index === undefined ? undefined : compile(index.type, keepUnknownKeys)
  return (input) => {
    if (!isRecord(input)) return false
    for (const property of properties) {
      const value = input[property.name]
      if (value === undefined) {
        if (!property.optional || property.name in input) return false
      } else if (!property.guard(value)) return false
    }
    for (const key of Object.keys(input)) {
      if (known.has(key)) continue
      if (indexValue === undefined) {
        if (keepUnknownKeys) continue
        return false
      }
      const value = input[key]
      if (value === undefined || !indexValue(value)) return false
    }
    return true
  }
}
