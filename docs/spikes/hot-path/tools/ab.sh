#!/bin/bash
# usage: tools/ab.sh TAG PAIRS  — interleaved baseline (A) / inline (B) full-mode ceiling+delivery runs
cd /work/h13
tag=$1; n=$2
for i in $(seq 1 $n); do
  for v in A B; do
    if [ $v = B ]; then export HOOKLINE_INLINE_PROJECTION=1; else unset HOOKLINE_INLINE_PROJECTION; fi
    uptime >> runs/$tag-$v-$i.txt
    timeout 600 npx tsx bench/run.ts ceiling delivery >> runs/$tag-$v-$i.txt 2>&1
    cp bench/results/latest.json runs/$tag-$v-$i.json
  done
done
echo done > runs/$tag.done
