import json,sys,re,glob,statistics
tag=sys.argv[1]
rows=[]
for f in sorted(glob.glob(f'runs/{tag}-*.json')):
  v,i=re.search(r'-([A-Z]\w*)-(\d+)\.json',f).groups()
  r=json.load(open(f)); d={}
  for c in r['cases']:
    for m in c['metrics']:
      if 'undici' in m['name']: d['ceil']=m['value']
      if m['name'].startswith('1:1'): d['r11']=m['value']; d['note11']=m['note']
      if m['name'].startswith('fan-out'): d['rfan']=m['value']; d['notefan']=m['note']
  txt=open(f.replace('.json','.txt')).read()
  la=re.search(r'load average: ([\d.]+)',txt); d['load']=float(la.group(1)) if la else None
  def cpu(note):
    m=re.search(r'Hookline (\d+) µs, PostgreSQL (\d+) µs',note); return int(m.group(1)),int(m.group(2))
  d['hl11'],d['pg11']=cpu(d['note11']); d['hlfan'],d['pgfan']=cpu(d['notefan'])
  m=re.search(r'1:1.*?rows delivered at stop (\d+)/30000.*?caught up ([\d.]+) s later; CPU/delivery incl. catch-up: hookline (\d+) µs, postgres (\d+)',txt)
  d['lagrows'],d['catch'],d['hlset'],d['pgset']=(int(m.group(1)),float(m.group(2)),int(m.group(3)),int(m.group(4))) if m else (None,)*4
  rows.append((v,i,d))
print("| run | load avg | undici ceiling/s | 1:1/s | 1:1 ratio | fan-out/s | fan-out ratio | HL µs 1:1 | PG µs 1:1 | PG µs 1:1 incl. projection catch-up | projection rows at stop | HL µs fan | PG µs fan |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for v,i,d in sorted(rows):
  print(f"| {v}{i} | {d['load']} | {d['ceil']:,.0f} | {d['r11']:,.0f} | {100*d['r11']/d['ceil']:.1f}% | {d['rfan']:,.0f} | {100*d['rfan']/d['ceil']:.1f}% | {d['hl11']} | {d['pg11']} | {d['pgset']} | {d['lagrows']}/30000 | {d['hlfan']} | {d['pgfan']} |")
for v in sorted(set(vv for vv,_,_ in rows)):
  ds=[d for vv,i,d in rows if vv==v]
  if not ds: continue
  med=lambda k: statistics.median([d[k] for d in ds])
  print(f"| **{v} median** | | {med('ceil'):,.0f} | {med('r11'):,.0f} | {100*statistics.median([d['r11']/d['ceil'] for d in ds]):.1f}% | {med('rfan'):,.0f} | {100*statistics.median([d['rfan']/d['ceil'] for d in ds]):.1f}% | {med('hl11')} | {med('pg11')} | {med('pgset')} | | {med('hlfan')} | {med('pgfan')} |")
