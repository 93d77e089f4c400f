#!/bin/bash
# usage: tools/profrun.sh TAG A|B [heap]  — one instrumented run (CPU profile, pg_stat_statements, GC observer[, heap sampling])
cd /work/h13
tag=$1; v=$2
unset HOOKLINE_INLINE_PROJECTION HOOKLINE_INLINE_PUBLISHED H13_ENVELOPE_CACHE H13_SEMI
case $v in
  B) export HOOKLINE_INLINE_PROJECTION=1;;
  C) export HOOKLINE_INLINE_PROJECTION=1 HOOKLINE_INLINE_PUBLISHED=1;;
  D) export HOOKLINE_INLINE_PROJECTION=1 HOOKLINE_INLINE_PUBLISHED=1 H13_ENVELOPE_CACHE=100000;;
  S8) export H13_SEMI=8;; S16) export H13_SEMI=16;; S64) export H13_SEMI=64;; S32) export H13_SEMI=32;;
  D16) export HOOKLINE_INLINE_PROJECTION=1 HOOKLINE_INLINE_PUBLISHED=1 H13_SEMI=16;;
  D64) export HOOKLINE_INLINE_PROJECTION=1 HOOKLINE_INLINE_PUBLISHED=1 H13_SEMI=64;;
esac
mkdir -p runs/$tag/prof runs/$tag/obs; rm -f runs/$tag/marks.jsonl
export H13_OBS_DIR=/work/h13/runs/$tag/obs HOOKLINE_BENCH_SIGNAL=1 HOOKLINE_BENCH_MARKS=/work/h13/runs/$tag/marks.jsonl
export HOOKLINE_BENCH_NODE_OPTIONS="--import /work/h13/tools/observer.mjs"
if [ "$3" = heap ]; then export H13_HEAP=1; elif [ "$3" = obs ]; then :; else export HOOKLINE_BENCH_CPU_PROF=/work/h13/runs/$tag/prof HOOKLINE_BENCH_PGSS=/work/h13/runs/$tag/pgss; fi
export HOOKLINE_PG_EXTRA_FLAGS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c pg_stat_statements.track_planning=on -c pg_stat_statements.max=2000"
uptime > runs/$tag/out.txt
timeout 600 npx tsx bench/run.ts ceiling delivery >> runs/$tag/out.txt 2>&1
cp bench/results/latest.json runs/$tag/result.json
