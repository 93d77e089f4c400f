// Bundles the portal (portal/src) into dist/portal-app: one minified script, one stylesheet, the page.
// Run by `npm run build`, and by the browser tests before they start.
import { build } from "esbuild"
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises"
import { gzipSync } from "node:zlib"

const here = new URL(".", import.meta.url)
const out = new URL("../dist/portal-app/", import.meta.url)

export const buildPortal = async () => {
  await mkdir(out, { recursive: true })
  await build({
    entryPoints: [new URL("src/main.tsx", here).pathname],
    outfile: new URL("app.js", out).pathname,
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    legalComments: "none",
    logLevel: "warning"
  })
  await copyFile(new URL("index.html", here), new URL("index.html", out))
  await copyFile(new URL("style.css", here), new URL("style.css", out))
  const js = await readFile(new URL("app.js", out))
  const gzipped = gzipSync(js, { level: 9 }).length
  await writeFile(new URL("weight.json", out), JSON.stringify({ jsBytes: js.length, jsGzipBytes: gzipped }) + "\n")
  return { jsBytes: js.length, jsGzipBytes: gzipped }
}

// Quiet by default: `npm start` runs the build, and its output is Hookline's log (one JSON line per entry).
if (import.meta.url === `file://${process.argv[1]}`) {
  const weight = await buildPortal()
  if (process.argv.includes("--report")) {
    console.log(`portal: app.js ${(weight.jsBytes / 1024).toFixed(1)} KB, ${(weight.jsGzipBytes / 1024).toFixed(1)} KB gzip`)
  }
}
