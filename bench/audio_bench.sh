#!/usr/bin/env bash
# Lossless speech compression with the bundled audio model against FLAC, in this one run on the
# same files: the 48 test recordings of the speech source (never seen in training; 16-bit mono
# 8 kHz WAV), each compressed alone.
#   * flac -8, and flac -8 -e -p (exhaustive model and precision search): file sizes in bits per
#     sample (the whole .flac file, headers included, over the samples of all files);
#   * ardm at several budgets (network calls per 8,000-sample chunk, all stages): the whole
#     .ardm files (the WAV header kept verbatim included) in bits per sample, the model's exact
#     code length, compress and decompress speed in samples per second, and a byte-for-byte
#     round trip of every file in a separate process.
#
#   bash bench/audio_bench.sh [BUDGETS="8 20"]
# Environment: ARDM (default build/ardm), ARDM_AUDIO_MODEL (default: the bundled model),
# THREADS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGETS=${1:-"8 20"}
ARDM=${ARDM:-build/ardm}
THREADS=${THREADS:-$(nproc)}
for tool in flac metaflac bc; do
  command -v $tool > /dev/null || { echo "missing $tool: run ARDM_SETUP_BENCH=1 bash scripts/setup.sh" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
since() { echo "$(date +%s.%N) - $1" | bc; }
bps() { echo "scale=3; 8 * $1 / $2" | bc; }
total_size() { cat "$@" | wc -c; }

"$ARDM" audio --data speech --split test --out "$work/wav" > /dev/null
files=("$work"/wav/*.wav)
# Samples: what flac counts (every file is 16-bit mono PCM).
mkdir -p "$work/flac8" "$work/flac8ep"
t0=$(date +%s.%N)
for f in "${files[@]}"; do flac -8 -s -o "$work/flac8/$(basename "$f").flac" "$f"; done
t_flac=$(since "$t0")
samples=0
for f in "$work"/flac8/*.flac; do samples=$((samples + $(metaflac --show-total-samples "$f"))); done
wav_bytes=$(total_size "${files[@]}")
echo "speech compression, ${#files[@]} test files each alone, $samples samples ($wav_bytes bytes of WAV);"
echo "$(nproc) cores, $THREADS threads; model ${ARDM_AUDIO_MODEL:-bundled}"
echo
echo "| codec | bits per sample | bytes | compress samples/s | decompress samples/s |"
echo "|---|---|---|---|---|"
echo "| WAV (16-bit PCM) | $(bps "$wav_bytes" "$samples") | $wav_bytes | | |"
b=$(total_size "$work"/flac8/*.flac)
t0=$(date +%s.%N)
for f in "$work"/flac8/*.flac; do flac -d -s -o "$work/flac8/$(basename "$f" .flac).back" "$f"; done
t_dec=$(since "$t0")
echo "| flac -8 | $(bps "$b" "$samples") | $b | $(echo "$samples / $t_flac" | bc) | $(echo "$samples / $t_dec" | bc) |"
t0=$(date +%s.%N)
for f in "${files[@]}"; do flac -8 -e -p -s -o "$work/flac8ep/$(basename "$f").flac" "$f"; done
t_flac=$(since "$t0")
b=$(total_size "$work"/flac8ep/*.flac)
echo "| flac -8 -e -p | $(bps "$b" "$samples") | $b | $(echo "$samples / $t_flac" | bc) | |"

for budget in $BUDGETS; do
  out="$work/ardm-$budget" back="$work/back-$budget"
  mkdir -p "$out" "$back"
  t0=$(date +%s.%N)
  "$ARDM" compress -k -q -v --threads "$THREADS" --budget "$budget" -o "$out" "${files[@]}" 2> "$work/log-$budget"
  t_enc=$(since "$t0")
  t0=$(date +%s.%N)
  "$ARDM" decompress -k -q --threads "$THREADS" -o "$back" "$out"/*.ardm
  t_dec=$(since "$t0")
  bad=0
  for f in "${files[@]}"; do cmp -s "$f" "$back/$(basename "$f")" || bad=$((bad + 1)); done
  b=$(total_size "$out"/*.ardm)
  # The model's exact code length, summed over the files (from the -v lines).
  # "F: IN -> OUT bytes, BPS bits per sample (model M), ...": the file's samples are 8 OUT / BPS.
  model=$(awk '/ -> [0-9]+ bytes/ { m = $11; sub(/\)/, "", m); s += m * 8 * $4 / $6 } END { printf "%.0f", s }' \
    "$work/log-$budget")
  methods=$(grep -o "method [a-z]*" "$work/log-$budget" | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $3; sep=", "}')
  echo "| ardm, budget $budget | $(bps "$b" "$samples") | $b | $(echo "$samples / $t_enc" | bc) | $(echo "$samples / $t_dec" | bc) |"
  echo "  budget $budget: round trip $(( ${#files[@]} - bad ))/${#files[@]} files byte for byte; methods: $methods;" \
       "model's exact length $(echo "scale=3; $model / $samples" | bc) bits per sample"
done
