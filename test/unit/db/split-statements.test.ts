import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { migrationsDirectory, splitStatements } from "../../../src/db/migrations.js"

describe("splitStatements (migration scripts cut for @effect/sql-pg 4's one-command Parse)", () => {
  it("cuts at semicolons outside strings, quoted identifiers, dollar-quoted bodies and comments", () => {
    const script = `
      -- a comment; with a semicolon
      CREATE TABLE "odd;name" (v text DEFAULT 'a;b''c');
      /* block; /* nested; */ still comment; */
      CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'no; never'; RETURN NULL; END
      $$;
      CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $body$ SELECT 'x;y' $body$;
      SELECT E'it\\'s; fine', $1;
      -- only a comment after the last statement;
    `
    expect(splitStatements(script)).toEqual([
      `-- a comment; with a semicolon\n      CREATE TABLE "odd;name" (v text DEFAULT 'a;b''c')`,
      `/* block; /* nested; */ still comment; */\n      CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\n        BEGIN RAISE EXCEPTION 'no; never'; RETURN NULL; END\n      $$`,
      `CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $body$ SELECT 'x;y' $body$`,
      `SELECT E'it\\'s; fine', $1`
    ])
  })

  it("keeps every migration file's dollar-quoted bodies whole", () => {
    for (const file of readdirSync(migrationsDirectory).filter((f) => f.endsWith(".sql"))) {
      const statements = splitStatements(readFileSync(path.join(migrationsDirectory, file), "utf8"))
      expect(statements.length, file).toBeGreaterThan(0)
      for (const statement of statements) {
        // An even number of each dollar tag: no body was cut in two.
        const tags = statement.match(/\$[A-Za-z_]*\$/g) ?? []
        const counts = new Map<string, number>()
        for (const tag of tags) counts.set(tag, (counts.get(tag) ?? 0) + 1)
        for (const [tag, count] of counts) expect(count % 2, `${file}: ${tag} in ${statement.slice(0, 80)}`).toBe(0)
      }
    }
  })
})
