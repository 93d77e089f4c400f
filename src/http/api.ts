import { HttpApi } from "@effect/platform"
import { HealthGroup } from "./groups/health.js"

/** The whole HTTP API; the OpenAPI document is generated from this, so it cannot drift. */
export class HooklineApi extends HttpApi.make("hookline").add(HealthGroup) {}
