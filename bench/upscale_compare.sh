#!/usr/bin/env bash
# OA-ARDM against Upscale ARDMs (b = 2, 4, 16, matrix parametrization) on Fashion-MNIST, with the
# same network, batch, EMA and number of training steps, trained one after another.
#
#   bash bench/upscale_compare.sh train [STEPS]      # the four runs, into runs/cmp-{oa,up4,up16,up2}
#   bash bench/upscale_compare.sh eval [N] [FILES]   # the table: bound, exact and file bpd at budgets 20, 50, 100
#
# eval: the test bound on all 10,000 test images (1 pass), the exact fixed-order code length on
# the first N test images (default 1000), and real file sizes of the first FILES test images
# (default 100) compressed one per file and decompressed again in another process.
set -euo pipefail
cd "$(dirname "$0")/.."
ARDM=${ARDM:-build/ardm}
runs=(oa:0 up4:4 up16:16 up2:2)
case "${1:-}" in
train)
  steps=${2:-1500}
  for r in "${runs[@]}"; do
    name=${r%%:*} b=${r##*:}
    resume=()
    [ -f "runs/cmp-$name/checkpoint.pt" ] && resume=(--resume)  # continue a run cut short
    /usr/bin/time -f "%e s wall" "$ARDM" train --out "runs/cmp-$name" "${resume[@]}" --upscale "$b" --steps "$steps" \
      --ema 0.995 --threads 2 -q >> "runs/cmp-$name.log" 2>&1
    echo "$name done: $(tail -n 1 "runs/cmp-$name.log")"
  done
  ;;
eval)
  n=${2:-1000} files=${3:-100}
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  "$ARDM" images --data fashion-mnist --split test --limit "$files" --out "$work/png" > /dev/null
  printf '| model | steps | train img/s | test bound | budget | bound | exact | file bpd | round trip |\n'
  printf '|---|---:|---:|---:|---:|---:|---:|---:|---|\n'
  for r in "${runs[@]}"; do
    name=${r%%:*}
    ck="runs/cmp-$name/checkpoint.pt"
    [ -f "$ck" ] || continue
    steps=$(grep -o '"step":[0-9]*' "runs/cmp-$name/metrics.jsonl" | tail -n 1 | cut -d: -f2)
    # the median of the logged rates: robust to minutes when the machine was busy with other work
    ips=$(grep -o '"images_per_s":[0-9.]*' "runs/cmp-$name/metrics.jsonl" | cut -d: -f2 | sort -n |
          awk '{v[NR] = $1} END {printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
    bound=$("$ARDM" eval --model "$ck" --passes 1 -q | grep -o 'bound: [0-9.]*' | cut -d' ' -f2)
    for k in 20 50 100; do
      out=$("$ARDM" eval --model "$ck" --budget "$k" --passes 1 --exact-limit "$n" -q)
      pb=$(echo "$out" | grep -o 'policy bound: [0-9.]*' | cut -d' ' -f3)
      ex=$(echo "$out" | grep -o 'exact fixed-order: [0-9.]*' | cut -d' ' -f3)
      rm -rf "$work/c" "$work/d"
      mkdir -p "$work/c"
      "$ARDM" compress -q -o "$work/c" --model "$ck" --budget "$k" "$work"/png/*.png
      "$ARDM" decompress -q -o "$work/d" --model "$ck" "$work"/c/*.ardm
      ok=0
      for f in "$work"/png/*.png; do cmp -s "$f" "$work/d/$(basename "$f")" && ok=$((ok + 1)); done
      fb=$(find "$work/c" -name '*.ardm' -printf '%s\n' | awk -v n="$files" '{s += $1} END {printf "%.4f", 8 * s / (n * 784)}')
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s/%s |\n' "$name" "$steps" "$ips" "$bound" "$k" "$pb" "$ex" "$fb" "$ok" "$files"
    done
  done
  ;;
*) echo "usage: $0 train [STEPS] | eval [N] [FILES]" >&2; exit 2 ;;
esac
