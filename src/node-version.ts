/**
 * The Node version check that runs before anything else is loaded. Effect 4.1 needs Node 22.19 or newer and
 * Hookline is built and tested on Node 24; on an older Node the first symptom would be a stack trace from
 * deep inside a dependency, so `main.ts` asks this first and stops with one line instead.
 *
 * Plain TypeScript with no imports: it must load on any Node that can run an ES module.
 */

/** The oldest Node major version Hookline runs on. */
export const requiredNodeMajor = 24

/** One line saying what is wrong with `version` (as in `process.versions.node`), or undefined when it will do. */
export const nodeVersionProblem = (version: string): string | undefined => {
  const major = Number.parseInt(version.split(".")[0] ?? "", 10)
  if (Number.isInteger(major) && major >= requiredNodeMajor) return undefined
  return `Hookline needs Node ${requiredNodeMajor} or newer, and this is Node ${version}. ` +
    "Run it with `npm install && npm start`, which brings Node 24 from npm (the `node` package) and runs on it."
}
