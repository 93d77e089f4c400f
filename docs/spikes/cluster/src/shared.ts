// Shared definitions for the effect/cluster spike: the Endpoint entity, DB + cluster layers.
import * as ClusterSchema from "effect/cluster/ClusterSchema"
import * as Entity from "effect/cluster/Entity"
import * as MessageStorage from "effect/cluster/MessageStorage"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as SqlRunnerStorage from "effect/cluster/SqlRunnerStorage"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Rpc from "effect/rpc/Rpc"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as PgClient from "@effect/sql-pg/PgClient"

export const env = (k: string, d: string): string => process.env[k] ?? d

// Volatile entity: messages go runner-to-runner over the socket, nothing persisted.
export const Deliver = Rpc.make("Deliver", {
  payload: { seq: Schema.Number },
  success: Schema.Struct({ runner: Schema.String, at: Schema.Number })
})
export const Endpoint = Entity.make("Endpoint", [Deliver])

// Persisted variant: each message is a row in cluster_messages, the reply a row in cluster_replies.
export const DeliverP = Rpc.make("DeliverP", {
  payload: { seq: Schema.Number, key: Schema.String },
  success: Schema.Struct({ runner: Schema.String, at: Schema.Number }),
  primaryKey: (p) => `${p.key}:${p.seq}`
})
export const EndpointP = Entity.make("EndpointP", [DeliverP]).annotate(ClusterSchema.Persisted, true)

export const PgLive = PgClient.layer({
  host: "127.0.0.1",
  port: 55432,
  database: "spike",
  username: "postgres",
  password: Redacted.make("postgres"),
  applicationName: env("RUNNER_NAME", "client"),
  maxConnections: 10
})

// FAST=1: the tuned failover settings; otherwise effect's defaults.
const fast = env("FAST", "1") === "1"
export const tuned = fast
  ? {
      shardLockExpiration: Duration.seconds(Number(env("LOCK_EXPIRATION_S", "6"))),
      shardLockRefreshInterval: Duration.seconds(Number(env("LOCK_REFRESH_S", "2"))),
      runnerHealthCheckInterval: Duration.seconds(Number(env("HEALTH_S", "2"))),
      refreshAssignmentsInterval: Duration.seconds(1),
      entityMessagePollInterval: Duration.seconds(1)
    }
  : {}

// BYO=1: runner storage on PostgreSQL (runners + shard locks) but NO message storage (MessageStorage.layerNoop):
// the shape "the log stays the queue" needs; no cluster_messages polling. Tables via SqlRunnerStorage's own
// migration step (layerMigrations) followed by layerStorage, i.e. DDL can be a separate deploy step.
const byo = env("BYO", "0") === "1"
export const clusterLayer = (opts: { host: string; port: number; clientOnly: boolean }) => byo
  ? NodeClusterSocket.layer({
      storage: "byo",
      clientOnly: opts.clientOnly,
      shardingConfig: { runnerAddress: Option.some(RunnerAddress.make(opts.host, opts.port)), ...tuned }
    }).pipe(
      Layer.provide(MessageStorage.layerNoop),
      Layer.provide(SqlRunnerStorage.layerStorage({}).pipe(
        Layer.provide(SqlRunnerStorage.layerMigrations({})),
        Layer.provide(ShardingConfig.layerFromEnv({ runnerAddress: Option.some(RunnerAddress.make(opts.host, opts.port)), ...tuned }))
      )),
      Layer.provide(PgLive)
    )
  : NodeClusterSocket.layer({
    storage: "sql",
    clientOnly: opts.clientOnly,
    shardingConfig: {
      runnerAddress: Option.some(RunnerAddress.make(opts.host, opts.port)),
      ...tuned
    }
  }).pipe(Layer.provide(PgLive))

export const log = (ev: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({ t: Date.now(), ev, ...extra }) + "\n")
