#!/usr/bin/env python3
"""Summarise a V8 .cpuprofile: self time by category / module / function, optionally sliced to a time window.
usage: profsum.py PROFILE [--marks marks.jsonl --label-prefix 1:1] [--deliveries N] [--top 40]"""
import json, sys, argparse, collections
ap = argparse.ArgumentParser()
ap.add_argument("profile"); ap.add_argument("--marks"); ap.add_argument("--label", default="1:1")
ap.add_argument("--deliveries", type=float); ap.add_argument("--top", type=int, default=40)
ap.add_argument("--json"); ap.add_argument("--settled", action="store_true"); ap.add_argument("--cat", action="append", default=[])
a = ap.parse_args()
p = json.load(open(a.profile))
nodes = {n["id"]: n for n in p["nodes"]}
parent = {}
for n in p["nodes"]:
    for c in n.get("children", []): parent[c] = n["id"]
t0, t1 = None, None
if a.marks:
    for line in open(a.marks):
        m = json.loads(line)
        if m["label"].startswith(a.label): t0, t1, dels = m["startUs"], (m["settledUs"] if a.settled else m["endUs"]), m["expected"]
    if a.deliveries is None: a.deliveries = dels

def short(url):
    if "node_modules/" in url:
        rest = url.split("node_modules/")[-1].split("/")
        return rest[0] + ("/" + rest[1] if rest[0].startswith("@") else "")
    if "/dist/" in url: return "hookline:" + url.split("/dist/")[-1]
    return url or "(builtin)"

def category(fn, url, nid):
    if fn == "(garbage collector)": return "GC"
    if "/dist/" in url and fn in ("runAppend", "envelope", "jsonByteLength") : return "JSON serialise/parse"
    if url.endswith("/dist/domain/json.js") and fn == "try": return "JSON serialise/parse"
    if fn == "(idle)": return "idle"
    if fn == "(program)": return "V8/native (program)"
    if fn == "(root)": return "idle"
    if url == "":
        if fn in ("stringify", "parse") : return "JSON serialise/parse"
        # a builtin: charge it to the caller's category
        pid = parent.get(nid)
        while pid is not None:
            pn = nodes[pid]["callFrame"]
            if pn["url"] != "": return category(pn["functionName"], pn["url"], pid)
            pid = parent.get(pid)
        return "V8/native (program)"
    s = short(url)
    if s == "undici": return "undici send (HTTP client)"
    if s.startswith("node:internal/crypto/random"): return "randomUUID"
    if "crypto" in s or s.endswith("delivery/signer.js"): return "signing (HMAC)"
    if s == "effect": return "Effect runtime"
    if s in ("@effect/sql-pg", "pg", "pg-protocol", "pg-types", "postgres-date", "postgres-array", "postgres-interval", "postgres-bytea", "pg-pool", "pg-connection-string", "pgpass", "@effect/platform-node") :
        if s == "@effect/platform-node": return "Effect platform-node"
        return "pg protocol client: @effect/sql-pg (appends, read-model writes, pool SQL)" if s == "@effect/sql-pg" else "pg protocol client: node-postgres (typed log reads, xmin, LISTEN)"
    if s.startswith("hookline:eventstore/"): return "event store (" + s.split("/")[-1] + ")"
    if s.startswith("hookline:projections/"): return "projection runner/" + s.split("/")[-1]
    if s.startswith("hookline:delivery/"): return "delivery/" + s.split("/")[-1]
    if s.startswith("hookline:"): return "hookline other:" + s[9:]
    if s.startswith("node:internal/modules") or s.startswith("node:internal/process/esm"): return "module loading"
    if s.startswith("node:") :
        # charge node internals to the nearest caller outside node:/builtins (who asked for the I/O)
        pid = parent.get(nid)
        while pid is not None:
            pn = nodes[pid]["callFrame"]
            if pn["url"] != "" and not pn["url"].startswith("node:"):
                return "node I/O for: " + category(pn["functionName"], pn["url"], pid)
            pid = parent.get(pid)
        if any(k in s for k in ("timers", "task_queues", "async_hooks", "process/")): return "Node timers/microtasks"
        return "Node net/streams/buffers"
    return "other:" + s

samples, deltas = p["samples"], p["timeDeltas"]
t = p["startTime"]
self_cat = collections.Counter(); self_fn = collections.Counter(); self_mod = collections.Counter()
total = 0
catfn = collections.Counter()
times = []
for i, sid in enumerate(samples):
    t += deltas[i]; times.append(t)
for i, sid in enumerate(samples):
    w = (times[i + 1] - times[i]) if i + 1 < len(samples) else 0
    if t0 is not None and not (t0 <= times[i] <= t1): continue
    n = nodes[sid]; cf = n["callFrame"]
    c = category(cf["functionName"], cf["url"], sid)
    self_cat[c] += w
    self_mod[short(cf["url"])] += w
    self_fn[(cf["functionName"] or "(anon)") + " " + short(cf["url"]) + ":" + str(cf["lineNumber"])] += w
    total += w
    for cc in a.cat:
        if cc in c:
            # leaf function plus the nearest 3 distinct non-builtin ancestors
            chain=[]; pid=parent.get(sid)
            while pid is not None and len(chain)<4:
                pf=nodes[pid]["callFrame"]
                if pf["url"]!="" : chain.append((pf["functionName"] or "anon")+"@"+short(pf["url"]).split("/")[-1]+":"+str(pf["lineNumber"]))
                pid=parent.get(pid)
            catfn[(cc, (cf["functionName"] or "(anon)")+"@"+short(cf["url"]).split("/")[-1]+" <- "+" <- ".join(chain))]+=w
busy = total - self_cat["idle"]
print(f"window {'whole' if t0 is None else f'{(t1-t0)/1e6:.2f}s'}; sampled {total/1e6:.2f}s, busy {busy/1e6:.2f}s" + (f"; deliveries {a.deliveries:.0f}; busy µs/delivery (profiled) {busy/a.deliveries:.1f}" if a.deliveries else ""))
def table(counter, title, n):
    print(f"\n{title}\n| what | busy % | µs/delivery (profiled) |\n|---|---:|---:|")
    for k, v in counter.most_common(n):
        if k == "idle": continue
        print(f"| {k} | {100*v/busy:.1f} | {v/a.deliveries if a.deliveries else 0:.1f} |")
table(self_cat, "self time by category", 60)
table(self_mod, "self time by module", a.top)
table(self_fn, "self time by function", a.top)
if a.json:
    json.dump({"busyUs": busy, "deliveries": a.deliveries, "cat": dict(self_cat)}, open(a.json, "w"))

for cc in a.cat:
    print(f"\n## top stacks in category containing '{cc}'")
    for (k, f), v in catfn.most_common(400):
        if k == cc and v/busy > 0.001: print(f"{100*v/busy:5.2f}%  {f}")

GROUPS = [
  ("undici send (client, sockets, llhttp wasm, http-sender)", lambda c: "undici" in c or "http-sender" in c or "wasm" in c),
  ("signing (node:crypto HMAC, key objects)", lambda c: "signing" in c),
  ("JSON serialise/parse (append batches, envelopes, size checks, jsonb parse)", lambda c: c.startswith("JSON")),
  ("Effect runtime (fibers, queues, deferreds, scheduler)", lambda c: "Effect runtime" in c or "Node timers" in c),
  ("pg protocol client (pg, @effect/sql-pg encode/decode, socket writes)", lambda c: "pg protocol" in c),
  ("event store append (event-store.js, group commit, recorder, notifications)", lambda c: c.startswith("event store") or "group-commit" in c or "recorder" in c),
  ("projection runner + read models", lambda c: "projection runner" in c),
  ("GC", lambda c: c == "GC"),
  ("publish API (HTTP server, json-guard, validation, published-events)", lambda c: "platform-node" in c or "http/" in c or "published-event" in c or "fast-guard" in c or "event-types" in c or "app/" in c and "group-commit" not in c),
  ("delivery logic (actor, runtime, dispatcher, directory, outcome, envelope cache)", lambda c: c.startswith("delivery/") or "node I/O for: delivery" in c),
  ("randomUUID", lambda c: c == "randomUUID"),
]
print("\n## grouped (self time, node-internal I/O charged to its caller)\n| group | busy % | µs/delivery (profiled) |\n|---|---:|---:|")
left = dict(self_cat); left.pop("idle", None)
for name, pred in GROUPS:
    v = 0
    for k in list(left):
        if pred(k): v += left.pop(k)
    print(f"| {name} | {100*v/busy:.1f} | {v/a.deliveries if a.deliveries else 0:.1f} |")
rest = sum(left.values())
print(f"| other: {', '.join(k for k,_ in sorted(left.items(), key=lambda kv:-kv[1])[:6])} | {100*rest/busy:.1f} | {rest/a.deliveries if a.deliveries else 0:.1f} |")
