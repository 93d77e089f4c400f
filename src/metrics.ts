import { Effect, Metric } from "effect"

/**
 * Hookline's Prometheus metrics. Counters and histograms live in Effect's metric registry and are
 * updated where things happen; gauges that describe current state (backlogs, circuits, projection lag)
 * are computed when `/metrics` is scraped.
 */

const attemptsName = "hookline_delivery_attempts_total"
const attemptsDescription = "Delivery attempts by outcome"

// One counter per outcome with the label fixed at construction: `Metric.withAttributes` would add the
// attribute to the context on every update, and the delivery hot path updates these once per attempt.
export const attemptSucceeded = Metric.counter(attemptsName, {
  description: attemptsDescription,
  incremental: true,
  attributes: { outcome: "success" }
})
export const attemptFailed = Metric.counter(attemptsName, {
  description: attemptsDescription,
  incremental: true,
  attributes: { outcome: "failure" }
})
export const deliveryExhausted = Metric.counter("hookline_deliveries_exhausted_total", {
  description: "Deliveries that ran out of retries",
  incremental: true
})

export const attemptDuration = Metric.histogram("hookline_attempt_duration_seconds", {
  description: "Time from sending an attempt to its outcome",
  boundaries: Metric.exponentialBoundaries({ start: 0.002, factor: 2, count: 14 })
})

export const appendDuration = Metric.histogram("hookline_eventstore_append_seconds", {
  description: "Event store append latency",
  boundaries: Metric.exponentialBoundaries({ start: 0.0005, factor: 2, count: 14 })
})

export const appendBatchSize = Metric.histogram("hookline_eventstore_append_batch_events", {
  description: "Events per event store append",
  boundaries: Metric.exponentialBoundaries({ start: 1, factor: 2, count: 12 })
})

export const httpRequests = Metric.counter("hookline_http_requests_total", {
  description: "HTTP API requests by route and status",
  incremental: true
})

/** A gauge sample computed at scrape time. */
export interface GaugeSample {
  readonly name: string
  readonly help: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const escape = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")

const labelText = (labels: ReadonlyArray<readonly [string, string]>) =>
  labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${escape(v)}"`).join(",")}}`

/** Renders the registry and the scrape-time gauges in the Prometheus text format (0.0.4). */
export const renderPrometheus = (
  snapshots: ReadonlyArray<Metric.Metric.Snapshot>,
  gauges: ReadonlyArray<GaugeSample>
): string => {
  const families = new Map<string, { type: string; help: string; lines: Array<string> }>()
  const family = (name: string, type: string, help: string) => {
    let f = families.get(name)
    if (f === undefined) {
      f = { type, help, lines: [] }
      families.set(name, f)
    }
    return f
  }
  for (const metric of snapshots) {
    const name = metric.id
    if (!name.startsWith("hookline_")) continue
    const help = metric.description ?? name
    const labels = Object.entries(metric.attributes ?? {})
    switch (metric.type) {
      case "Counter": {
        family(name, "counter", help).lines.push(`${name}${labelText(labels)} ${Number(metric.state.count)}`)
        break
      }
      case "Gauge": {
        family(name, "gauge", help).lines.push(`${name}${labelText(labels)} ${Number(metric.state.value)}`)
        break
      }
      case "Histogram": {
        const state = metric.state
        const f = family(name, "histogram", help)
        for (const [bound, count] of state.buckets) {
          const le = Number.isFinite(bound) ? String(bound) : "+Inf"
          f.lines.push(`${name}_bucket${labelText([...labels, ["le", le]])} ${count}`)
        }
        if (!state.buckets.some(([bound]) => !Number.isFinite(bound))) {
          f.lines.push(`${name}_bucket${labelText([...labels, ["le", "+Inf"]])} ${state.count}`)
        }
        f.lines.push(`${name}_sum${labelText(labels)} ${state.sum}`)
        f.lines.push(`${name}_count${labelText(labels)} ${state.count}`)
        break
      }
    }
  }
  for (const gauge of gauges) {
    family(gauge.name, "gauge", gauge.help).lines.push(
      `${gauge.name}${labelText(Object.entries(gauge.labels))} ${gauge.value}`
    )
  }
  let text = ""
  for (const [name, f] of families) {
    text += `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type}\n${f.lines.join("\n")}\n`
  }
  return text
}

export const registrySnapshot = Metric.snapshot

/** Times an effect into a histogram, in seconds. */
export const timed = <A, E, R>(histogram: Metric.Histogram<number>, effect: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    const start = performance.now()
    return Effect.ensuring(
      effect,
      Effect.suspend(() => Metric.update(histogram, (performance.now() - start) / 1000))
    )
  })
