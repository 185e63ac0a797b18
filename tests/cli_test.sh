#!/usr/bin/env bash
# CLI round trips: help, a tiny train + eval, kill -9 and --resume, and clear errors.
set -u
ARDM=${1:?usage: cli_test.sh path/to/ardm}
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"
# expect_ok NAME CMD...: exit 0; expect_err NAME PATTERN CMD...: non-zero and stderr matches
TINY=(--limit 64 --ch 8 --ch-mult 1,2 --attn-res "" --batch 8 --threads 2 -q)

expect_ok "help" "$ARDM" --help
expect_ok "train --help" "$ARDM" train --help
grep -q -- "--resume" "$work/out" || fail "train --help lists --resume"
expect_ok "eval --help" "$ARDM" eval --help
grep -q -- "--passes" "$work/out" || fail "eval --help lists --passes"
expect_err "no subcommand" "subcommand" "$ARDM"
expect_err "unknown flag" "bogus" "$ARDM" train --bogus

if [ -f "${ARDM_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}/train-images-idx3-ubyte.gz" ]; then
  expect_ok "tiny train" "$ARDM" train --out "$work/run" --steps 6 --checkpoint-every 2 "${TINY[@]}"
  grep -q "trained to step 6" "$work/out" || fail "train reports its final step"
  [ "$(wc -l <"$work/run/metrics.jsonl")" -eq 1 ] || fail "metrics.jsonl has one row per 10 steps (and the last)"
  grep -q '"nelbo_bpd"' "$work/run/metrics.jsonl" && pass "metrics.jsonl rows" || fail "metrics.jsonl rows"
  expect_ok "eval" "$ARDM" eval --model "$work/run/checkpoint.pt" --limit 20 --passes 2 --batch 10 -q
  grep -Eq "^test bound: [0-9.]+ \+- [0-9.]+ bpd \(20 images x 2 passes" "$work/out" && pass "eval prints the bound" ||
    fail "eval output: $(cat "$work/out")"
  # schedules, budgeted eval and sampling on the tiny model
  ck="$work/run/checkpoint.pt"
  expect_ok "schedule" "$ARDM" schedule --model "$ck" --budget 1,5,784
  grep -q "^budget    5: optimal" "$work/out" && pass "schedule lists budgets" || fail "schedule output: $(cat "$work/out")"
  expect_ok "schedule --json" "$ARDM" schedule --model "$ck" --budget 2,3 --json
  grep -Eq '^\{"process":"OA-ARDM","stages":1,"steps_per_stage":784,.*"budget":3,"optimal_bpd":[0-9.]+,"naive_bpd":[0-9.]+,"split":\[3\],"policies":\[\[0,[0-9]+,[0-9]+\]\]\}\]\}$' "$work/out" &&
    pass "schedule JSON" || fail "schedule JSON: $(cat "$work/out")"
  expect_err "budget above D" "outside 1..784" "$ARDM" schedule --model "$ck" --budget 785
  expect_err "budget zero" "outside 1..784" "$ARDM" schedule --model "$ck" --budget 0
  expect_ok "eval --budget" "$ARDM" eval --model "$ck" --budget 4 --limit 8 --passes 2 --batch 8 -q
  grep -q "^exact fixed-order: [0-9.]* bpd .*4 network calls each" "$work/out" && grep -q "^policy bound: " "$work/out" &&
    pass "eval --budget prints both values" || fail "eval --budget output: $(cat "$work/out")"
  expect_ok "sample" "$ARDM" sample --model "$ck" --count 4 --budget 3 --seed 5 --out "$work/a.png" --chain "$work/chain.png" -q
  expect_ok "sample again" "$ARDM" sample --model "$ck" --count 4 --budget 3 --seed 5 --out "$work/b.png" -q
  cmp -s "$work/a.png" "$work/b.png" && pass "same seed, same samples" || fail "same seed gave different samples"
  expect_ok "sample other seed" "$ARDM" sample --model "$ck" --count 4 --budget 3 --seed 6 --out "$work/c.png" -q
  cmp -s "$work/a.png" "$work/c.png" && fail "another seed gave the same samples" || pass "other seed, other samples"
  [ -s "$work/chain.png" ] && pass "chain written" || fail "chain written"
  expect_err "bad policy kind" "optimal" "$ARDM" sample --model "$ck" --policy sideways --budget 3 --out "$work/d.png" -q

  expect_err "refuses to overwrite a run" "--resume" "$ARDM" train --out "$work/run" --steps 6 "${TINY[@]}"

  # An Upscale ARDM (b = 16: 2 stages) through train, schedule, eval, sample, compress, decompress
  up="$work/up/checkpoint.pt"
  expect_ok "train --upscale 16" "$ARDM" train --out "$work/up" --upscale 16 --steps 4 "${TINY[@]}"
  expect_ok "schedule, upscale" "$ARDM" schedule --model "$up" --budget 2,5
  grep -q "Upscale ARDM, b = 16, 2 stages" "$work/out" && grep -Eq "^budget    5: optimal [0-9.]+ bpd, naive [0-9.]+ bpd; split \[[0-9],[0-9]\]; stage 0 \[0" "$work/out" &&
    pass "schedule shows the split over the stages" || fail "upscale schedule output: $(cat "$work/out")"
  expect_err "budget below one per stage" "outside 2..1568" "$ARDM" schedule --model "$up" --budget 1
  expect_ok "eval --budget, upscale" "$ARDM" eval --model "$up" --budget 3 --limit 8 --passes 2 --batch 8 -q
  grep -q "^exact fixed-order: [0-9.]* bpd .*3 network calls each" "$work/out" && pass "upscale exact value" ||
    fail "upscale eval output: $(cat "$work/out")"
  expect_ok "sample, upscale" "$ARDM" sample --model "$up" --count 4 --budget 4 --out "$work/up.png" -q
  expect_ok "images" "$ARDM" images --data fashion-mnist --split test --limit 2 --out "$work/upimg"
  expect_ok "compress, upscale" "$ARDM" compress -k --model "$up" --budget 4 "$work"/upimg/*.png
  expect_ok "decompress, upscale" "$ARDM" decompress -o "$work/upback" --model "$up" "$work"/upimg/*.ardm
  cmp -s "$work/upimg/00000.png" "$work/upback/00000.png" && cmp -s "$work/upimg/00001.png" "$work/upback/00001.png" &&
    pass "upscale round trip" || fail "upscale round trip"
  expect_err "upscale file, OA model" "wrong model: the file was made with model" "$ARDM" decompress -c --model "$ck" "$work/upimg/00000.png.ardm"

  # kill -9 in the middle of a run, then resume it to the end
  "$ARDM" train --out "$work/killed" --steps 400 --checkpoint-every 3 "${TINY[@]}" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do [ -f "$work/killed/checkpoint.pt" ] && break; sleep 0.1; done
  sleep 1
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ -f "$work/killed/checkpoint.pt" ]; then
    # where the killed run's last checkpoint stands (it depends on timing), then 3 steps more
    at=$("$ARDM" eval --model "$work/killed/checkpoint.pt" --limit 1 --passes 1 -q | sed -E 's/.*step ([0-9]+)\)$/\1/')
    target=$((at + 3))
    expect_ok "resume after kill -9" "$ARDM" train --out "$work/killed" --resume --steps "$target" "${TINY[@]}"
    grep -q "trained to step $target;" "$work/out" || fail "resumed run reaches step $target: $(cat "$work/out")"
    grep -q "resuming .* at step $at of $target" "$work/err" || fail "resume says where it starts: $(cat "$work/err")"
    ls "$work/killed" | grep -q tmp && fail "temporary files left after resume" || pass "no temporary files left"
  else
    fail "no checkpoint written before kill"
  fi
else
  echo "skip training round trips: dataset-fashion-mnist is not installed"
fi

expect_err "missing checkpoint" "nope.pt" "$ARDM" eval --model "$work/nope.pt"
echo junk >"$work/junk.pt"
expect_err "junk checkpoint" "junk.pt" "$ARDM" eval --model "$work/junk.pt"
expect_err "missing data folder" "not a folder" "$ARDM" train --out "$work/x" --data "$work/no-such-dir" -q
mkdir -p "$work/empty"
expect_err "empty data folder" "no .png" "$ARDM" train --out "$work/y" --data "$work/empty" -q
expect_err "bad threads" "threads" "$ARDM" eval --model "$work/junk.pt" --threads 0
expect_err "no cuda" "cuda" "$ARDM" train --out "$work/z" --device cuda --steps 1 -q

echo "$fails failed"
[ "$fails" -eq 0 ]
