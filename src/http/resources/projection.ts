import { Schema } from "effect"

const Generation = Schema.Struct({
  generation: Schema.Number,
  version: Schema.Number,
  status: Schema.Literals(["active", "building", "retired"]),
  checkpoint: Schema.String,
  eventsApplied: Schema.Number,
  eventsPerSecond: Schema.Number,
  lag: Schema.Number.annotate({ description: "events in the log after the checkpoint (capped at 100 000)" })
})

export const ProjectionStatusResource = Schema.Struct({
  name: Schema.String,
  version: Schema.Number,
  head: Schema.String,
  active: Schema.NullOr(Generation),
  rebuilding: Schema.NullOr(Generation)
}).annotate({ identifier: "ProjectionStatus" })
