import { describe, expect, it } from "@effect/vitest"
import { execFileSync, spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import ts from "typescript"
import { nodeFlags } from "../../src/node-flags.js"
import { nodeVersionProblem, requiredNodeMajor } from "../../src/node-version.js"

const source = (file: string) => readFileSync(new URL(`../../src/${file}`, import.meta.url), "utf8")

/** src/main.ts and src/node-version.ts compiled as `npm run build` compiles them, beside a stand-in server. */
const compiledEntry = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "hookline-entry-"))
  // ES2022 modules, as NodeNext emits them in this "type": "module" package
  const options = { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 }
  for (const file of ["main.ts", "node-version.ts"]) {
    const js = ts.transpileModule(source(file), { compilerOptions: options, fileName: file }).outputText
    writeFileSync(path.join(dir, file.replace(/\.ts$/, ".js")), js)
  }
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }))
  writeFileSync(path.join(dir, "server.js"), `process.stdout.write("server started\\n")\n`)
  return dir
}

/** A Node older than the one required, if the machine has one (npm runs on the machine's own Node). */
const olderNode = (): string | undefined => {
  const candidates = [process.env.npm_node_execpath, "/usr/bin/node", "/usr/local/bin/node"]
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === "") continue
    try {
      const version = execFileSync(candidate, ["--version"], { encoding: "utf8" }).trim().slice(1)
      if (nodeVersionProblem(version) !== undefined) return candidate
    } catch {
      // not there: try the next
    }
  }
  return undefined
}

describe("node version check", () => {
  it("accepts Node 24 and newer, refuses older ones in one line naming what is needed and npm start", () => {
    expect(nodeVersionProblem("24.21.0")).toBeUndefined()
    expect(nodeVersionProblem("25.0.0")).toBeUndefined()
    for (const old of ["20.20.2", "22.19.0", "23.11.1", "18.0.0", "garbage"]) {
      const problem = nodeVersionProblem(old)
      expect(problem).toContain(`Node ${requiredNodeMajor} or newer`)
      expect(problem).toContain(old)
      expect(problem).toContain("npm start")
      expect(problem).not.toContain("\n")
    }
  })

  it("the tests themselves run on Node 24 or newer (brought by npm)", () => {
    expect(nodeVersionProblem(process.versions.node)).toBeUndefined()
  })

  it("the compiled entry point starts the server on this Node", () => {
    const dir = compiledEntry()
    try {
      const run = spawnSync(process.execPath, [path.join(dir, "main.js")], { encoding: "utf8", timeout: 20_000 })
      expect(run.stderr).toBe("")
      expect(run.stdout).toBe("server started\n")
      expect(run.status).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  const older = olderNode()
  it.runIf(older !== undefined)("on an older Node the compiled entry point stops with one line and exit code 1", () => {
    const dir = compiledEntry()
    try {
      const run = spawnSync(older!, [path.join(dir, "main.js")], { encoding: "utf8", timeout: 20_000 })
      expect(run.status).toBe(1)
      expect(run.stdout).toBe("")
      const lines = run.stderr.trimEnd().split("\n")
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/^Hookline needs Node 24 or newer, and this is Node \d+\.\d+\.\d+\. .*npm start/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("node flags", () => {
  it("npm start runs Hookline with every flag the benchmarks measure it with", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      scripts: Record<string, string>
    }
    const start = pkg.scripts.start ?? ""
    expect(nodeFlags.length).toBeGreaterThan(0)
    expect(start).toBe(`exec node ${nodeFlags.join(" ")} dist/main.js`)
  })
})
