import { Config, ConfigError, Context, Effect, Either, Layer, LogLevel, Option, Redacted } from "effect"
import { parseRetrySchedule } from "./delivery/retry-policy.js"
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
  readonly retrySchedule: string
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

const positiveInt = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: `${name} must be a positive integer`, validation: (n) => n > 0 })
  )

/** A secret or URL that may be unset; set to the empty string counts as unset. */
const optionalRedacted = (name: string) =>
  Config.option(Config.redacted(name)).pipe(
    Config.map(Option.filter((value) => Redacted.value(value).trim() !== ""))
  )

const nonNegativeInt = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: `${name} must be a non-negative integer`, validation: (n) => n >= 0 })
  )

const plansConfig = Config.string("HOOKLINE_PLANS").pipe(
  Config.withDefault(formatPlanTable(defaultPlanTable)),
  Config.mapOrFail((text) =>
    Either.mapLeft(parsePlanTable(text), (error) => ConfigError.InvalidData(["HOOKLINE_PLANS"], error.message))
  )
)

export const settingsConfig: Config.Config<HooklineSettings> = Config.all({
  databaseUrl: optionalRedacted("DATABASE_URL"),
  dataDir: Config.string("HOOKLINE_DATA_DIR").pipe(Config.withDefault("./.hookline")),
  host: Config.string("HOST").pipe(Config.withDefault("127.0.0.1")),
  port: Config.port("PORT").pipe(Config.withDefault(8080)),
  adminToken: optionalRedacted("HOOKLINE_ADMIN_TOKEN"),
  allowPrivateTargets: Config.boolean("HOOKLINE_ALLOW_PRIVATE_TARGETS").pipe(Config.withDefault(false)),
  retrySchedule: Config.string("HOOKLINE_RETRY_SCHEDULE").pipe(
    Config.withDefault("5,300,1800,7200,18000,36000,36000"),
    Config.mapOrFail((text) =>
      Either.isRight(parseRetrySchedule(text))
        ? Either.right(text)
        : Either.left(
            ConfigError.InvalidData(
              ["HOOKLINE_RETRY_SCHEDULE"],
              "must be comma-separated whole seconds, e.g. 5,300,1800"
            )
          )
    )
  ),
  deliveryTimeoutMs: positiveInt("HOOKLINE_DELIVERY_TIMEOUT_MS", 15_000),
  dbPoolSize: positiveInt("HOOKLINE_DB_POOL_SIZE", 10),
  pollIntervalMs: positiveInt("HOOKLINE_POLL_INTERVAL_MS", 500),
  logLevel: Config.logLevel("HOOKLINE_LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)),
  plans: plansConfig,
  maxPayloadBytes: positiveInt("HOOKLINE_MAX_PAYLOAD_BYTES", defaultMaxPayloadBytes),
  maxRequestBytes: positiveInt("HOOKLINE_MAX_REQUEST_BYTES", 1024 * 1024),
  secretOverlapSeconds: nonNegativeInt("HOOKLINE_SECRET_OVERLAP_SECONDS", defaultSecretOverlapSeconds).pipe(
    Config.validate({
      message: `HOOKLINE_SECRET_OVERLAP_SECONDS must be at most ${maxSecretOverlapSeconds}`,
      validation: (n) => n <= maxSecretOverlapSeconds
    })
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
