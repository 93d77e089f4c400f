import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as HttpApiSchema from "effect/http-api/HttpApiSchema"
import * as OpenApi from "effect/http-api/OpenApi"
import { Schema } from "effect"
import { Account } from "../../domain/index.js"
import { OperatorAuth } from "../auth.js"
import { ConflictError, ForbiddenError, NotFoundError } from "../errors.js"
import { Page, PageParams } from "../pagination.js"
import {
  AccountSummaryResource,
  ApiKeyListItem,
  ApiKeyResource,
  ApiKeyWithSecret,
  CreatedAccount
} from "../resources/account.js"
import { ProjectionStatusResource } from "../resources/projection.js"

const AccountPath = { accountId: Schema.String }

// Account commands share one error type; these cover the account rules (e.g. a revoked key).
const error = [ConflictError, ForbiddenError, NotFoundError]

export class AdminGroup extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.post("createAccount", "/accounts", {
      payload: Account.CreateAccountInput,
      success: CreatedAccount.pipe(HttpApiSchema.status(201)),
      error
    }).annotate(OpenApi.Description, "Creates an account and its first API key (shown only in this response).")
      .annotate(OpenApi.Summary, "Create an account")
  )
  .add(
    HttpApiEndpoint.get("listAccounts", "/accounts", {
      query: PageParams.fields,
      success: Page(AccountSummaryResource)
    }).annotate(OpenApi.Description, "Every account, newest first.")
      .annotate(OpenApi.Summary, "List accounts")
  )
  .add(
    HttpApiEndpoint.get("listKeys", "/accounts/:accountId/keys", {
      params: AccountPath,
      query: PageParams.fields,
      success: Page(ApiKeyListItem),
      error: NotFoundError
    }).annotate(
      OpenApi.Description,
      "The account's API keys, active and revoked, newest first, with when each was created and last used; never a key's secret."
    )
      .annotate(OpenApi.Summary, "List an account's API keys")
  )
  .add(
    HttpApiEndpoint.post("issueKey", "/accounts/:accountId/keys", {
      params: AccountPath,
      // The body is optional: HttpApiBuilder reads an empty one as `null` when a payload member is Null.
      payload: [Account.IssueApiKeyInput, Schema.Null],
      success: ApiKeyWithSecret.pipe(HttpApiSchema.status(201)),
      error
    }).annotate(OpenApi.Description, "Issues another API key for the account (shown only in this response), with an optional `name`.")
      .annotate(OpenApi.Summary, "Issue an API key")
      // HttpApi marks every declared body required; this one may be left out.
      .annotate(OpenApi.Transform, (operation) => ({ ...operation, requestBody: { ...operation.requestBody, required: false } }))
  )
  .add(
    HttpApiEndpoint.delete("revokeKey", "/accounts/:accountId/keys/:keyId", {
      params: { accountId: Schema.String, keyId: Schema.String },
      success: ApiKeyResource,
      error
    }).annotate(OpenApi.Description, "Revokes a key; it stops working before this answers.")
      .annotate(OpenApi.Summary, "Revoke an API key")
  )
  .add(
    HttpApiEndpoint.get("projections", "/projections", {
      success: Schema.Struct({ data: Schema.Array(ProjectionStatusResource) }),
      error
    })
      .annotate(OpenApi.Summary, "List read models")
      .annotate(OpenApi.Description, "Every read model (projection) and its state.")
  )
  .add(
    HttpApiEndpoint.post("rebuildProjection", "/projections/:name/rebuild", {
      params: { name: Schema.String },
      success: ProjectionStatusResource.pipe(HttpApiSchema.status(202)),
      error
    }).annotate(
      OpenApi.Description,
      "Rebuilds a read model from the start of the log into new tables; the current one serves until it has caught up."
    )
      .annotate(OpenApi.Summary, "Rebuild a read model")
  )
  .middleware(OperatorAuth)
  .prefix("/v1/admin")
  .annotate(OpenApi.Title, "Operator")
  .annotate(OpenApi.Description, "Accounts, API keys and read models. Needs the operator token.") {}
