import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { Effect, Option } from "effect"
import { AccountCommands } from "../../app/accounts.js"
import { LogPosition } from "../../eventstore/types.js"
import { type GenerationStatus, ProjectionRunner, type ProjectionStatus } from "../../projections/runner.js"
import { HooklineApi } from "../api.js"
import { callerOf } from "../correlation.js"
import { orApiError } from "../error-mapping.js"

const operator = { kind: "operator" } as const

const generation = (g: GenerationStatus) => ({ ...g, checkpoint: LogPosition.format(g.checkpoint) })

const projectionStatus = (status: ProjectionStatus) => ({
  name: status.name,
  version: status.version,
  head: LogPosition.format(status.head),
  active: Option.getOrNull(Option.map(status.active, generation)),
  rebuilding: Option.getOrNull(Option.map(status.rebuilding, generation))
})

export const AdminLive = HttpApiBuilder.group(HooklineApi, "admin", (handlers) =>
  Effect.gen(function* () {
    const accounts = yield* AccountCommands
    const runner = yield* ProjectionRunner
    return handlers
      .handle("createAccount", ({ payload, request }) =>
        accounts.create(payload, callerOf(request, operator)).pipe(
          Effect.map(({ account, apiKey }) => ({
            id: account.accountId,
            name: account.name,
            plan: account.plan,
            apiKey: { id: apiKey.keyId, prefix: apiKey.prefix, key: apiKey.key }
          })),
          orApiError
        )
      )
      .handle("issueKey", ({ params, request }) =>
        accounts.issueKey(params.accountId, callerOf(request, operator)).pipe(
          Effect.map(({ apiKey }) => ({ id: apiKey.keyId, prefix: apiKey.prefix, key: apiKey.key })),
          orApiError
        )
      )
      .handle("revokeKey", ({ params, request }) =>
        accounts.revokeKey(params.accountId, params.keyId, callerOf(request, operator)).pipe(
          Effect.map((key) => ({ id: key.keyId, accountId: params.accountId, prefix: key.prefix, status: key.status })),
          orApiError
        )
      )
      .handle("projections", () =>
        runner.status.pipe(
          Effect.map((statuses) => ({ data: statuses.map(projectionStatus) })),
          orApiError
        )
      )
      .handle("rebuildProjection", ({ params }) =>
        runner.rebuild(params.name).pipe(Effect.map(projectionStatus), orApiError)
      )
  })
)
