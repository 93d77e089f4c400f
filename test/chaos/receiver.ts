/**
 * The receiving end of the chaos runs, on 127.0.0.1: counts, per webhook path and `webhook-id`, every
 * request that arrived and every 2xx answer that was written out in full, and misbehaves on demand.
 * A fault hits only the first arrival of the deliveries it picks (a stable share of them), so every
 * delivery can still succeed on a retry and a lost one is the engine's fault, never the schedule's.
 */
import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { hash } from "./util.js"

export type Fault = "none" | "reset" | "slow" | "hang" | "too-many-requests" | "close-after-headers"

export interface FaultPlan {
  /** Each picked delivery meets one of these, chosen by its hash (several mix faults in one run). */
  readonly faults: ReadonlyArray<Fault>
  /** The share of deliveries whose first arrival meets the fault (0 to 1). */
  readonly share: number
  /** How long a normal answer takes, in ms (keeps attempts in flight at a kill). */
  readonly answerDelayMs: number
  /** For `slow`: the answer comes after this many ms (below the delivery timeout). */
  readonly slowMs?: number
}

export interface Success {
  count: number
  /** When the request that got the first 2xx arrived (it was in flight from then on). */
  firstAt: number
}

export interface ChaosReceiver {
  readonly url: string
  /** Arrivals per `path|webhook-id`, whatever the answer. */
  readonly arrivals: Map<string, number>
  /** 2xx answers written out in full per `path|webhook-id`, with the time of the first. */
  readonly successes: Map<string, Success>
  /** Requests that met a fault. */
  readonly faulted: () => number
  plan: FaultPlan
  readonly close: () => Promise<void>
}

export const keyOf = (path: string, webhookId: string) => `${path}|${webhookId}`

export const startReceiver = async (plan: FaultPlan): Promise<ChaosReceiver> => {
  const arrivals = new Map<string, number>()
  const successes = new Map<string, Success>()
  const sockets = new Set<Socket>()
  const held = new Set<ServerResponse>()
  let faulted = 0

  const succeed = (key: string, res: ServerResponse, arrivedAt: number) => {
    res.writeHead(200, { "content-type": "text/plain" })
    res.end("ok", () => {
      const seen = successes.get(key)
      if (seen === undefined) successes.set(key, { count: 1, firstAt: arrivedAt })
      else seen.count++
    })
  }

  const server = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      const arrivedAt = Date.now()
      const key = keyOf(req.url ?? "", String(req.headers["webhook-id"]))
      const before = arrivals.get(key) ?? 0
      arrivals.set(key, before + 1)
      const plan = receiver.plan
      const h = hash(key)
      const fault = plan.faults.length === 0 ? "none" : plan.faults[(h >>> 10) % plan.faults.length]!
      const hit = before === 0 && fault !== "none" && h % 1000 < plan.share * 1000
      if (!hit) {
        if (plan.answerDelayMs > 0) setTimeout(() => succeed(key, res, arrivedAt), plan.answerDelayMs)
        else succeed(key, res, arrivedAt)
        return
      }
      faulted++
      switch (fault) {
        case "reset":
          req.socket.resetAndDestroy()
          return
        case "slow":
          setTimeout(() => succeed(key, res, arrivedAt), plan.slowMs ?? 1000)
          return
        case "hang":
          // Never answered: the engine's timeout ends it (and closes the socket).
          held.add(res)
          res.on("close", () => held.delete(res))
          return
        case "too-many-requests":
          res.writeHead(429, { "retry-after": "1", "content-type": "text/plain" })
          res.end("slow down")
          return
        case "close-after-headers":
          // A 200 whose body never completes: the engine must not count it as delivered.
          res.writeHead(200, { "content-length": "100", "content-type": "text/plain" })
          res.write("partial", () => req.socket.destroy())
          return
      }
    })
  })
  server.keepAliveTimeout = 30_000
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))
  )

  const receiver: ChaosReceiver = {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    successes,
    faulted: () => faulted,
    plan,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy()
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
  return receiver
}
