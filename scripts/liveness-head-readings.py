#!/usr/bin/env python3
"""Read against applied for the synthetic heads of a liveness-sessions run
(docs/benchmarks.md, "Liveness bona fide: the head's outline turns with it").

    scripts/liveness-head-readings.py REPORT.json DIR

REPORT.json: `mien eval liveness-sessions --dir DIR --json REPORT.json --trace`
on DIR, written by scripts/liveness-sessions.sh. For every bona fide synthetic
head session and each challenge it asks: the peak the session read (|yaw| of a
turn, pitch of a look-up, mouth opening over the session's lowest of its first
6 frames) against the peak applied (truth.json's `applied`), per action the
median and range, and the count under the checker's thresholds; then each
rejected session's first reason.
"""
import json
import os
import statistics as st
import sys

d = json.load(open(sys.argv[1]))
root = sys.argv[2]
acc={}
fails={}
for s in d['sessions']:
  if s['species']!='bona_fide_warp': continue
  if not s['live']:
    r=s.get('reasons') or ['?']
    fails[s['name']]=r[0]
  t=json.load(open(os.path.join(root,'sequences',s['species'],s['name'],'truth.json')))
  app={f['file']:f.get('applied') for f in t['frames']}
  tr=s['trace']
  rest=[x['measure'].get('mouth_open',0) for x in tr[:6] if x['measure'].get('faces')==1]
  rm=min(rest) if rest else 0
  for a in t['challenges']:
    fr=[x for x in tr if x['shows']==a and x['measure'].get('faces')==1]
    if not fr: continue
    if a=='look_up': r,ap=max(x['measure'].get('pitch',0) for x in fr),max(app[x['file']][1] for x in fr)
    elif a=='open_mouth': r,ap=max(x['measure'].get('mouth_open',0) for x in fr)-rm,max(app[x['file']][2] for x in fr)
    else: r,ap=max(abs(x['measure'].get('yaw',0)) for x in fr),max(abs(app[x['file']][0]) for x in fr)
    acc.setdefault(a,[]).append((r,ap))
thr={'turn_left':20,'turn_right':20,'look_up':15,'open_mouth':0.2}
for a,v in sorted(acc.items()):
  rs=[r for r,_ in v]; ratio=[r/ap for r,ap in v if ap]
  print('%-10s n=%2d applied %.1f-%.1f read med %.2f min %.2f | read/applied med %.2f (%.2f-%.2f) | under %g: %d'%(a,len(v),min(x for _,x in v),max(x for _,x in v),st.median(rs),min(rs),st.median(ratio),min(ratio),max(ratio),thr[a],sum(r<thr[a] for r in rs)))
print('failures:',len(fails))
for n,r in sorted(fails.items()): print('  ',n,r)
