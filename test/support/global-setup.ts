import { Effect, Exit, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import type { TestProject } from "vitest/node"
import { startEmbeddedPostgres } from "../../src/db/embedded-postgres.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** A PostgreSQL URL whose user may create databases; each test file makes its own database. */
    adminDatabaseUrl: string
  }
}

/** One PostgreSQL for the whole run: `DATABASE_URL` when set, otherwise an embedded one in a temp dir. */
export default async function setup(project: TestProject) {
  const external = process.env.DATABASE_URL
  if (external !== undefined && external !== "") {
    project.provide("adminDatabaseUrl", external)
    return
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), "hookline-test-"))
  const scope = Scope.makeUnsafe()
  const info = await Effect.runPromise(Scope.provide(scope)(startEmbeddedPostgres(dataDir)))
  project.provide(
    "adminDatabaseUrl",
    `postgres://${info.user}:${encodeURIComponent(info.password)}@${info.host}:${info.port}/postgres`
  )
  return async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    rmSync(dataDir, { recursive: true, force: true })
  }
}
