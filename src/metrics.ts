import { constants, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks"
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

const webhookAttemptsName = "hookline_webhook_attempts_total"
const webhookAttemptsDescription = "Delivery attempts by webhook and outcome (at most 100 webhooks by id, the rest as webhook_id=\"other\")"

/**
 * How many webhooks get their own `hookline_webhook_attempts_total` series: 100 webhooks (200 series,
 * success and failure) keep a scrape small and Prometheus' series count flat however many webhooks an
 * instance serves (a scale account alone may have 1000). They go to the first webhooks to make an attempt
 * after the start; Prometheus counters may not vanish or move, so a series once given stays until the
 * process stops. Every later webhook is counted under `webhook_id="other"`.
 */
export const webhookSeriesLimit = 100

export interface WebhookAttemptCounters {
  readonly success: Metric.Counter<number>
  readonly failure: Metric.Counter<number>
}

/**
 * The per-webhook attempt counters for a webhook, resolved once per endpoint actor (not per attempt):
 * its own while fewer than `limit` webhooks have them, the shared `other` pair after that.
 */
export const makeWebhookAttemptCounters = (limit: number) => {
  const counters = (webhookId: string): WebhookAttemptCounters => ({
    success: Metric.counter(webhookAttemptsName, {
      description: webhookAttemptsDescription,
      incremental: true,
      attributes: { webhook_id: webhookId, outcome: "success" }
    }),
    failure: Metric.counter(webhookAttemptsName, {
      description: webhookAttemptsDescription,
      incremental: true,
      attributes: { webhook_id: webhookId, outcome: "failure" }
    })
  })
  const own = new Map<string, WebhookAttemptCounters>()
  let other: WebhookAttemptCounters | undefined
  return (webhookId: string): WebhookAttemptCounters => {
    const known = own.get(webhookId)
    if (known !== undefined) return known
    if (own.size < limit) {
      const made = counters(webhookId)
      own.set(webhookId, made)
      return made
    }
    other ??= counters("other")
    return other
  }
}

export const webhookAttempts = makeWebhookAttemptCounters(webhookSeriesLimit)

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

/** A sample computed at scrape time: a gauge, or a counter kept outside the registry (`type`). */
export interface GaugeSample {
  readonly name: string
  readonly help: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
  readonly type?: "gauge" | "counter"
}

const gcKinds = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MINOR, "minor"],
  [constants.NODE_PERFORMANCE_GC_MAJOR, "major"],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, "incremental"],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, "weakcb"]
])

interface RuntimeMonitor {
  readonly delay: ReturnType<typeof monitorEventLoopDelay>
  readonly gc: Map<string, { count: number; seconds: number }>
}

let monitor: RuntimeMonitor | undefined

/**
 * Starts, once per process, what the runtime samples need: an event-loop delay histogram (a libuv timer
 * every 20 ms, no fiber) and an observer of garbage collections (Node reports each one; the observer adds
 * it to a total). Neither keeps the process alive.
 */
export const startRuntimeMonitor = (): RuntimeMonitor => {
  if (monitor !== undefined) return monitor
  const delay = monitorEventLoopDelay({ resolution: 20 })
  delay.enable()
  // Every kind is there from the start (at 0): a series that appears only after the first collection of
  // its kind would make rate() blind to that first one.
  const gc = new Map<string, { count: number; seconds: number }>(
    Array.from(gcKinds.values(), (kind) => [kind, { count: 0, seconds: 0 }])
  )
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // A gc entry's `detail` (NodeGCPerformanceDetail) is not on PerformanceEntry's type: narrowed here.
      const detail: unknown = "detail" in entry ? entry.detail : undefined
      const code = typeof detail === "object" && detail !== null && "kind" in detail ? detail.kind : undefined
      const kind = (typeof code === "number" ? gcKinds.get(code) : undefined) ?? "other"
      const total = gc.get(kind)
      if (total === undefined) gc.set(kind, { count: 1, seconds: entry.duration / 1000 })
      else {
        total.count++
        total.seconds += entry.duration / 1000
      }
    }
  })
  observer.observe({ entryTypes: ["gc"] })
  monitor = { delay, gc }
  return monitor
}

/**
 * Process and runtime samples: memory, heap, event-loop delay (p50, p99 and max since the previous
 * scrape: the histogram is reset after each) and time spent in garbage collection by kind.
 */
export const processSamples = (): ReadonlyArray<GaugeSample> => {
  const { delay, gc } = startRuntimeMonitor()
  const memory = process.memoryUsage()
  const samples: Array<GaugeSample> = [
    { name: "hookline_process_resident_memory_bytes", help: "Resident set size", labels: {}, value: memory.rss },
    { name: "hookline_process_heap_used_bytes", help: "V8 heap in use", labels: {}, value: memory.heapUsed },
    { name: "hookline_process_heap_total_bytes", help: "V8 heap allocated", labels: {}, value: memory.heapTotal }
  ]
  // No sample yet (a scrape right after the last): 0, not the histogram's NaN or its initial huge minimum.
  const seconds = (nanos: number) => (delay.count === 0 || !Number.isFinite(nanos) ? 0 : nanos / 1e9)
  const delayHelp = "Event-loop delay since the previous scrape, by quantile"
  samples.push(
    { name: "hookline_process_event_loop_delay_seconds", help: delayHelp, labels: { quantile: "0.5" }, value: seconds(delay.percentile(50)) },
    { name: "hookline_process_event_loop_delay_seconds", help: delayHelp, labels: { quantile: "0.99" }, value: seconds(delay.percentile(99)) },
    {
      name: "hookline_process_event_loop_delay_max_seconds",
      help: "Longest event-loop delay since the previous scrape",
      labels: {},
      value: seconds(delay.max)
    }
  )
  delay.reset()
  for (const [kind, total] of gc) {
    samples.push(
      { name: "hookline_process_gc_seconds_total", help: "Time spent in garbage collection, by kind", labels: { kind }, value: total.seconds, type: "counter" },
      { name: "hookline_process_gc_runs_total", help: "Garbage collections, by kind", labels: { kind }, value: total.count, type: "counter" }
    )
  }
  return samples
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
    family(gauge.name, gauge.type ?? "gauge", gauge.help).lines.push(
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
