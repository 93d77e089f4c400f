import json,sys,re
d=json.load(open(sys.argv[1])); N=d['expected']
rows=d['rows']
tot=sum(r['total_exec_time']+r['total_plan_time'] for r in rows if r['toplevel'])
print(f"deliveries {N}; top-level exec+plan total {tot:.0f} ms = {tot*1000/N:.1f} µs/delivery")
print("| calls/delivery | µs/delivery (exec+plan) | ms/call | rows/call | top | query |\n|---:|---:|---:|---:|---|---|")
for r in rows[:int(sys.argv[2]) if len(sys.argv)>2 else 30]:
  t=r['total_exec_time']+r['total_plan_time']
  q=re.sub(r'\s+',' ',r['query'])[:150].replace('|','\\|')
  print(f"| {int(r['calls'])/N:.3f} | {t*1000/N:.1f} | {t/max(int(r['calls']),1):.3f} | {int(r['rows'])/max(int(r['calls']),1):.1f} | {'y' if r['toplevel'] else 'n'} | {r['datname']}: `{q}` |")
