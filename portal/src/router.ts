import { useEffect, useState } from "preact/hooks"

/** Hash routes: the page is one file, served at /portal/, and every view has a link of its own. */
export const useRoute = () => {
  const [hash, setHash] = useState(location.hash)
  useEffect(() => {
    const update = () => setHash(location.hash)
    addEventListener("hashchange", update)
    return () => removeEventListener("hashchange", update)
  }, [])
  return hash.replace(/^#/, "") || "/webhooks"
}

export const navigate = (path: string) => {
  location.hash = path
}

/** `/webhooks/:id` against `/webhooks/wh_1` → { id: "wh_1" }; undefined when it does not match. */
export const match = (pattern: string, path: string): Record<string, string> | undefined => {
  const [pathname] = path.split("?")
  const want = pattern.split("/")
  const got = (pathname ?? "").split("/")
  if (want.length !== got.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!
    const g = got[i]!
    if (w.startsWith(":")) params[w.slice(1)] = decodeURIComponent(g)
    else if (w !== g) return undefined
  }
  return params
}
