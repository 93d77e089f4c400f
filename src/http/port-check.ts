import { Effect, Schema } from "effect"
import { createServer } from "node:net"

export class PortInUse extends Schema.TaggedError<PortInUse>()("PortInUse", {
  host: Schema.String,
  port: Schema.Number
}) {
  override get message(): string {
    return `${this.host}:${this.port} is already in use: stop what listens there, or set HOST and PORT`
  }
}

/**
 * Fails with `PortInUse` when `host:port` cannot be listened on, by listening and closing at once. Run
 * before anything else starts: otherwise PostgreSQL is started, the migrations run and a new operator
 * token is printed and stored, and only then does the server's own listen fail. Another process can
 * still take the port between this check and the server's listen; the server then fails as before.
 */
export const ensurePortFree = (host: string, port: number): Effect.Effect<void, PortInUse> =>
  Effect.callback<void, PortInUse>((resume) => {
    const probe = createServer()
    probe.once("error", (error: NodeJS.ErrnoException) =>
      resume(
        error.code === "EADDRINUSE" || error.code === "EACCES"
          ? Effect.fail(new PortInUse({ host, port }))
          // Anything else (a host that is not this machine's, say) is the server's to report.
          : Effect.void
      )
    )
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resume(Effect.void)))
    return Effect.sync(() => probe.close())
  })
