import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { Effect, Layer } from "effect"
import { readFile } from "node:fs/promises"

/**
 * The portal's page, as `npm run build` bundles it (portal/build.mjs) into dist/portal-app. This module is
 * two levels below the project root both as source (src/portal) and compiled (dist/portal), so the same
 * relative URL finds the bundle under tsx and under node.
 */
export const portalAppDir = new URL("../../dist/portal-app/", import.meta.url)

const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml"
}

// Nothing from elsewhere: the page works offline, and an injected script or frame has nowhere to go.
const securityHeaders = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache"
}

const assetName = /^[a-z0-9-]+\.(js|css|svg)$/

const serve = (name: string) =>
  Effect.tryPromise(() => readFile(new URL(name, portalAppDir))).pipe(
    Effect.map((body) =>
      HttpServerResponse.uint8Array(body, {
        headers: { ...securityHeaders, "content-type": contentTypes[name.slice(name.lastIndexOf("."))] ?? "application/octet-stream" }
      })
    ),
    Effect.orElseSucceed(() =>
      HttpServerResponse.text(
        name === "index.html" ? "The portal is not built: run npm run build." : "not found",
        { status: 404, headers: securityHeaders }
      )
    )
  )

/**
 * GET /portal/ and /portal/<asset>. The router takes /portal and /portal/ for one route; the page is
 * served at /portal/ only (/portal redirects there), so its relative asset URLs resolve under /portal/.
 */
export const PortalStaticLive = Layer.mergeAll(
  HttpRouter.add("GET", "/portal", (request: HttpServerRequest.HttpServerRequest) =>
    request.url.split("?")[0] === "/portal/"
      ? serve("index.html")
      : Effect.succeed(HttpServerResponse.redirect("/portal/", { status: 302 }))
  ),
  HttpRouter.add("GET", "/portal/:asset", (request: HttpServerRequest.HttpServerRequest) => {
    const asset = request.url.split("?")[0]!.slice("/portal/".length)
    return assetName.test(asset) ? serve(asset) : serve("missing")
  })
)

export const portalStaticRoutes = [
  { method: "GET", path: "/portal" },
  { method: "GET", path: "/portal/:asset" }
] as const
