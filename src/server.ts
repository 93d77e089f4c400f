/**
 * Hookline's server: wires the layers (database, migrations, event store, projections, delivery, the
 * application services and the HTTP API) and runs them until SIGINT or SIGTERM. With `DATABASE_URL` unset
 * the database layer starts an embedded PostgreSQL. Loaded by `main.ts` once the Node version is checked.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Formatter, Layer, Logger, References } from "effect"
import { AppLive, CommandsLive } from "./app/layer.js"
import { Settings } from "./config.js"
import { DatabaseLive } from "./db/database.js"
import { MigrationsLive } from "./db/migrations.js"
import { DeliveryLive } from "./delivery/layer.js"
import { EventStoreLive } from "./eventstore/event-store.js"
import { FieldCipherLive } from "./eventstore/field-cipher.js"
import { LogNotificationsLive } from "./eventstore/notifications.js"
import { ensurePortFree } from "./http/port-check.js"
import { HttpServerLive } from "./http/server.js"
import { allProjections } from "./projections/index.js"
import { ProjectionRegistry, ProjectionRunnerLive } from "./projections/runner.js"
import { gracefulTeardown } from "./teardown.js"

/** Everything below the HTTP server: database, migrations, event store, projections. */
export const CoreLive = ProjectionRunnerLive.pipe(
  Layer.provideMerge(EventStoreLive),
  // Below the event store: its appends apply the inline projections.
  Layer.provideMerge(ProjectionRegistry.layer(allProjections)),
  Layer.provideMerge(FieldCipherLive),
  Layer.provideMerge(LogNotificationsLive),
  Layer.provideMerge(MigrationsLive),
  Layer.provideMerge(DatabaseLive)
)

/** The command and query services over the delivery engine, the webhook commands and the core. */
export const ServicesLive = AppLive.pipe(
  Layer.provideMerge(DeliveryLive),
  Layer.provideMerge(CommandsLive),
  Layer.provideMerge(CoreLive)
)

export const MainLive = HttpServerLive.pipe(Layer.provide(ServicesLive), Layer.provide(Settings.layer))

/**
 * One JSON object per line, with Effect 3's field names (Effect 4 calls the level `level`), so log
 * pipelines that read `logLevel` keep working.
 */
const jsonLogger = Logger.formatStructured.pipe(
  Logger.map(({ message, level, timestamp, cause, annotations, spans, fiberId }) =>
    Formatter.formatJson({ message, logLevel: level, timestamp, cause, annotations, spans, fiberId })
  ),
  Logger.withConsoleLog
)

/**
 * Why the process stops, as one JSON log line: an expected failure (a setting, the port, the database)
 * by its message, a defect with its cause. runMain's own report would not go through the JSON logger.
 */
const logFatal = (cause: Cause.Cause<unknown>) => {
  if (Cause.hasInterruptsOnly(cause)) return Effect.void
  const error = Cause.squash(cause)
  const message = `Hookline stopped: ${error instanceof Error ? error.message : String(error)}`
  return Cause.hasDies(cause) ? Effect.logFatal(message, cause) : Effect.logFatal(message)
}

const program = Effect.gen(function* () {
  const settings = yield* Settings
  yield* ensurePortFree(settings.host, settings.port)
  return yield* Layer.launch(MainLive).pipe(Effect.provideService(References.MinimumLogLevel, settings.logLevel))
}).pipe(Effect.provide(Settings.layer), Effect.tapCause(logFatal), Effect.provide(Logger.layer([jsonLogger])))

// SIGINT and SIGTERM interrupt the program: the layers' finalizers let attempts in flight finish and
// record them before the process exits, with code 0. A failure was logged above; it exits 1.
NodeRuntime.runMain(program, { teardown: gracefulTeardown, disableErrorReporting: true })
