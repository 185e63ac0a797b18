#!/usr/bin/env bash
# Data-parallel training on loopback (c10d, Gloo): N ranks of batch b take the same steps as one
# process of batch N*b; torchrun-style launches; a rank that dies stops the others with a clear
# error within a timeout; --resume with another number of ranks; the checkpoint evaluates.
set -u
ARDM=${1:?usage: dist_test.sh path/to/ardm path/to/checkpoint_diff}
DIFF=${2:?usage: dist_test.sh path/to/ardm path/to/checkpoint_diff}
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"
if [ ! -f "${ARDM_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}/train-images-idx3-ubyte.gz" ]; then
  echo "skipped: no Fashion-MNIST"
  exit 77
fi
# A small UNet (29,760 parameters); a few steps, so the tolerance is float rounding's. GroupNorm
# groups of 4 channels: with one channel per group a conv bias before a norm has a gradient of
# pure rounding noise, which Adam turns into full-size steps of either sign.
NET=(--limit 96 --ch 8 --ch-mult 1 --groups 2 --attn-res "" --lr 1e-3 --warmup 0 --log-every 1 --checkpoint-every 4 -q)
TOL=2e-5
close() { # close NAME A B: the two checkpoints agree to TOL
  if "$DIFF" "$2" "$3" "$TOL" >"$work/diff" 2>&1; then pass "$1 ($(cat "$work/diff"))"; else fail "$1: $(cat "$work/diff")"; fi
}
apart() { # apart NAME A B: the two checkpoints differ by more than TOL (the comparison can fail)
  "$DIFF" "$2" "$3" "$TOL" >"$work/diff" 2>&1
  [ $? -eq 1 ] && pass "$1 ($(cat "$work/diff"))" || fail "$1: $(cat "$work/diff")"
}
port() { echo $((20000 + RANDOM % 30000)); }

# 1. Two ranks of 16 == one process of 32, for OA-ARDM and for an Upscale ARDM (stages mixed in a batch).
for proc in "--upscale 0" "--upscale 4"; do
  tag=${proc// /}
  expect_ok "1 process, batch 32 ($proc)" "$ARDM" train --out "$work/one$tag" --batch 32 --steps 6 --threads 2 $proc "${NET[@]}"
  expect_ok "--nproc 2, batch 16 ($proc)" "$ARDM" train --out "$work/two$tag" --nproc 2 --batch 16 --steps 6 $proc "${NET[@]}"
  close "2 x 16 takes the steps of 1 x 32 ($proc)" "$work/one$tag/checkpoint.pt" "$work/two$tag/checkpoint.pt"
  [ "$(wc -l <"$work/two$tag/metrics.jsonl")" -eq 6 ] && pass "rank 0 writes one metrics row per step" ||
    fail "metrics rows: $(wc -l <"$work/two$tag/metrics.jsonl")"
done
expect_ok "1 process, batch 16" "$ARDM" train --out "$work/half" --batch 16 --steps 6 --threads 2 "${NET[@]}"
apart "batch 16 alone is another run (the comparison can fail)" "$work/half/checkpoint.pt" "$work/two--upscale0/checkpoint.pt"

# 2. Launched the way torchrun launches: the environment alone makes a rank.
p=$(port)
for r in 1 0; do
  RANK=$r LOCAL_RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$p \
    "$ARDM" train --out "$work/env" --batch 16 --steps 6 --threads 1 "${NET[@]}" >"$work/env$r.out" 2>&1 &
  eval "pid$r=$!"
done
wait "$pid0"; s0=$?
wait "$pid1"; s1=$?
[ $s0 -eq 0 ] && [ $s1 -eq 0 ] && pass "RANK/WORLD_SIZE/MASTER_* ranks train" ||
  fail "environment ranks: $s0 $s1: $(tail -2 "$work/env0.out") $(tail -2 "$work/env1.out")"
close "environment ranks take the same steps" "$work/one--upscale0/checkpoint.pt" "$work/env/checkpoint.pt"
grep -q "trained to step 6" "$work/env0.out" && ! grep -q "trained to step" "$work/env1.out" &&
  pass "rank 0 alone reports" || fail "reports: $(cat "$work/env0.out" "$work/env1.out")"

# 3. --resume with another number of ranks: 2 ranks x 16 for 4 steps, then 1 process x 32 to
#    step 8 (and back to 2 ranks to step 10) takes the steps of 1 x 32 throughout.
expect_ok "1 x 32 to step 10" "$ARDM" train --out "$work/long" --batch 32 --steps 10 --threads 2 "${NET[@]}"
expect_ok "2 x 16 to step 4" "$ARDM" train --out "$work/mix" --nproc 2 --batch 16 --steps 4 "${NET[@]}"
expect_ok "resume with 1 process x 32 to step 8" "$ARDM" train --out "$work/mix" --resume --batch 32 --steps 8 --threads 2 -q
expect_ok "resume with 2 ranks x 16 to step 10" "$ARDM" train --out "$work/mix" --resume --nproc 2 --batch 16 --steps 10 -q
close "2 -> 1 -> 2 ranks resumed == 1 process throughout" "$work/long/checkpoint.pt" "$work/mix/checkpoint.pt"
[ "$(wc -l <"$work/mix/metrics.jsonl")" -eq 10 ] && pass "metrics rows kept across resumes" ||
  fail "metrics rows after resumes: $(wc -l <"$work/mix/metrics.jsonl")"

# 4. The 2-rank checkpoint evaluates like the 1-process one.
expect_ok "eval the 2-rank checkpoint" "$ARDM" eval --model "$work/two--upscale0/checkpoint.pt" --limit 20 --passes 1 --batch 10 -q
b2=$(grep -Eo "^test bound: [0-9.]+" "$work/out" | grep -Eo "[0-9.]+$")
expect_ok "eval the 1-process checkpoint" "$ARDM" eval --model "$work/one--upscale0/checkpoint.pt" --limit 20 --passes 1 --batch 10 -q
b1=$(grep -Eo "^test bound: [0-9.]+" "$work/out" | grep -Eo "[0-9.]+$")
[ -n "$b1" ] && [ -n "$b2" ] && awk -v a="$b1" -v b="$b2" 'BEGIN { d = a - b; exit !(d < 2e-4 && d > -2e-4) }' &&
  pass "the same bound: $b2 and $b1 bpd" || fail "bounds: '$b1' vs '$b2'"

# 5. A rank that dies: the other stops within the timeout with an error that says so.
p=$(port)
for r in 0 1; do
  RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$p \
    "$ARDM" train --out "$work/die" --batch 16 --steps 100000 --threads 1 --dist-timeout 60 "${NET[@]}" >"$work/die$r.out" 2>&1 &
  eval "pid$r=$!"
done
started() { for _ in $(seq 600); do [ -s "$1/metrics.jsonl" ] && break; sleep 0.1; done; }
# stops NAME PID LOG PATTERN: PID exits non-zero within 90 s and LOG matches PATTERN
stops() {
  local t0=$SECONDS s
  for _ in $(seq 900); do kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$2" 2>/dev/null; then
    pkill -9 -P "$2"; kill -9 "$2"
    fail "$1: still running 90 s later"
    return
  fi
  wait "$2"; s=$?
  [ $s -ne 0 ] && grep -q "$4" "$3" && pass "$1 in $((SECONDS - t0)) s: $(grep -o "$4" "$3" | head -1)" ||
    fail "$1: status $s, $(tail -2 "$3")"
}
for _ in $(seq 900); do [ -s "$work/die/checkpoint.pt" ] && break; sleep 0.1; done  # step 4's
kill -9 "$pid1"
{ wait "$pid1"; } 2>/dev/null
stops "rank 1 killed, rank 0 stops" "$pid0" "$work/die0.out" "rank 0 of 2: [a-z -]* failed: another process of the run died"
# Nothing lost: the last checkpoint is whole and the run resumes from it, with 2 ranks again.
expect_ok "the dead run resumes" "$ARDM" train --out "$work/die" --resume --nproc 2 --steps 16 --dist-timeout 60 -q
grep -q "trained to step 16" "$work/out" && pass "... to step 16" || fail "resume after a dead rank: $(tail -2 "$work/err")"

# 6. --nproc: a worker killed stops the run, and the launcher names it.
"$ARDM" train --out "$work/kill" --nproc 2 --batch 16 --steps 100000 --dist-timeout 60 "${NET[@]}" >"$work/kill.out" 2>&1 &
launcher=$!
started "$work/kill"
kill -9 "$(pgrep -P "$launcher" | tail -1)"
stops "--nproc: a rank killed, the run stops" "$launcher" "$work/kill.out" "rank 1 of 2 was killed by signal 9 (SIGKILL)"
[ -z "$(pgrep -P "$launcher")" ] && pass "no worker left behind" || fail "workers left: $(pgrep -P "$launcher")"

# 7. A rank that never comes: rank 0 gives up after --dist-timeout and says so.
p=$(port)
t0=$SECONDS
RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$p expect_err "missing rank" "not all 2 processes joined" \
  "$ARDM" train --out "$work/alone" --batch 16 --steps 2 --threads 1 --dist-timeout 3 "${NET[@]}"
[ $((SECONDS - t0)) -lt 30 ] && pass "... within $((SECONDS - t0)) s" || fail "missing rank took $((SECONDS - t0)) s"
RANK=2 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$p expect_err "rank out of range" "not below WORLD_SIZE" \
  "$ARDM" train --out "$work/alone" --steps 2 "${NET[@]}"
RANK=0 WORLD_SIZE=two expect_err "malformed WORLD_SIZE" "WORLD_SIZE=two is not a non-negative integer" \
  "$ARDM" train --out "$work/alone" --steps 2 "${NET[@]}"
RANK=0 WORLD_SIZE=2 expect_err "no MASTER_ADDR" "MASTER_ADDR is not set" "$ARDM" train --out "$work/alone" --steps 2 "${NET[@]}"
expect_err "global batch above the data" "fewer than the global batch" \
  "$ARDM" train --out "$work/big" --nproc 2 --batch 64 --steps 2 "${NET[@]}"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
