#!/usr/bin/env bash
# The README's table of parallel-generation likelihoods: for each budget, the loss tracker's
# prediction, the stochastic policy bound on the first BOUND_LIMIT test images, and the exact
# fixed-order value on the first EXACT_LIMIT test images (it costs budget x EXACT_LIMIT network
# calls).
#
#   bash bench/policy_table.sh runs/hour/checkpoint.pt
# Settings: BUDGETS (default "10 20 50 100 250 784"), BOUND_LIMIT (2000), PASSES (2),
# EXACT_LIMIT (100), POLICY (optimal), ARDM (build/ardm).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MODEL=${1:?usage: bench/policy_table.sh CHECKPOINT}
BUDGETS=${BUDGETS:-"10 20 50 100 250 784"}
BOUND_LIMIT=${BOUND_LIMIT:-2000}
PASSES=${PASSES:-2}
EXACT_LIMIT=${EXACT_LIMIT:-100}
POLICY=${POLICY:-optimal}
ARDM=${ARDM:-build/ardm}
echo "| budget | predicted (tracker) | policy bound (test, $BOUND_LIMIT images x $PASSES passes) | exact fixed-order (test, $EXACT_LIMIT images) |"
echo "|---:|---:|---:|---:|"
for b in $BUDGETS; do
  out=$("$ARDM" eval --model "$MODEL" --budget "$b" --policy "$POLICY" --limit "$BOUND_LIMIT" --passes "$PASSES" \
          --exact-limit "$EXACT_LIMIT" -q)
  pred=$(sed -n 's/^predicted from the loss tracker: \([0-9.]*\) bpd/\1/p' <<<"$out")
  bound=$(sed -n 's/^policy bound: \([0-9.]*\) +- \([0-9.]*\) bpd.*/\1 ± \2/p' <<<"$out")
  exact=$(sed -n 's/^exact fixed-order: \([0-9.]*\) bpd (+- \([0-9.]*\) over images.*/\1 (± \2 across images)/p' <<<"$out")
  [ -n "$exact" ] || exact="not run"
  echo "| $b | $pred | $bound | $exact |"
done
