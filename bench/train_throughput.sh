#!/usr/bin/env bash
# Training throughput (images/s) and peak memory (max RSS) of `ardm train` with its default
# configuration, next to bench/torch_reference.py: the same UNet, objective and training step in
# plain PyTorch (Python). Both run on this machine, alternating C++ / Python, REPEATS times.
#
# Usage (from anywhere; paths are relative to the repository root):
#   bash bench/train_throughput.sh
#   STEPS=200 THREADS=4 REPEATS=3 bash bench/train_throughput.sh
#   bash bench/train_throughput.sh --steps 200 --threads 4 --repeats 3
#
# Settings (flag or environment variable):
#   --steps   STEPS    optimizer steps per run, warm-up included      (default 60)
#   --batch   BATCH    batch size                                      (default 32)
#   --threads THREADS  intra-op threads for both                       (default: nproc)
#   --repeats REPEATS  C++/Python pairs                                (default 2)
#   --warmup  WARMUP   first steps of each run that are not timed      (default 10, at most STEPS/2)
#   ARDM=path          the ardm binary                                 (default build/ardm)
#   KEEP=1             keep the work folder (logs, time reports, metrics.jsonl)
#
# Needs build/ardm, Debian's python3-torch for /usr/bin/python3 and GNU time (/usr/bin/time);
# `ARDM_SETUP_BENCH=1 bash scripts/setup.sh` installs the latter two.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

STEPS=${STEPS:-60}
BATCH=${BATCH:-32}
THREADS=${THREADS:-$(nproc)}
REPEATS=${REPEATS:-2}
WARMUP=${WARMUP:-10}
ARDM=${ARDM:-build/ardm}
PY=/usr/bin/python3   # not the `python3` on PATH, which may be a pyenv without torch

while [ $# -gt 0 ]; do
  case "$1" in
    --steps) STEPS=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set /{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "train_throughput: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

for v in STEPS BATCH THREADS REPEATS WARMUP; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "train_throughput: $v must be a non-negative integer, got '${!v}'" >&2; exit 2; }
done
if [ "$STEPS" -lt 2 ] || [ "$BATCH" -lt 1 ] || [ "$THREADS" -lt 1 ] || [ "$REPEATS" -lt 1 ]; then
  echo "train_throughput: need STEPS >= 2 and BATCH, THREADS, REPEATS >= 1" >&2
  exit 2
fi
# At least one warm-up step (the first step allocates everything) and at least one timed step.
if [ "$WARMUP" -gt $((STEPS / 2)) ]; then WARMUP=$((STEPS / 2)); fi
if [ "$WARMUP" -lt 1 ]; then WARMUP=1; fi

missing=""
[ -x "$ARDM" ] || missing+="  $ARDM (build it: cmake -S . -B build && cmake --build build)\n"
[ -x /usr/bin/time ] || missing+="  /usr/bin/time (apt-get install time)\n"
"$PY" -c 'import torch' 2>/dev/null || missing+="  torch for $PY (apt-get install python3-torch)\n"
if [ -n "$missing" ]; then
  printf "train_throughput: missing:\n%b" "$missing" >&2
  echo "  ARDM_SETUP_BENCH=1 bash scripts/setup.sh installs python3-torch and time" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ardm-bench.XXXXXX")
# KEEP=1 keeps the logs, /usr/bin/time reports and metrics.jsonl files for inspection.
if [ "${KEEP:-0}" = 1 ]; then echo "work folder (kept): $work"; else trap 'rm -rf "$work"' EXIT; fi

# Prints the "Maximum resident set size" of a `/usr/bin/time -v` report, in MiB.
max_rss_mb() {
  awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"
}

# Prints the images/s of a C++ run over its timed steps. With --log-every WARMUP, the first
# metrics.jsonl row covers exactly the warm-up steps; every later row holds the images/s of its
# own steps, so the time of a row is (its steps) * BATCH / images_per_s.
cpp_images_per_s() {
  "$PY" - "$1" "$WARMUP" "$BATCH" <<'EOF'
import json, sys
path, warmup, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = [json.loads(line) for line in open(path) if line.strip()]
prev, images, secs = 0, 0, 0.0
for r in rows:
    n = (r["step"] - prev) * batch
    prev = r["step"]
    if r["step"] > warmup:
        images += n
        secs += n / r["images_per_s"]
if images == 0:
    sys.exit(f"{path}: no metrics rows after step {warmup}")
print(f"{images / secs:.3f}")
EOF
}

# Reads field $2 (e.g. images_per_s) of the "torch-python:" line in file $1.
py_field() {
  grep '^torch-python:' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

echo "ardm train throughput: default config, batch $BATCH, $STEPS steps per run ($WARMUP warm-up steps not timed)," \
  "$THREADS thread(s), $REPEATS repeat(s)"
echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), nproc $(nproc);" \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

results=()   # "repeat impl images_per_s rss_mb"
cpp_params="" py_params=""
for r in $(seq 1 "$REPEATS"); do
  # --- C++: a fresh run folder each time; no checkpoints during the run (one at the end).
  out="$work/cpp$r"
  if ! /usr/bin/time -v -o "$work/cpp$r.time" "$ARDM" train --out "$out" --steps "$STEPS" --batch "$BATCH" \
      --threads "$THREADS" --checkpoint-every 0 --log-every "$WARMUP" -q >"$work/cpp$r.log" 2>&1; then
    echo "train_throughput: $ARDM train failed:" >&2; tail -n 20 "$work/cpp$r.log" >&2; exit 1
  fi
  cpp_params=$(sed -n 's/^model: UNet, \([0-9]*\) parameters.*/\1/p' "$work/cpp$r.log")
  results+=("$r ardm(C++) $(cpp_images_per_s "$out/metrics.jsonl") $(max_rss_mb "$work/cpp$r.time")")

  # --- Python reference, same steps/batch/threads/warm-up.
  if ! /usr/bin/time -v -o "$work/py$r.time" "$PY" bench/torch_reference.py --steps "$STEPS" --batch "$BATCH" \
      --threads "$THREADS" --warmup-steps "$WARMUP" >"$work/py$r.log" 2>&1; then
    echo "train_throughput: bench/torch_reference.py failed:" >&2; tail -n 20 "$work/py$r.log" >&2; exit 1
  fi
  py_params=$(py_field "$work/py$r.log" params)
  # Peak RSS from /usr/bin/time for both, so both are measured the same way; the script's own
  # getrusage figure (peak_rss_mb in its last line) is the same number.
  results+=("$r torch-python $(py_field "$work/py$r.log" images_per_s) $(max_rss_mb "$work/py$r.time")")
  echo "  repeat $r/$REPEATS done"
done

if [ "$cpp_params" != "$py_params" ]; then
  echo "train_throughput: WARNING: parameter counts differ: C++ $cpp_params, Python $py_params" >&2
fi

# Table, medians and the median over repeats of the paired ratio C++/Python.
RESULTS=$(printf '%s\n' "${results[@]}") "$PY" - "$cpp_params" "$py_params" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import os, statistics, sys
cpp_params, py_params, load_after = sys.argv[1:4]
rows = [line.split() for line in os.environ["RESULTS"].splitlines() if line.strip()]
by = {}
print()
print(f"{'repeat':>6}  {'implementation':<14} {'images/s':>10} {'peak RSS MiB':>13}")
for rep, impl, ips, rss in rows:
    print(f"{rep:>6}  {impl:<14} {float(ips):>10.2f} {float(rss):>13.1f}")
    by.setdefault(impl, {})[rep] = (float(ips), float(rss))
cpp, py = by["ardm(C++)"], by["torch-python"]
for impl, d in (("ardm(C++)", cpp), ("torch-python", py)):
    print(f"{'median':>6}  {impl:<14} {statistics.median(v[0] for v in d.values()):>10.2f} "
          f"{statistics.median(v[1] for v in d.values()):>13.1f}")
ratios = [cpp[r][0] / py[r][0] for r in cpp]
print(f"\nimages/s ratio C++/Python (median of {len(ratios)} paired run(s)): {statistics.median(ratios):.3f}")
print(f"parameters: C++ {cpp_params}, Python {py_params}; load average after: {load_after}")
EOF
