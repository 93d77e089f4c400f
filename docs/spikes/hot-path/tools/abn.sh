#!/bin/bash
# usage: tools/abn.sh TAG ROUNDS VARIANT...   variants: A (baseline) B (inline deliveries) C (B + inline published_events) D (C + envelope cache 100k)
cd /work/h13
tag=$1; n=$2; shift 2
for i in $(seq 1 $n); do
  for v in "$@"; do
    unset HOOKLINE_INLINE_PROJECTION HOOKLINE_INLINE_PUBLISHED H13_ENVELOPE_CACHE H13_SEMI
    case $v in
      B) export HOOKLINE_INLINE_PROJECTION=1;;
      C) export HOOKLINE_INLINE_PROJECTION=1 HOOKLINE_INLINE_PUBLISHED=1;;
      D) export HOOKLINE_INLINE_PROJECTION=1 HOOKLINE_INLINE_PUBLISHED=1 H13_ENVELOPE_CACHE=100000;;
      S8) export H13_SEMI=8;; S16) export H13_SEMI=16;; S64) export H13_SEMI=64;;
      D64) export HOOKLINE_INLINE_PROJECTION=1 HOOKLINE_INLINE_PUBLISHED=1 H13_ENVELOPE_CACHE=100000 H13_SEMI=64;;
      D16) export HOOKLINE_INLINE_PROJECTION=1 HOOKLINE_INLINE_PUBLISHED=1 H13_ENVELOPE_CACHE=100000 H13_SEMI=16;;
    esac
    uptime > runs/$tag-$v-$i.txt
    timeout 600 npx tsx bench/run.ts ceiling delivery >> runs/$tag-$v-$i.txt 2>&1
    cp bench/results/latest.json runs/$tag-$v-$i.json
  done
done
echo done > runs/$tag.done
