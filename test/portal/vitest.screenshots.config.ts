import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

// `npm run portal:screenshots`: the README's screenshots, taken by the test setup's PostgreSQL and Chromium.
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/portal/screenshots.shots.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
