// Client-only cluster process: every key gets one Deliver call per TICK_MS (the next only after the
// previous answered or timed out). Writes one JSON line per call to stdout. Stops after DURATION_S.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { clusterLayer, Endpoint, EndpointP, env, log } from "./shared.ts"

const KEYS = Number(env("KEYS", "50"))
const TICK_MS = Number(env("TICK_MS", "500"))
const DURATION_S = Number(env("DURATION_S", "60"))
const TIMEOUT_S = Number(env("CALL_TIMEOUT_S", "40"))
const PERSISTED = env("PERSISTED", "0") === "1"

const main = Effect.gen(function*() {
  const client = yield* Endpoint.client
  const clientP = yield* EndpointP.client
  const end = Date.now() + DURATION_S * 1000
  log("load-start", { keys: KEYS, tickMs: TICK_MS, persisted: PERSISTED })
  const perKey = (i: number) => Effect.gen(function*() {
    const key = `wh-${i}`
    let seq = 0
    // spread the keys over the tick
    yield* Effect.sleep(Math.floor((TICK_MS * i) / KEYS))
    while (Date.now() < end) {
      const sent = Date.now()
      seq++
      const call = PERSISTED
        ? clientP(key).DeliverP({ seq, key })
        : client(key).Deliver({ seq })
      const r = yield* call.pipe(Effect.timeout(`${TIMEOUT_S} seconds`), Effect.result)
      const done = Date.now()
      if (r._tag === "Success") log("reply", { key, seq, sent, done, runner: r.success.runner })
      else log("fail", { key, seq, sent, done, err: String(r.failure).slice(0, 200) })
      const wait = TICK_MS - (done - sent)
      if (wait > 0) yield* Effect.sleep(wait)
    }
  })
  yield* Effect.forEach(Array.from({ length: KEYS }, (_, i) => i), perKey, { concurrency: "unbounded", discard: true })
  log("load-end")
})

NodeRuntime.runMain(main.pipe(Effect.provide(clusterLayer({ host: "127.0.0.1", port: 21400, clientOnly: true })), Effect.scoped))
void Layer
