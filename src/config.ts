import { Config, Context, Effect, Layer, LogLevel, Option, Redacted, Result, Schema, SchemaIssue } from "effect"
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from "./domain/retry-policy.js"
import { defaultMaxPayloadBytes } from "./domain/published-event.js"
import { defaultPlanTable, formatPlanTable, parsePlanTable, type PlanTable } from "./domain/plans.js"
import { defaultSecretOverlapSeconds, maxSecretOverlapSeconds } from "./domain/webhook.js"

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
  /** Delays in seconds before each retry, parsed once here (HOOKLINE_RETRY_SCHEDULE "5,300,1800"). */
  readonly retrySchedule: ReadonlyArray<number>
  readonly deliveryTimeoutMs: number
  readonly dbPoolSize: number
  /** How often a subscriber polls when no notification arrives (a missed NOTIFY costs at most this). */
  readonly pollIntervalMs: number
  readonly logLevel: LogLevel.LogLevel
  /** Webhooks allowed per plan (`HOOKLINE_PLANS`, e.g. `free=3,pro=50,scale=1000`). */
  readonly plans: PlanTable
  /** Largest published event `data`, serialized (413 above). */
  readonly maxPayloadBytes: number
  /** Largest HTTP request body (413 above). */
  readonly maxRequestBytes: number
  /** How long a rotated-out signing secret keeps signing, unless the rotation asks for less. */
  readonly secretOverlapSeconds: number
  /** How long the publish group commit waits for more publishes before appending (0: no wait). */
  readonly publishBatchWindowMs: number
  /** Most publishes in one group-committed append. */
  readonly publishBatchMaxSize: number
  /** How long a command waits for its read model to show the write before answering anyway. */
  readonly readYourWritesTimeoutMs: number
  /** Concurrent attempts per endpoint when the webhook sets no `maxConcurrency`. */
  readonly endpointConcurrency: number
  /** Concurrent attempts across all endpoints of this process. */
  readonly globalConcurrency: number
  /** Deliveries an endpoint actor holds in memory; the rest wait in the log. */
  readonly mailboxCapacity: number
  /** An endpoint actor with nothing to do for this long stops (it restarts when work arrives). */
  readonly actorIdleMs: number
  /** How often the runtime looks for due retries and deliveries not held in memory. */
  readonly scanIntervalMs: number
  readonly circuitFailureThreshold: number
  readonly circuitCooldownMs: number
  readonly circuitMaxCooldownMs: number
  /** A webhook failing without a single success for this long is disabled. */
  readonly disableAfterFailingMs: number
  /** AES-256-GCM keys (base64, comma-separated, the first encrypts) for secrets at rest in the log. */
  readonly encryptionKey: Option.Option<Redacted.Redacted>
  /** Published events waiting for the log, at most; beyond it publishing answers 503 with Retry-After. */
  readonly publishQueueCapacity: number
  /** API requests per second per key (a token bucket; 0 turns the limit off). */
  readonly apiRateLimit: number
  /** Requests a key may send at once above its rate (the bucket's size; 0: one second's worth). */
  readonly apiRateBurst: number
  /** Deepest nesting of arrays and objects a JSON request body may have (400 beyond). */
  readonly maxJsonDepth: number
}

/** A setting that was given but is not acceptable, reported with the variable's name and why. */
const invalid = (name: string, message: string) =>
  new Config.ConfigError(
    new Schema.SchemaError(new SchemaIssue.Pointer([name], new SchemaIssue.InvalidValue({ message })))
  )

const checked = <A>(name: string, message: string, valid: (value: A) => boolean) =>
  Config.mapEffect((value: A) => valid(value) ? Effect.succeed(value) : Effect.fail(invalid(name, message)))

const positiveInt = (name: string, fallback: number) =>
  Config.Int(name).pipe(
    Config.withDefault(fallback),
    checked(name, `${name} must be a positive integer`, (n: number) => n > 0)
  )

/**
 * A secret or URL that may be unset; set to the empty string counts as unset (Effect 4's environment
 * provider already treats an empty variable as absent; blank ones are dropped here).
 */
const optionalRedacted = (name: string) =>
  Config.option(Config.Redacted(name)).pipe(
    Config.map(Option.filter((value: Redacted.Redacted<string>) => Redacted.value(value).trim() !== ""))
  )

const nonNegativeInt = (name: string, fallback: number) =>
  Config.Int(name).pipe(
    Config.withDefault(fallback),
    checked(name, `${name} must be a non-negative integer`, (n: number) => n >= 0)
  )

/** The words Effect 3's `Config.boolean` took, so that a setting that worked keeps working. */
const booleanWords: Readonly<Record<string, boolean>> = {
  true: true,
  yes: true,
  on: true,
  "1": true,
  y: true,
  false: false,
  no: false,
  off: false,
  "0": false,
  n: false
}

const flag = (name: string, fallback: boolean) =>
  Config.String(name).pipe(
    Config.mapEffect((text) => {
      const value = Object.hasOwn(booleanWords, text) ? booleanWords[text] : undefined
      return value === undefined
        ? Effect.fail(invalid(name, `Expected a boolean value but received ${text}`))
        : Effect.succeed(value)
    }),
    Config.withDefault(fallback)
  )

/** The documented spellings (`trace` ... `fatal`, `off`), in any case, as Effect 3's labels were. */
const logLevelNames: Readonly<Record<string, LogLevel.LogLevel>> = {
  all: "All",
  fatal: "Fatal",
  error: "Error",
  warn: "Warn",
  info: "Info",
  debug: "Debug",
  trace: "Trace",
  off: "None"
}

const logLevel = (name: string, fallback: LogLevel.LogLevel) =>
  Config.String(name).pipe(
    Config.mapEffect((text) => {
      const level = Object.hasOwn(logLevelNames, text.toLowerCase()) ? logLevelNames[text.toLowerCase()] : undefined
      return level === undefined
        ? Effect.fail(invalid(name, `Expected a log level but received ${text}`))
        : Effect.succeed(level)
    }),
    Config.withDefault(fallback)
  )

const plansConfig = Config.String("HOOKLINE_PLANS").pipe(
  Config.withDefault(formatPlanTable(defaultPlanTable)),
  Config.mapEffect((text) =>
    Result.match(parsePlanTable(text), {
      onFailure: (error) => Effect.fail(invalid("HOOKLINE_PLANS", error.message)),
      onSuccess: Effect.succeed
    })
  )
)

export const settingsConfig: Config.Config<HooklineSettings> = Config.all({
  databaseUrl: optionalRedacted("DATABASE_URL"),
  dataDir: Config.String("HOOKLINE_DATA_DIR").pipe(Config.withDefault("./.hookline")),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
  port: Config.Port("PORT").pipe(Config.withDefault(8080)),
  adminToken: optionalRedacted("HOOKLINE_ADMIN_TOKEN"),
  allowPrivateTargets: flag("HOOKLINE_ALLOW_PRIVATE_TARGETS", false),
  retrySchedule: Config.String("HOOKLINE_RETRY_SCHEDULE").pipe(
    Config.withDefault(DEFAULT_RETRY_SCHEDULE.join(",")),
    Config.mapEffect((text: string) =>
      Result.match(parseRetrySchedule(text), {
        onSuccess: (delays) => Effect.succeed(delays),
        onFailure: (error) => Effect.fail(invalid("HOOKLINE_RETRY_SCHEDULE", error.message))
      })
    )
  ),
  deliveryTimeoutMs: positiveInt("HOOKLINE_DELIVERY_TIMEOUT_MS", 15_000),
  dbPoolSize: positiveInt("HOOKLINE_DB_POOL_SIZE", 10),
  pollIntervalMs: positiveInt("HOOKLINE_POLL_INTERVAL_MS", 500),
  logLevel: logLevel("HOOKLINE_LOG_LEVEL", "Info"),
  plans: plansConfig,
  maxPayloadBytes: positiveInt("HOOKLINE_MAX_PAYLOAD_BYTES", defaultMaxPayloadBytes),
  maxRequestBytes: positiveInt("HOOKLINE_MAX_REQUEST_BYTES", 1024 * 1024),
  secretOverlapSeconds: nonNegativeInt("HOOKLINE_SECRET_OVERLAP_SECONDS", defaultSecretOverlapSeconds).pipe(
    checked(
      "HOOKLINE_SECRET_OVERLAP_SECONDS",
      `HOOKLINE_SECRET_OVERLAP_SECONDS must be at most ${maxSecretOverlapSeconds}`,
      (n: number) => n <= maxSecretOverlapSeconds
    )
  ),
  publishBatchWindowMs: nonNegativeInt("HOOKLINE_PUBLISH_BATCH_WINDOW_MS", 2),
  publishBatchMaxSize: positiveInt("HOOKLINE_PUBLISH_BATCH_MAX_SIZE", 500),
  readYourWritesTimeoutMs: positiveInt("HOOKLINE_READ_YOUR_WRITES_TIMEOUT_MS", 5_000),
  endpointConcurrency: positiveInt("HOOKLINE_ENDPOINT_CONCURRENCY", 10),
  globalConcurrency: positiveInt("HOOKLINE_GLOBAL_CONCURRENCY", 1000),
  mailboxCapacity: positiveInt("HOOKLINE_MAILBOX_CAPACITY", 1000),
  actorIdleMs: positiveInt("HOOKLINE_ACTOR_IDLE_MS", 30_000),
  scanIntervalMs: positiveInt("HOOKLINE_SCAN_INTERVAL_MS", 500),
  circuitFailureThreshold: positiveInt("HOOKLINE_CIRCUIT_FAILURE_THRESHOLD", 5),
  circuitCooldownMs: positiveInt("HOOKLINE_CIRCUIT_COOLDOWN_MS", 30_000),
  circuitMaxCooldownMs: positiveInt("HOOKLINE_CIRCUIT_MAX_COOLDOWN_MS", 600_000),
  disableAfterFailingMs: positiveInt("HOOKLINE_DISABLE_AFTER_FAILING_MS", 5 * 24 * 3600 * 1000),
  encryptionKey: optionalRedacted("HOOKLINE_ENCRYPTION_KEY"),
  publishQueueCapacity: positiveInt("HOOKLINE_PUBLISH_QUEUE_CAPACITY", 10_000),
  apiRateLimit: nonNegativeInt("HOOKLINE_API_RATE_LIMIT", 0),
  apiRateBurst: nonNegativeInt("HOOKLINE_API_RATE_BURST", 0),
  maxJsonDepth: positiveInt("HOOKLINE_MAX_JSON_DEPTH", 64)
})

export class Settings extends Context.Service<Settings, HooklineSettings>()("hookline/Settings") {
  /** Reads the environment through Effect's ConfigProvider (tests swap the provider). */
  static readonly layer = Layer.effect(Settings, settingsConfig)

  /** For tests and tools: the defaults with some values replaced, without touching the environment. */
  static readonly layerWith = (overrides: Partial<HooklineSettings>) =>
    Layer.effect(Settings, Effect.map(settingsConfig, (defaults) => ({ ...defaults, ...overrides })))
}
