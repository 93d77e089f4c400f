/**
 * `/metrics`' new series without a server (issue 12): the per-webhook attempt counters stop adding
 * series past their bound (later webhooks are counted under webhook_id="other"), and the process and
 * runtime samples render in the Prometheus text format with their types.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import {
  makeWebhookAttemptCounters,
  processSamples,
  registrySnapshot,
  renderPrometheus,
  webhookAttempts,
  webhookSeriesLimit
} from "../../../src/metrics.js"

const seriesOf = (text: string, name: string) => text.split("\n").filter((line) => line.startsWith(`${name}{`))

describe("per-webhook attempt counters", () => {
  it.effect("give at most `limit` webhooks their own series; the rest share webhook_id=\"other\"", () =>
    Effect.gen(function* () {
      const counters = makeWebhookAttemptCounters(3)
      for (let n = 1; n <= 10; n++) {
        const { success, failure } = counters(`wh_${n}`)
        yield* Metric.update(success, 1)
        yield* Metric.update(failure, 2)
      }
      // A webhook seen before keeps its own series, however many came since.
      yield* Metric.update(counters("wh_1").success, 1)
      const text = renderPrometheus(yield* registrySnapshot, [])
      const series = seriesOf(text, "hookline_webhook_attempts_total")
      expect(series.sort()).toEqual(
        [
          'hookline_webhook_attempts_total{webhook_id="wh_1",outcome="success"} 2',
          'hookline_webhook_attempts_total{webhook_id="wh_1",outcome="failure"} 2',
          'hookline_webhook_attempts_total{webhook_id="wh_2",outcome="success"} 1',
          'hookline_webhook_attempts_total{webhook_id="wh_2",outcome="failure"} 2',
          'hookline_webhook_attempts_total{webhook_id="wh_3",outcome="success"} 1',
          'hookline_webhook_attempts_total{webhook_id="wh_3",outcome="failure"} 2',
          'hookline_webhook_attempts_total{webhook_id="other",outcome="success"} 7',
          'hookline_webhook_attempts_total{webhook_id="other",outcome="failure"} 14'
        ].sort()
      )
      expect(text).toContain("# TYPE hookline_webhook_attempts_total counter")
      // More webhooks past the bound add no series.
      for (let n = 11; n <= 50; n++) yield* Metric.update(counters(`wh_${n}`).failure, 1)
      expect(seriesOf(renderPrometheus(yield* registrySnapshot, []), "hookline_webhook_attempts_total")).toHaveLength(8)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("the engine's counters are bounded at webhookSeriesLimit webhooks", () =>
    Effect.gen(function* () {
      expect(webhookSeriesLimit).toBe(100)
      for (let n = 0; n < webhookSeriesLimit + 50; n++) yield* Metric.update(webhookAttempts(`wh_bound_${n}`).success, 1)
      const series = seriesOf(renderPrometheus(yield* registrySnapshot, []), "hookline_webhook_attempts_total")
      expect(series).toHaveLength(webhookSeriesLimit + 1)
      expect(series).toContain('hookline_webhook_attempts_total{webhook_id="other",outcome="success"} 50')
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))
})

describe("process and runtime samples", () => {
  it.live("memory, heap, event-loop delay and GC time, with their types", () =>
    Effect.gen(function* () {
      processSamples()
      yield* Effect.sleep("50 millis")
      // Some garbage and a blocked loop, so there is GC time and a delay to report.
      let junk: Array<Array<number>> = []
      for (let i = 0; i < 2000; i++) junk.push(Array.from({ length: 1000 }, (_, j) => j))
      junk = []
      const until = Date.now() + 150
      while (Date.now() < until) {
        // blocks the event loop
      }
      yield* Effect.sleep("100 millis")
      const text = renderPrometheus([], processSamples())
      expect(junk).toHaveLength(0)
      for (const name of ["hookline_process_resident_memory_bytes", "hookline_process_heap_used_bytes", "hookline_process_heap_total_bytes"]) {
        expect(text).toContain(`# TYPE ${name} gauge`)
        expect(text).toMatch(new RegExp(`^${name} [1-9]\\d*$`, "m"))
      }
      expect(text).toMatch(/^hookline_process_event_loop_delay_seconds\{quantile="0.5"\} [\d.e-]+$/m)
      expect(text).toMatch(/^hookline_process_event_loop_delay_seconds\{quantile="0.99"\} [\d.e-]+$/m)
      const max = /^hookline_process_event_loop_delay_max_seconds ([\d.e-]+)$/m.exec(text)
      expect(Number(max?.[1])).toBeGreaterThanOrEqual(0.05)
      expect(text).toContain("# TYPE hookline_process_gc_seconds_total counter")
      expect(text).toMatch(/^hookline_process_gc_seconds_total\{kind="(minor|major|incremental|weakcb)"\} [\d.e-]+$/m)
      expect(text).toMatch(/^hookline_process_gc_runs_total\{kind="minor"\} [1-9]\d*$/m)
    }))
})
