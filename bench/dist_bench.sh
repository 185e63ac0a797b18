#!/usr/bin/env bash
# Data-parallel training throughput on this machine: one process with batch 2B against
# `--nproc 2` with batch B per rank (the same global batch, the same steps up to rounding),
# alternating A B A B so drift hits both. Prints the global training rate (images/s, from
# metrics.jsonl after a warm-up) and the wall time of each run, and the ratio pair by pair.
#
# Usage (from anywhere; paths are relative to the repository root):
#   bash bench/dist_bench.sh
#   STEPS=60 BATCH=16 REPEATS=3 NET="--ch 32" bash bench/dist_bench.sh
#
# Settings (environment):
#   STEPS    optimizer steps per run, warm-up included      (default 40)
#   WARMUP   first steps not timed                          (default 10)
#   BATCH    batch per rank; the single process takes 2x   (default 16)
#   REPEATS  pairs                                          (default 3)
#   NET      network flags for `ardm train`                 (default: the default UNet)
#   ARDM     the ardm binary                                (default build/ardm)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

STEPS=${STEPS:-40}
WARMUP=${WARMUP:-10}
BATCH=${BATCH:-16}
REPEATS=${REPEATS:-3}
NET=${NET:-}
ARDM=${ARDM:-build/ardm}
[ -x "$ARDM" ] || { echo "dist_bench: build ardm first ($ARDM)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cores=$(nproc)

# rate RUN: mean images/s of the metrics rows after the warm-up (one row per step)
rate() {
  awk -v w="$WARMUP" -F'"images_per_s":' 'NR > w { split($2, a, ","); s += a[1]; n++ } END { printf "%.1f", n ? s / n : 0 }' \
    "$1/metrics.jsonl"
}
run() { # run NAME ARGS...: prints "images/s wall_s"
  local name=$1; shift
  rm -rf "$work/$name"
  local t0 t1
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$ARDM" train --out "$work/$name" --steps "$STEPS" --log-every 1 --checkpoint-every 0 --limit 4096 -q $NET "$@" \
    >"$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$(rate "$work/$name") $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
}

echo "data-parallel training, $cores cores, $STEPS steps ($WARMUP warm-up), global batch $((2 * BATCH)), net: ${NET:-default}"
printf "%-6s %28s %34s %8s\n" pair "1 process x $((2 * BATCH)) (img/s, wall s)" "--nproc 2 x $BATCH (img/s, wall s)" "B/A"
ratios=()
for i in $(seq "$REPEATS"); do
  read -r ra wa < <(run one --batch $((2 * BATCH)) --threads "$cores")
  read -r rb wb < <(run two --batch "$BATCH" --nproc 2)
  r=$(awk -v a="$ra" -v b="$rb" 'BEGIN { printf "%.3f", b / a }')
  ratios+=("$r")
  printf "%-6s %18s %9s %24s %9s %8s\n" "$i" "$ra" "$wa" "$rb" "$wb" "$r"
done
med=$(printf "%s\n" "${ratios[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
echo "median ratio (2 ranks / 1 process, images/s): $med"
