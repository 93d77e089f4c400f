import { api, type EventType } from "./api.js"
import { ErrorMessage, useLoad, Title } from "./ui.js"

type JsonSchema = {
  readonly type?: string | ReadonlyArray<string>
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly items?: JsonSchema
  readonly enum?: ReadonlyArray<unknown>
  readonly const?: unknown
  readonly examples?: ReadonlyArray<unknown>
  readonly anyOf?: ReadonlyArray<JsonSchema>
  readonly format?: string
  readonly $ref?: string
  readonly $defs?: Readonly<Record<string, JsonSchema>>
  readonly definitions?: Readonly<Record<string, JsonSchema>>
}

/** An example payload made from the schema itself, so it cannot drift from the catalogue. */
const example = (schema: JsonSchema, root: JsonSchema, name = "", depth = 0): unknown => {
  if (depth > 8) return null
  if (schema.$ref !== undefined) {
    const key = schema.$ref.split("/").pop() ?? ""
    const target = root.$defs?.[key] ?? root.definitions?.[key]
    return target === undefined ? null : example(target, root, name, depth + 1)
  }
  if (schema.examples !== undefined && schema.examples.length > 0) return schema.examples[0]
  if (schema.const !== undefined) return schema.const
  if (schema.enum !== undefined) return schema.enum[0]
  if (schema.anyOf !== undefined && schema.anyOf[0] !== undefined) return example(schema.anyOf[0], root, name, depth + 1)
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case "object":
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, value]) => [key, example(value, root, key, depth + 1)]))
    case "array":
      return schema.items === undefined ? [] : [example(schema.items, root, name, depth + 1)]
    case "string":
      if (schema.format === "date-time" || /At$/.test(name)) return "2026-01-01T12:00:00Z"
      if (schema.format === "email" || name === "email") return "ann@example.com"
      if (schema.format === "uri" || /url$/i.test(name)) return "https://example.com/files/1"
      if (name === "id" || name.endsWith("Id")) return `${name === "id" ? "obj" : name.slice(0, -2)}_1`
      if (name === "name") return "Ann Example"
      if (name === "text") return "Hello, is my order on its way?"
      return name
    case "integer":
    case "number":
      return 1
    case "boolean":
      return true
    default:
      return null
  }
}

export const EventTypesPage = () => {
  const { data, error } = useLoad(() => api<{ data: ReadonlyArray<EventType> }>("GET", "/v1/event-types"), [])
  return (
    <section>
      <Title>
        Event types
      </Title>
      <ErrorMessage error={error} />
      {(data?.data ?? []).map((t) => (
        <article class="panel" key={t.type} aria-labelledby={`type-${t.type}`}>
          <h2 id={`type-${t.type}`}>
            <code>{t.type}</code>
          </h2>
          <p>{t.description}</p>
          <details>
            <summary>Example payload</summary>
            <pre>{JSON.stringify({ id: "evt_1", type: t.type, timestamp: "2026-01-01T12:00:00Z", data: example(t.schema as JsonSchema, t.schema as JsonSchema) }, null, 2)}</pre>
          </details>
          <details>
            <summary>JSON Schema of data</summary>
            <pre>{JSON.stringify(t.schema, null, 2)}</pre>
          </details>
        </article>
      ))}
    </section>
  )
}
