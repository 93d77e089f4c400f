import pg from "pg"
const db = new pg.Client({ host: "127.0.0.1", port: 55432, user: "postgres", password: "postgres", database: "spike" })
await db.connect()
const r = await db.query(process.argv[2])
console.table(r.rows)
await db.end()
