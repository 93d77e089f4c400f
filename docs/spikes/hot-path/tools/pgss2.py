import json,sys,re,collections
def classify(q):
  q=re.sub(r'\s+',' ',q)
  if q.startswith('WITH head'):
    n=q.count('events.event_type =')//2
    return {8:'typed read: deliveries projection (8 types)',2:'typed read: deliveries projection live (4 types)',1:'typed read: published_events projection (1 type)',7:'typed read: dispatcher (7 types)',11:'typed read: runtime webhook follower (11 types)',6:'typed read: accounts/webhooks projection (6 types)'}.get(n, f'typed read ({n} types)')
  if q.startswith('WITH a AS MATERIALIZED (SELECT * FROM append_events') and 'INSERT INTO published_events' in q: return 'append: publish batches + inline published_events (C)'
  if q.startswith('WITH a AS MATERIALIZED (SELECT * FROM append_events'): return 'append: recorder attempts + inline deliveries/health (B)'
  if q.startswith('WITH a AS MATERIALIZED (SELECT * FROM advance_reactor'): return 'append: dispatcher DeliveriesScheduled + checkpoint + inline deliveries insert (B)'
  if q.startswith('SELECT * FROM append_events($1'): return 'append: publish batches (+ recorder attempts in A)'
  if q.startswith('SELECT * FROM advance_reactor'): return 'append: dispatcher DeliveriesScheduled + checkpoint'
  if q.startswith('INSERT INTO published_events'): return 'projection write: published_events insert'
  if q.startswith('INSERT INTO deliveries_g'): return 'projection write: deliveries insert'
  if q.startswith('UPDATE deliveries_g'): return 'projection write: deliveries update'
  if 'endpoint_health_g' in q: return 'projection write: endpoint_health'
  if q.startswith('UPDATE projection_checkpoints'): return 'projection checkpoint'
  if q.startswith('SELECT data, metadata FROM events'): return 'envelope reload from the log (cache miss)'
  if 'FROM deliveries WHERE status IN' in q: return 'due scan'
  if q.startswith('SELECT pg_notify'): return 'notification (pg_notify)'
  if 'pg_snapshot_xmin(pg_current_snapshot())::text AS xmin' in q: return 'xmin watcher'
  if 'api_keys' in q: return 'api key lookup'
  if q.startswith(('BEGIN','COMMIT')): return 'BEGIN/COMMIT'
  if 'count(*) FILTER (WHERE status' in q or 'SELECT event_type, count(*)' in q: return '(bench polling, not Hookline)'
  return 'other: '+q[:70]
for f in sys.argv[1:]:
  d=json.load(open(f)); N=d['expected']
  agg=collections.defaultdict(lambda:[0,0.0,0])
  for r in d['rows']:
    if not r['toplevel'] or 'pg_stat' in r['query']: continue
    c=classify(r['query']); a=agg[c]; a[0]+=int(r['calls']); a[1]+=r['total_exec_time']+r['total_plan_time']; a[2]+=int(r['rows'])
  tot=sum(a[1] for a in agg.values())
  print(f"\n### {f}: {N} deliveries; top-level statement time {tot*1000/N:.0f} µs per delivery (wall time inside statements, all backends)")
  print("| statement group | calls per 1,000 deliveries | µs per delivery | share | ms per call | rows per call |\n|---|---:|---:|---:|---:|---:|")
  for c,a in sorted(agg.items(), key=lambda kv:-kv[1][1]):
    if a[1]*1000/N < 0.05: continue
    print(f"| {c} | {1000*a[0]/N:.1f} | {a[1]*1000/N:.1f} | {100*a[1]/tot:.1f}% | {a[1]/max(a[0],1):.2f} | {a[2]/max(a[0],1):.0f} |")
  if 'tables' in d:
    print("\n| table | inserts | updates | HOT updates |\n|---|---:|---:|---:|")
    for t in d['tables']:
      if int(t['n_tup_ins'])+int(t['n_tup_upd'])>100: print(f"| {t['relname']} | {t['n_tup_ins']} | {t['n_tup_upd']} | {t['n_tup_hot_upd']} |")
    print("WAL:", d['wal'], f"→ {int(d['wal'][0]['wal_bytes'])/N:.0f} WAL bytes and {int(d['wal'][0]['wal_records'])/N:.1f} WAL records per delivery (whole cluster)")
