import sys, collections, bisect, statistics
ev = collections.defaultdict(dict); glob = collections.defaultdict(list)
for line in open(sys.argv[1]):
    t, stage, key = line.split()
    t = float(t)
    if key.startswith("lat-"): ev[key].setdefault(stage, t)
    else: glob[stage].append(t)
for k in glob: glob[k].sort()
first = int(sys.argv[2]) if len(sys.argv) > 2 else 300
stages = ["b.sent", "pub.append", "pub.committed", "b.acked", "d.woken", "d.readDone", "d.appended", "d.submitted", "a.take", "a.send", "a.resp", "r.arrived"]
def prev(name, t):
    arr = glob[name]; i = bisect.bisect_right(arr, t) - 1
    return arr[i] if i >= 0 else None
gaps = collections.defaultdict(list); e2e = []
for key, s in ev.items():
    if int(key[4:]) < first or any(x not in s for x in ["b.sent","pub.committed","d.readDone","a.send","r.arrived","b.acked"]): continue
    # the dispatcher's wake-up that led to this read: last d.woken before its read completed
    s = dict(s)
    w = prev("d.woken", s["d.readDone"])
    if w is not None and w >= s["pub.committed"] - 0.5: s["d.woken"] = w
    x = prev("n.xmin", s.get("d.woken", s["d.readDone"]))
    if x is not None and x >= s["pub.committed"]: s["n.xmin"] = x
    order = ["b.sent", "pub.append", "pub.committed", "n.xmin", "d.woken", "d.readDone", "d.appended", "d.submitted", "a.take", "a.send", "r.arrived"]
    present = [o for o in order if o in s]
    for a, b in zip(present, present[1:]): gaps[f"{a} → {b}"].append(s[b] - s[a])
    gaps["202 (b.acked) → r.arrived"].append(max(0.0, s["r.arrived"] - s["b.acked"]))
    gaps["pub.committed → r.arrived"].append(s["r.arrived"] - s["pub.committed"])
    gaps["pub.committed → b.acked (202 travel to client)"].append(s["b.acked"] - s["pub.committed"])
def pct(v, p): v = sorted(v); return v[min(len(v)-1, int(p/100*len(v)))]
print(f"| step | n | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|")
for k, v in gaps.items():
    print(f"| {k} | {len(v)} | {pct(v,50):.2f} | {pct(v,90):.2f} | {pct(v,99):.2f} | {max(v):.2f} |")
