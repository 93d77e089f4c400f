/**
 * A real HTTP receiver on 127.0.0.1 for the sender's tests: records what reached it, down to connections,
 * so a test can prove that nothing did.
 */
import { createServer } from "node:http"
import type { IncomingMessage, ServerResponse } from "node:http"
import { createServer as createNetServer } from "node:net"
import type { AddressInfo, Server, Socket } from "node:net"
import { Effect } from "effect"
import type { Scope } from "effect"

export interface ReceivedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

export type Respond = (request: ReceivedRequest, res: ServerResponse, socket: Socket) => void

export interface Receiver {
  readonly port: number
  readonly url: string
  readonly requests: ReadonlyArray<ReceivedRequest>
  readonly connectionCount: () => number
  /** Resolves when the first request's body has been read. */
  readonly firstRequest: Promise<void>
  /** Resolves when any client socket closes. */
  readonly socketClosed: Promise<void>
}

const listen = (server: Server): Effect.Effect<number> =>
  Effect.callback<number>((resume) => {
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
  })

const close = (server: Server, sockets: Set<Socket>): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resume(Effect.void))
  })

export const receiver = (respond: Respond): Effect.Effect<Receiver, never, Scope.Scope> =>
  Effect.suspend(() => {
    const requests: Array<ReceivedRequest> = []
    const sockets = new Set<Socket>()
    let connections = 0
    let onFirstRequest = () => {}
    let onSocketClosed = () => {}
    const firstRequest = new Promise<void>((resolve) => (onFirstRequest = resolve))
    const socketClosed = new Promise<void>((resolve) => (onSocketClosed = resolve))
    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        const received: ReceivedRequest = {
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8")
        }
        requests.push(received)
        onFirstRequest()
        respond(received, res, req.socket)
      })
    })
    server.on("connection", (socket: Socket) => {
      connections++
      sockets.add(socket)
      socket.on("close", () => {
        sockets.delete(socket)
        onSocketClosed()
      })
    })
    return Effect.acquireRelease(listen(server), () => close(server, sockets)).pipe(
      Effect.map((port): Receiver => ({
        port,
        url: `http://127.0.0.1:${port}`,
        requests,
        connectionCount: () => connections,
        firstRequest,
        socketClosed
      }))
    )
  })

/** A TCP server that answers every connection with the given raw bytes (for malformed responses). */
export const rawReceiver = (bytes: string): Effect.Effect<{ readonly url: string }, never, Scope.Scope> =>
  Effect.suspend(() => {
    const sockets = new Set<Socket>()
    const server = createNetServer((socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      socket.once("data", () => socket.end(bytes))
    })
    return Effect.acquireRelease(listen(server), () => close(server, sockets)).pipe(
      Effect.map((port) => ({ url: `http://127.0.0.1:${port}/hook` }))
    )
  })

/** A port nothing listens on: bound, then released. */
export const closedPort: Effect.Effect<number> = Effect.suspend(() => {
  const server = createNetServer()
  return Effect.flatMap(listen(server), (port) => Effect.as(close(server, new Set()), port))
})
