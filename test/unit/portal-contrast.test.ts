import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"

/** The portal's colours, read from its stylesheet: every text pair meets WCAG AA, the focus ring 3:1. */
const css = readFileSync(new URL("../../portal/style.css", import.meta.url), "utf8")
const variable = (name: string): string => {
  const match = new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{6})`).exec(css)
  if (match === null) throw new Error(`--${name} is not in portal/style.css`)
  return match[1]!
}
const literal = (hex: string): string => {
  expect(css.toLowerCase()).toContain(hex.toLowerCase())
  return hex
}

// WCAG 2.x relative luminance and contrast ratio.
const luminance = (hex: string) => {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

describe("the portal's contrast", () => {
  const bg = variable("bg")
  const panel = variable("panel")
  const header = literal("#0d1b2a")
  const text: ReadonlyArray<readonly [string, string, string]> = [
    ["text", variable("fg"), bg],
    ["muted text", variable("muted"), panel],
    ["links", variable("accent"), panel],
    ["success", variable("ok"), panel],
    ["failure", variable("fail"), panel],
    ["warning", variable("warn"), panel],
    ["primary button", "#ffffff", variable("accent")],
    ["header text", literal("#c9d4df"), header]
  ]
  it.each(text)("%s meets 4.5:1", (_, fg, back) => {
    expect(contrast(fg, back)).toBeGreaterThanOrEqual(4.5)
  })
  it.each([["white", bg], ["the panels", panel], ["the header", header]])("the focus ring meets 3:1 on %s", (_, back) => {
    expect(contrast(variable("focus"), back)).toBeGreaterThanOrEqual(3)
  })
})
