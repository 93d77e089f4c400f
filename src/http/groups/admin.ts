import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { Account } from "../../domain/index.js"
import { OperatorAuth } from "../auth.js"
import { ConflictError, ForbiddenError, NotFoundError } from "../errors.js"
import { ApiKeyResource, ApiKeyWithSecret, CreatedAccount } from "../resources/account.js"
import { ProjectionStatusResource } from "../resources/projection.js"

const AccountPath = Schema.Struct({ accountId: Schema.String })

export class AdminGroup extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.post("createAccount", "/accounts")
      .setPayload(Account.CreateAccountInput)
      .addSuccess(CreatedAccount, { status: 201 })
      .annotate(OpenApi.Description, "Creates an account and its first API key (shown only in this response).")
  )
  .add(
    HttpApiEndpoint.post("issueKey", "/accounts/:accountId/keys")
      .setPath(AccountPath)
      .addSuccess(ApiKeyWithSecret, { status: 201 })
      .addError(NotFoundError)
      .annotate(OpenApi.Description, "Issues another API key for the account (shown only in this response).")
  )
  .add(
    HttpApiEndpoint.del("revokeKey", "/accounts/:accountId/keys/:keyId")
      .setPath(Schema.Struct({ accountId: Schema.String, keyId: Schema.String }))
      .addSuccess(ApiKeyResource)
      .addError(NotFoundError)
      .addError(ConflictError)
      .annotate(OpenApi.Description, "Revokes a key; it stops working before this answers.")
  )
  .add(
    HttpApiEndpoint.get("projections", "/projections").addSuccess(
      Schema.Struct({ data: Schema.Array(ProjectionStatusResource) })
    )
  )
  .add(
    HttpApiEndpoint.post("rebuildProjection", "/projections/:name/rebuild")
      .setPath(Schema.Struct({ name: Schema.String }))
      .addSuccess(ProjectionStatusResource, { status: 202 })
      .addError(NotFoundError)
      .annotate(
        OpenApi.Description,
        "Rebuilds a read model from the start of the log into new tables; the current one serves until it has caught up."
      )
  )
  // Account commands share one error type; these cover the account rules (e.g. a revoked key).
  .addError(ConflictError)
  .addError(ForbiddenError)
  .addError(NotFoundError)
  .middleware(OperatorAuth)
  .prefix("/v1/admin")
  .annotate(OpenApi.Title, "Operator")
  .annotate(OpenApi.Description, "Accounts, API keys and read models. Needs the operator token.") {}
