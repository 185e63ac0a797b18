#!/usr/bin/env bash
# Sampling time per image against the budget, next to its limit: budget x the time of one
# network call. One call is timed as the marginal cost of a call, (t(21) - t(1)) / 20 for runs
# of budget 21 and 1 on the same batch, so the first call's warm-up is not counted as a call.
#
#   bash bench/sample_time.sh runs/hour/checkpoint.pt
# Settings: COUNT (images per run, default 16), BUDGETS (default "10 20 50 100 250 784"),
# THREADS (default nproc), ARDM (default build/ardm).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MODEL=${1:?usage: bench/sample_time.sh CHECKPOINT}
COUNT=${COUNT:-16}
BUDGETS=${BUDGETS:-"10 20 50 100 250 784"}
THREADS=${THREADS:-$(nproc)}
ARDM=${ARDM:-build/ardm}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# seconds of one `ardm sample` run, from its own report (excludes loading the model)
run() { "$ARDM" sample --model "$MODEL" --count "$COUNT" --budget "$1" --threads "$THREADS" --out "$out/s.png" -q |
          sed -E 's/.*, ([0-9.]+) s, .*/\1/'; }

call_time() { awk -v a="$(run 21)" -v b="$(run 1)" 'BEGIN { print (a - b) / 20 }'; }
run 1 >/dev/null  # warm-up
one=$(call_time)
echo "one network call on $COUNT images: ${one} s ($THREADS threads)"
printf "%8s %12s %14s %16s\n" budget "s per image" "budget x call" "ratio to limit"
for b in $BUDGETS; do
  s=$(run "$b")
  one=$(call_time)  # re-time one call next to each budget: the machine's speed drifts
  awk -v b="$b" -v s="$s" -v one="$one" -v n="$COUNT" \
    'BEGIN { printf "%8d %12.4f %14.4f %16.3f\n", b, s / n, b * one / n, s / (b * one) }'
done
