import { SqlClient } from "effect/sql/SqlClient"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Client, createAccount, items, type Response, startTestServer, type Started, webhookInput } from "../../support/http-server.js"

let server: Started
let client: Client

beforeAll(async () => {
  server = await startTestServer({ allowPrivateTargets: true })
  client = server.client
})
afterAll(() => server.stop())

/**
 * Moves the cluster's transaction ids to just below the next power of ten, so what follows crosses a
 * digit boundary: a query that sorts transaction ids as text (an alias shadowing the column in ORDER BY,
 * a bug this code base had twice) puts 10000 before 9999 and fails here.
 */
const burnToDigitBoundary = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* sql.unsafe(`CREATE OR REPLACE PROCEDURE burn_xids(n integer) LANGUAGE plpgsql AS $$
    BEGIN
      SET LOCAL synchronous_commit = off;
      FOR i IN 1..n LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP;
    END $$`)
  const current = Number((yield* sql<{ x: string }>`SELECT pg_current_xact_id()::text AS x`)[0]!.x)
  const target = 10 ** Math.ceil(Math.log10(current + 50))
  yield* sql.unsafe(`CALL burn_xids(${Math.max(0, target - current - 4)})`)
})

describe("list order across a transaction-id digit boundary", () => {
  it("pages webhooks in creation order", async () => {
    const { key } = await createAccount(client, "pro")
    await server.runtime.runPromise(burnToDigitBoundary)
    const ids: Array<string> = []
    for (let i = 0; i < 8; i++) {
      const created = await client.request("POST", "/v1/webhooks", { token: key, json: webhookInput({ name: `w${i}` }) })
      ids.push(String(created.body.id))
    }
    const seen: Array<string> = []
    let cursor: string | null = null
    for (let page = 0; page < 10; page++) {
      const response: Response = await client.request("GET", `/v1/webhooks?limit=3${cursor === null ? "" : `&cursor=${cursor}`}`, { token: key })
      seen.push(...items(response.body.data).map((w) => String(w.id)))
      cursor = response.body.nextCursor === null ? null : String(response.body.nextCursor)
      if (cursor === null) break
    }
    expect(seen).toEqual(ids)
  })
})
