#!/usr/bin/env bash
# OA-ARDM against Upscale ARDMs (b = 2, 4, 16, matrix parametrization) on Fashion-MNIST, with the
# same network, batch, EMA and number of training steps, trained one after another.
#
#   bash bench/upscale_compare.sh train [STEPS]      # the four runs, into runs/cmp-{oa,up4,up16,up2}
#   bash bench/upscale_compare.sh eval [FILES]       # the table: bounds, exact and file bpd at budgets 20, 50, 100
#   ONLY=up4 NOHEADER=1 bash bench/upscale_compare.sh eval ...   # one model's rows
#
# eval: the test bound (all steps) and each budget's policy bound on the first BOUND_LIMIT test
# images (default all 10,000; 1 pass), and on the first FILES test images
# (default 100) compressed one per file: the real file sizes, the model's exact fixed-order code
# length, and how many decoded again from the files to the exact original. THREADS: CPU threads
# of each command (default all cores).
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
    if [ -f "runs/cmp-$name/checkpoint.pt" ]; then
      grep -q "\"step\":$steps," "runs/cmp-$name/metrics.jsonl" && { echo "$name: already at step $steps"; continue; }
      resume=(--resume)  # continue a run cut short
    fi
    /usr/bin/time -f "%e s wall" "$ARDM" train --out "runs/cmp-$name" "${resume[@]}" --upscale "$b" --steps "$steps" \
      --ema 0.995 --threads 2 -q >> "runs/cmp-$name.log" 2>&1
    echo "$name done: $(tail -n 1 "runs/cmp-$name.log")"
  done
  ;;
eval)
  files=${2:-100}
  blimit=${BOUND_LIMIT:-10000} threads=${THREADS:-$(nproc)}
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  [ -n "${NOHEADER:-}" ] || printf '| model | steps | train img/s | test bound | budget | bound | exact | file bpd | round trip |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n'
  for r in "${runs[@]}"; do
    name=${r%%:*}
    [ -z "${ONLY:-}" ] || [ "$ONLY" = "$name" ] || continue
    ck="runs/cmp-$name/checkpoint.pt"
    [ -f "$ck" ] || continue
    steps=$(grep -o '"step":[0-9]*' "runs/cmp-$name/metrics.jsonl" | tail -n 1 | cut -d: -f2)
    # the median of the logged rates: robust to minutes when the machine was busy with other work
    ips=$(grep -o '"images_per_s":[0-9.]*' "runs/cmp-$name/metrics.jsonl" | cut -d: -f2 | sort -n |
          awk '{v[NR] = $1} END {printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
    bound=$("$ARDM" eval --model "$ck" --passes 1 --limit "$blimit" --threads "$threads" -q | grep -o 'bound: [0-9.]*' | cut -d' ' -f2)
    for k in 20 50 100; do
      pb=$("$ARDM" eval --model "$ck" --budget "$k" --passes 1 --limit "$blimit" --exact-limit 0 --threads "$threads" -q |
           grep -o 'policy bound: [0-9.]*' | cut -d' ' -f3)
      # The codec's exact code length is the model's exact fixed-order likelihood under the
      # policy (a test checks the two agree); --verify decodes every file again from disk.
      rm -rf "$work/c"
      out=$("$ARDM" compress --data fashion-mnist --split test --limit "$files" --verify -q -o "$work/c" \
            --model "$ck" --budget "$k" --threads "$threads")
      fb=$(echo "$out" | grep -o '[0-9.]* bpd from the file sizes' | cut -d' ' -f1)
      ex=$(echo "$out" | grep -o "exact code length [0-9.]*" | cut -d' ' -f4)
      ok=$(echo "$out" | grep -o '[0-9]* decoded to the exact original' | cut -d' ' -f1)
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s/%s |\n' "$name" "$steps" "$ips" "$bound" "$k" "$pb" "$ex" "$fb" "$ok" "$files"
    done
  done
  ;;
*) echo "usage: $0 train [STEPS] | eval [FILES]" >&2; exit 2 ;;
esac
