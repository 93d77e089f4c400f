// One runner process: registers the Endpoint entities and the "dispatcher" singleton.
// Env: RUNNER_NAME, RUNNER_PORT, FAST, NO_CLUSTER=1 (baseline without cluster: just the Pg pool + a timer).
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as EntityId from "effect/cluster/EntityId"
import * as Sharding from "effect/cluster/Sharding"
import * as Singleton from "effect/cluster/Singleton"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as SqlClient from "effect/sql/SqlClient"
import { clusterLayer, Endpoint, EndpointP, env, log, PgLive } from "./shared.ts"

const t0 = Date.now()
const name = env("RUNNER_NAME", "r1")
const port = Number(env("RUNNER_PORT", "34431"))
const KEYS = Number(env("KEYS", "50"))
const BEAT_MS = Number(env("BEAT_MS", "250"))

const EndpointLive = Endpoint.toLayer({
  Deliver: () => Effect.sync(() => ({ runner: name, at: Date.now() }))
}, { maxIdleTime: "30 seconds" })

const EndpointPLive = EndpointP.toLayer({
  DeliverP: () => Effect.sync(() => ({ runner: name, at: Date.now() }))
}, { maxIdleTime: "30 seconds" })

// The singleton "dispatcher": writes a heartbeat row every BEAT_MS while it runs here.
const Dispatcher = Singleton.make("dispatcher", Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  log("singleton-start", { runner: name })
  yield* Effect.addFinalizer(() => Effect.sync(() => log("singleton-stop", { runner: name })))
  yield* sql`INSERT INTO singleton_beats (runner, at) VALUES (${name}, now())`.pipe(
    Effect.ignore,
    Effect.repeat(Schedule.spaced(BEAT_MS))
  )
}).pipe(Effect.scoped))

// "Which endpoints do I own?": poll Sharding.hasShardId for every key (no acquisition event exists).
const OwnershipWatch = Layer.effectDiscard(Effect.gen(function*() {
  const sharding = yield* Sharding.Sharding
  let last = ""
  let prevCheck = Date.now()
  yield* Effect.sync(() => {
    const owned: Array<string> = []
    for (let i = 0; i < KEYS; i++) {
      const key = `wh-${i}`
      if (sharding.hasShardId(sharding.getShardId(EntityId.make(key), "default"))) owned.push(key)
    }
    const health = sharding.hasShardId(sharding.getShardId(EntityId.make("effect/cluster/Sharding/RunnerHealth"), "default"))
    const dispatcher = sharding.hasShardId(sharding.getShardId(EntityId.make("dispatcher"), "default"))
    const s = owned.join(",") + health + dispatcher
    // prevCheck: time of the previous poll, so a change is known to have happened in (prevCheck, t]
    if (s !== last) { last = s; log("owned", { runner: name, pid: process.pid, prevCheck, n: owned.length, health, dispatcher, keys: owned }) }
    prevCheck = Date.now()
  }).pipe(Effect.repeat(Schedule.spaced(200)), Effect.forkScoped)
}))

const Schema = Layer.effectDiscard(Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS singleton_beats (id bigserial primary key, runner text not null, at timestamptz not null)`
}))

const Ready = Layer.effectDiscard(Effect.sync(() => log("ready", { runner: name, startupMs: Date.now() - t0, pid: process.pid })))

const ClusterMain = Layer.mergeAll(EndpointLive, EndpointPLive, Dispatcher, OwnershipWatch).pipe(
  Layer.provideMerge(clusterLayer({ host: "127.0.0.1", port, clientOnly: false })),
  Layer.provideMerge(Schema.pipe(Layer.provideMerge(PgLive)))
)

// Baseline: a process with only the Pg pool and an idle timer (what Hookline costs without a cluster).
const NoClusterMain = PgLive

log("boot", { runner: name, pid: process.pid })
if (env("NO_CLUSTER", "0") === "1") {
  NodeRuntime.runMain(Layer.launch(Ready.pipe(Layer.provide(NoClusterMain))))
} else {
  NodeRuntime.runMain(Layer.launch(Ready.pipe(Layer.provide(ClusterMain))))
}
