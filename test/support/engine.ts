import { PgClient } from "@effect/sql-pg"
import { Layer, Redacted } from "effect"
import { Settings, type HooklineSettings } from "../../src/config.js"
import { MigrationsLive } from "../../src/db/migrations.js"
import { CommandsLive } from "../../src/app/layer.js"
import { DeliveryLive } from "../../src/delivery/layer.js"
import { EventStoreLive } from "../../src/eventstore/event-store.js"
import { LogNotificationsLive } from "../../src/eventstore/notifications.js"
import { allProjections } from "../../src/projections/index.js"
import { ProjectionRegistry, ProjectionRunnerLive } from "../../src/projections/runner.js"

// No vitest import here: child processes of the crash tests load this module too.

/** The whole engine below the HTTP API, on a fresh database. */
export const engineOn = (url: string, settings: Partial<HooklineSettings> = {}) =>
  DeliveryLive.pipe(
    Layer.provideMerge(CommandsLive),
    Layer.provideMerge(ProjectionRunnerLive),
    Layer.provideMerge(EventStoreLive),
    // Below the event store: its appends apply the inline projections.
    Layer.provideMerge(ProjectionRegistry.layer(allProjections)),
    Layer.provideMerge(LogNotificationsLive),
    Layer.provideMerge(
      Settings.layerWith({ pollIntervalMs: 200, scanIntervalMs: 100, allowPrivateTargets: true, ...settings })
    ),
    Layer.provideMerge(MigrationsLive),
    Layer.provideMerge(PgClient.layer({ url: Redacted.make(url), maxConnections: 12 }))
  )

