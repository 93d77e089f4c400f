import { Config, Context, Effect, Layer, LogLevel, Option, Redacted } from "effect"

/**
 * Every setting Hookline reads, from the environment, with its default. The README's configuration
 * table mirrors this file: change both together.
 */
export interface HooklineSettings {
  /** An external PostgreSQL; none means the embedded one under `dataDir`. */
  readonly databaseUrl: Option.Option<Redacted.Redacted>
  readonly dataDir: string
  readonly host: string
  readonly port: number
  readonly adminToken: Option.Option<Redacted.Redacted>
  readonly allowPrivateTargets: boolean
  readonly retrySchedule: string
  readonly deliveryTimeoutMs: number
  readonly dbPoolSize: number
  /** How often a subscriber polls when no notification arrives (a missed NOTIFY costs at most this). */
  readonly pollIntervalMs: number
  readonly logLevel: LogLevel.LogLevel
}

const positiveInt = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: `${name} must be a positive integer`, validation: (n) => n > 0 })
  )

export const settingsConfig: Config.Config<HooklineSettings> = Config.all({
  databaseUrl: Config.option(Config.redacted("DATABASE_URL")),
  dataDir: Config.string("HOOKLINE_DATA_DIR").pipe(Config.withDefault("./.hookline")),
  host: Config.string("HOST").pipe(Config.withDefault("127.0.0.1")),
  port: Config.port("PORT").pipe(Config.withDefault(8080)),
  adminToken: Config.option(Config.redacted("HOOKLINE_ADMIN_TOKEN")),
  allowPrivateTargets: Config.boolean("HOOKLINE_ALLOW_PRIVATE_TARGETS").pipe(Config.withDefault(false)),
  retrySchedule: Config.string("HOOKLINE_RETRY_SCHEDULE").pipe(
    Config.withDefault("5,300,1800,7200,18000,36000,36000")
  ),
  deliveryTimeoutMs: positiveInt("HOOKLINE_DELIVERY_TIMEOUT_MS", 15_000),
  dbPoolSize: positiveInt("HOOKLINE_DB_POOL_SIZE", 10),
  pollIntervalMs: positiveInt("HOOKLINE_POLL_INTERVAL_MS", 500),
  logLevel: Config.logLevel("HOOKLINE_LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info))
})

export class Settings extends Context.Tag("hookline/Settings")<Settings, HooklineSettings>() {
  /** Reads the environment through Effect's ConfigProvider (tests swap the provider). */
  static readonly layer = Layer.effect(Settings, settingsConfig)

  /** For tests and tools: the defaults with some values replaced, without touching the environment. */
  static readonly layerWith = (overrides: Partial<HooklineSettings>) =>
    Layer.effect(
      Settings,
      Effect.map(settingsConfig, (defaults) => ({ ...defaults, ...overrides }))
    )
}
