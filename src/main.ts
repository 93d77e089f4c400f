import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer, Logger } from "effect"
import { AppLive } from "./app/layer.js"
import { Settings } from "./config.js"
import { DatabaseLive } from "./db/database.js"
import { MigrationsLive } from "./db/migrations.js"
import { DeliveryLive } from "./delivery/layer.js"
import { EventStoreLive } from "./eventstore/event-store.js"
import { FieldCipherLive } from "./eventstore/field-cipher.js"
import { LogNotificationsLive } from "./eventstore/notifications.js"
import { HttpServerLive } from "./http/server.js"
import { allProjections } from "./projections/index.js"
import { ProjectionRegistry, ProjectionRunnerLive } from "./projections/runner.js"

/** Everything below the HTTP server: database, migrations, event store, projections. */
export const CoreLive = ProjectionRunnerLive.pipe(
  Layer.provideMerge(ProjectionRegistry.layer(allProjections)),
  Layer.provideMerge(EventStoreLive),
  Layer.provideMerge(FieldCipherLive),
  Layer.provideMerge(LogNotificationsLive),
  Layer.provideMerge(MigrationsLive),
  Layer.provideMerge(DatabaseLive)
)

/** The command and query services over the core. */
export const ServicesLive = AppLive.pipe(Layer.provideMerge(DeliveryLive), Layer.provideMerge(CoreLive))

export const MainLive = HttpServerLive.pipe(Layer.provide(ServicesLive), Layer.provide(Settings.layer))

const program = Effect.flatMap(Settings, (settings) =>
  Layer.launch(MainLive).pipe(Logger.withMinimumLogLevel(settings.logLevel))
).pipe(Effect.provide(Settings.layer), Effect.provide(Logger.json))

NodeRuntime.runMain(program, { disablePrettyLogger: true })
