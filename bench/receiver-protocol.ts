/**
 * The messages between the benchmark and its receiver process (bench/receiver.ts), over Node's IPC
 * channel. Kept in one file so both sides type-check against the same shapes.
 */

/** How the receiver answers a request. */
export interface Behaviour {
  /** Fraction of requests (0..1) answered with `failStatus` instead of 200. */
  readonly failRate: number
  readonly failStatus: number
  /** Milliseconds to wait before answering. */
  readonly delayMs: number
  /** Never answer (the socket stays open until the client gives up). */
  readonly hang: boolean
}

export const defaultBehaviour: Behaviour = { failRate: 0, failStatus: 500, delayMs: 0, hang: false }

export interface ReceiverConfig {
  /** Applies to every path no route matches. */
  readonly behaviour?: Partial<Behaviour>
  /** By path prefix, longest match first: lets one receiver play healthy and broken endpoints at once. */
  readonly routes?: Readonly<Record<string, Partial<Behaviour>>>
  /**
   * Record, per successfully answered request, its `webhook-id` header and arrival time. Needed for
   * latency and duplicate counting; off by default because it costs memory per request.
   */
  readonly recordArrivals?: boolean
}

export interface RouteStats {
  readonly requests: number
  /** Answered 2xx. */
  readonly succeeded: number
  /** Answered with the configured failure status. */
  readonly failed: number
  /** Held open without an answer. */
  readonly hung: number
  readonly bodyBytes: number
}

export interface ReceiverStats extends RouteStats {
  /** Per configured route prefix ("" for the default). */
  readonly byRoute: Readonly<Record<string, RouteStats>>
  /** With recordArrivals: distinct webhook ids answered 2xx, and how many of them more than once. */
  readonly distinctIds: number
  readonly duplicateIds: number
}

/** One successful arrival: epoch milliseconds with sub-millisecond precision, comparable across processes. */
export interface Arrival {
  readonly id: string
  readonly at: number
}

export type Command =
  | { readonly op: "stats" }
  | { readonly op: "reset" }
  | { readonly op: "configure"; readonly config: ReceiverConfig }
  | { readonly op: "arrivals" }

export interface Request {
  readonly id: number
  readonly command: Command
}

export type ToParent =
  | { readonly type: "ready"; readonly port: number }
  | { readonly type: "reply"; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly type: "reply"; readonly id: number; readonly ok: false; readonly error: string }
