import { Result, Schema } from "effect"
import { InvalidPlanTable } from "./errors.js"

export const planNames = ["free", "pro", "scale"] as const
export const PlanName = Schema.Literals(planNames).annotate({
  identifier: "PlanName",
  message: `unknown plan; valid plans: ${planNames.join(", ")}`,
  messageFromInput: (input) => `unknown plan ${JSON.stringify(input)}; valid plans: ${planNames.join(", ")}`
})
export type PlanName = typeof PlanName.Type

/** How many webhooks an account on each plan may have. */
export type PlanTable = { readonly [P in PlanName]: number }

export const defaultPlanTable: PlanTable = { free: 3, pro: 50, scale: 1000 }

export const makePlanTable = (overrides: Partial<Record<PlanName, number>> = {}): PlanTable => ({
  free: overrides.free ?? defaultPlanTable.free,
  pro: overrides.pro ?? defaultPlanTable.pro,
  scale: overrides.scale ?? defaultPlanTable.scale
})

export const webhookLimit = (table: PlanTable, plan: PlanName): number => table[plan]

const isPlanName = (value: string): value is PlanName => (planNames as ReadonlyArray<string>).includes(value)

/**
 * Parses the operator's setting, e.g. `"free=3,pro=50,scale=1000"`. Plans left out keep their default,
 * so `"pro=100"` is valid; an empty string means all defaults. Every problem is reported, not just the first.
 */
export const parsePlanTable = (input: string): Result.Result<PlanTable, InvalidPlanTable> => {
  const issues: Array<string> = []
  const overrides: Partial<Record<PlanName, number>> = {}
  const entries = input.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")
  for (const entry of entries) {
    const match = /^([^=\s]+)\s*=\s*(\S+)$/.exec(entry)
    if (match === null) {
      issues.push(`"${entry}" is not of the form plan=limit`)
      continue
    }
    const plan = match[1] ?? ""
    const limitText = match[2] ?? ""
    if (!isPlanName(plan)) {
      issues.push(`unknown plan "${plan}"; valid plans: ${planNames.join(", ")}`)
      continue
    }
    if (overrides[plan] !== undefined) {
      issues.push(`plan "${plan}" is given more than once`)
      continue
    }
    if (!/^\d{1,9}$/.test(limitText)) {
      issues.push(`limit for "${plan}" must be a non-negative integer, got "${limitText}"`)
      continue
    }
    overrides[plan] = Number(limitText)
  }
  return issues.length > 0
    ? Result.fail(new InvalidPlanTable({ input, issues }))
    : Result.succeed(makePlanTable(overrides))
}

/** The inverse of `parsePlanTable`, for logs and `GET /v1/account`-style displays. */
export const formatPlanTable = (table: PlanTable): string =>
  planNames.map((plan) => `${plan}=${table[plan]}`).join(",")
