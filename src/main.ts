/**
 * Hookline's entry point (`npm start` runs `node dist/main.js`). It checks the Node version before anything
 * else is loaded: on an older Node, Effect 4 would fail with a stack trace from inside a dependency, so
 * this stops with one line instead. Only then is the server loaded (a dynamic import: static ones would be
 * evaluated before the check).
 */
import { nodeVersionProblem } from "./node-version.js"

const problem = nodeVersionProblem(process.versions.node)
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`)
  process.exit(1)
}
await import("./server.js")
