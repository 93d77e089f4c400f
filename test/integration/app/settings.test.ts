import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option, Redacted } from "effect"
import { settingsConfig } from "../../../src/config.js"
import { defaultPlanTable } from "../../../src/domain/plans.js"

const read = (env: Record<string, string>) => settingsConfig.parse(ConfigProvider.fromEnv({ env }))

/** The message a refused environment is reported with. */
const refusal = (env: Record<string, string>) => Effect.map(Effect.flip(read(env)), (error) => error.message)

describe("settings from the environment (Effect 4 ConfigProvider)", () => {
  it.effect("an empty environment gives the documented defaults", () =>
    Effect.gen(function* () {
      const settings = yield* read({})
      expect(settings).toMatchObject({
        dataDir: "./.hookline",
        host: "127.0.0.1",
        port: 8080,
        allowPrivateTargets: false,
        retrySchedule: [5, 300, 1800, 7200, 18000, 36000, 36000],
        deliveryTimeoutMs: 15_000,
        logLevel: "Info",
        publishBatchWindowMs: 2,
        apiRateLimit: 0
      })
      expect(settings.plans).toEqual(defaultPlanTable)
      expect(Option.isNone(settings.databaseUrl)).toBe(true)
      expect(Option.isNone(settings.adminToken)).toBe(true)
    }))

  it.effect("an empty or blank secret counts as unset; a set one is redacted", () =>
    Effect.gen(function* () {
      const settings = yield* read({ DATABASE_URL: "", HOOKLINE_ADMIN_TOKEN: "   ", HOOKLINE_ENCRYPTION_KEY: "k" })
      expect(Option.isNone(settings.databaseUrl)).toBe(true)
      expect(Option.isNone(settings.adminToken)).toBe(true)
      expect(Option.map(settings.encryptionKey, Redacted.value)).toEqual(Option.some("k"))
      expect(String(Option.getOrThrow(settings.encryptionKey))).not.toContain("k")
    }))

  // Effect 3 refused `PORT=` as not a port; Effect 4's environment provider reads an empty variable as unset.
  it.effect("an empty variable takes the default", () =>
    Effect.gen(function* () {
      const settings = yield* read({ PORT: "", HOST: "", HOOKLINE_DB_POOL_SIZE: "" })
      expect(settings).toMatchObject({ port: 8080, host: "127.0.0.1", dbPoolSize: 10 })
    }))

  it.effect("log levels and switches are read with the words Effect 3 took", () =>
    Effect.gen(function* () {
      expect((yield* read({ HOOKLINE_LOG_LEVEL: "warn" })).logLevel).toBe("Warn")
      expect((yield* read({ HOOKLINE_LOG_LEVEL: "DEBUG" })).logLevel).toBe("Debug")
      expect((yield* read({ HOOKLINE_LOG_LEVEL: "off" })).logLevel).toBe("None")
      expect(yield* refusal({ HOOKLINE_LOG_LEVEL: "loud" })).toContain("Expected a log level but received loud")
      for (const yes of ["true", "yes", "on", "1", "y"]) {
        expect((yield* read({ HOOKLINE_ALLOW_PRIVATE_TARGETS: yes })).allowPrivateTargets).toBe(true)
      }
      for (const no of ["false", "no", "off", "0", "n"]) {
        expect((yield* read({ HOOKLINE_ALLOW_PRIVATE_TARGETS: no })).allowPrivateTargets).toBe(false)
      }
      expect(yield* refusal({ HOOKLINE_ALLOW_PRIVATE_TARGETS: "maybe" })).toContain(
        "Expected a boolean value but received maybe"
      )
    }))

  it.effect("a value out of range is refused with the variable's name and the rule", () =>
    Effect.gen(function* () {
      expect(yield* refusal({ HOOKLINE_DB_POOL_SIZE: "0" })).toContain("HOOKLINE_DB_POOL_SIZE must be a positive integer")
      expect(yield* refusal({ HOOKLINE_API_RATE_LIMIT: "-1" })).toContain(
        "HOOKLINE_API_RATE_LIMIT must be a non-negative integer"
      )
      expect(yield* refusal({ HOOKLINE_SECRET_OVERLAP_SECONDS: "99999999" })).toContain(
        "HOOKLINE_SECRET_OVERLAP_SECONDS must be at most"
      )
      // Parsed once, here: the refusal says which item is wrong and why.
      expect(yield* refusal({ HOOKLINE_RETRY_SCHEDULE: "soon" })).toContain(
        'item 1 ("soon") is not a whole number of seconds (expected comma-separated whole seconds'
      )
      expect(yield* refusal({ HOOKLINE_RETRY_SCHEDULE: Array(21).fill("1").join(",") })).toContain("at most 20 retries")
      expect(yield* refusal({ HOOKLINE_PLANS: "free" })).toContain("HOOKLINE_PLANS")
      expect(yield* refusal({ PORT: "70000" })).toContain("PORT")
      expect(yield* refusal({ HOOKLINE_DELIVERY_TIMEOUT_MS: "soon" })).toContain("HOOKLINE_DELIVERY_TIMEOUT_MS")
    }))
})
