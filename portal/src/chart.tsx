import type { HourlyAttempts } from "./api.js"

/**
 * The last 24 hours as bars, successes above the line and failures below: 24 bars need no charting
 * library, and SVG keeps it crisp at any width and readable by a screen reader through its label.
 */
export const DayChart = ({ hours, now = Date.now() }: { hours: ReadonlyArray<HourlyAttempts>; now?: number }) => {
  const start = Math.floor(now / 3_600_000) * 3_600_000 - 23 * 3_600_000
  const slots = Array.from({ length: 24 }, (_, i) => ({ succeeded: 0, failed: 0, at: start + i * 3_600_000 }))
  for (const h of hours) {
    const index = Math.round((Date.parse(h.hour) - start) / 3_600_000)
    const slot = slots[index]
    if (slot !== undefined) {
      slot.succeeded += h.succeeded
      slot.failed += h.failed
    }
  }
  const max = Math.max(1, ...slots.map((s) => Math.max(s.succeeded, s.failed)))
  const succeeded = slots.reduce((n, s) => n + s.succeeded, 0)
  const failed = slots.reduce((n, s) => n + s.failed, 0)
  const width = 120
  const half = 14
  const bar = width / 24
  return (
    <svg class="chart" preserveAspectRatio="xMinYMid meet" viewBox={`0 0 ${width} ${half * 2 + 1}`} role="img" aria-label={`Last 24 hours: ${succeeded} succeeded, ${failed} failed`}>
      <line x1="0" x2={width} y1={half + 0.5} y2={half + 0.5} class="chart-axis" />
      {slots.map((s, i) => (
        <g key={s.at}>
          {s.succeeded > 0 ? (
            <rect class="chart-ok" x={i * bar + 0.5} width={bar - 1} y={half - (s.succeeded / max) * half} height={(s.succeeded / max) * half} />
          ) : null}
          {s.failed > 0 ? <rect class="chart-fail" x={i * bar + 0.5} width={bar - 1} y={half + 1} height={(s.failed / max) * half} /> : null}
        </g>
      ))}
    </svg>
  )
}
