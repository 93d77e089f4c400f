import { Option, Schema, SchemaAST } from "effect"

/**
 * A guard compiled once from a schema, for a hot path that decodes values which are nearly always valid
 * (published payloads): it answers true only when decoding would succeed and give back the same value.
 * Effect's decoder costs about 10 µs for a `message.created` payload, this guard about a tenth of that.
 * False means "ask the decoder", which also writes the error messages; it is not a verdict.
 *
 * So the guard refuses whatever the decoder would change: a property the schema does not know (the
 * decoder drops it), an `undefined` property. A schema with a transformation anywhere gets no guard at all
 * (undefined): its decoded value is not its input.
 */
export function compileGuard<A, I>(schema: Schema.Schema<A, I, never>): ((input: unknown) => input is A) | undefined
export function compileGuard(schema: Schema.Schema.AnyNoContext): ((input: unknown) => boolean) | undefined
export function compileGuard(schema: Schema.Schema.AnyNoContext): ((input: unknown) => boolean) | undefined {
  try {
    // What the guard accepts, the decoder gives back unchanged (so, for the first signature, it is an A).
    return compile(schema.ast)
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

const compile = (ast: SchemaAST.AST): Guard => {
  switch (ast._tag) {
    case "StringKeyword":
      return (input) => typeof input === "string"
    case "NumberKeyword":
      return (input) => typeof input === "number"
    case "BooleanKeyword":
      return (input) => typeof input === "boolean"
    case "UndefinedKeyword":
      return (input) => input === undefined
    case "UnknownKeyword":
    case "AnyKeyword":
      return () => true
    case "Literal": {
      const literal = ast.literal
      return (input) => input === literal
    }
    case "Union": {
      const members = ast.types.map(compile)
      return (input) => members.some((member) => member(input))
    }
    case "Refinement": {
      const from = compile(ast.from)
      return (input) => from(input) && Option.isNone(ast.filter(input, noOptions, ast))
    }
    case "TupleType": {
      // Arrays only (`Schema.Array`: a rest element and nothing else).
      if (ast.elements.length > 0 || ast.rest.length !== 1) throw new Unsupported()
      const item = compile(ast.rest[0]!.type)
      return (input) => Array.isArray(input) && input.every(item)
    }
    case "TypeLiteral":
      return compileStruct(ast)
    case "Declaration": {
      // A declared type (`Schema.declare`) decodes to its input when it accepts it.
      if (ast.typeParameters.length > 0) throw new Unsupported()
      return Schema.is(Schema.make(ast))
    }
    default:
      // Transformations (the decoded value is not the input), suspensions, templates: the decoder's.
      throw new Unsupported()
  }
}

const compileStruct = (ast: SchemaAST.TypeLiteral): Guard => {
  const properties = ast.propertySignatures.map((signature) => {
    if (typeof signature.name !== "string") throw new Unsupported()
    return { name: signature.name, optional: signature.isOptional, guard: compile(signature.type) }
  })
  const known = new Set(properties.map((p) => p.name))
  if (ast.indexSignatures.length > 1) throw new Unsupported()
  const index = ast.indexSignatures[0]
  if (index !== undefined && index.parameter._tag !== "StringKeyword") throw new Unsupported()
  const indexValue = index === undefined ? undefined : compile(index.type)
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
      if (indexValue === undefined) return false
      const value = input[key]
      if (value === undefined || !indexValue(value)) return false
    }
    return true
  }
}
