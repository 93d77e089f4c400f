#!/usr/bin/env python3
"""Allocation by module / function from a sampling heap profile (objects collected included). usage: heapsum.py FILE DELIVERIES [TOP]"""
import json, sys, collections
p = json.load(open(sys.argv[1])); N = float(sys.argv[2]); top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
def short(url):
    if "node_modules/" in url:
        r = url.split("node_modules/")[-1].split("/"); return r[0] + ("/" + r[1] if r[0].startswith("@") else "")
    if "/dist/" in url: return "hookline:" + url.split("/dist/")[-1]
    return url or "(builtin/native)"
mod = collections.Counter(); fn = collections.Counter(); owner = collections.Counter(); total = 0
def walk(n, chain):
    global total
    cf = n["callFrame"]; s = n.get("selfSize", 0)
    here = chain + [cf]
    if s:
        total += s
        mod[short(cf["url"])] += s
        fn[(cf["functionName"] or "(anon)") + " " + short(cf["url"]) + ":" + str(cf["lineNumber"])] += s
        # nearest Hookline frame on the stack: who asked for it
        o = next((short(c["url"]) + " " + (c["functionName"] or "anon") for c in reversed(here) if "/h13/dist/" in c["url"]), "(no hookline frame: " + short(cf["url"]) + ")")
        owner[o] += s
    for c in n.get("children", []): walk(c, here)
walk(p["head"], [])
print(f"sampled allocation {total/1e6:.1f} MB; {total/N/1024:.1f} KiB per delivery")
for title, c in (("module", mod), ("function", fn), ("nearest Hookline frame", owner)):
    print(f"\n| {title} | KiB/delivery | % |\n|---|---:|---:|")
    for k, v in c.most_common(top): print(f"| {k} | {v/N/1024:.2f} | {100*v/total:.1f} |")
