#!/usr/bin/env bash
# Lossless speech compression with the bundled audio model against the strongest classical
# lossless audio codecs, in this one run on the same files: each language's test recordings
# (never seen in training; 16-bit mono 8 kHz WAV), each file compressed alone.
#   * flac -8 --no-padding (FLAC's CLI otherwise adds 8 KB of padding to every file) and
#     wavpack -hh -x6 (WavPack's extra-high mode with its most extra processing): file sizes in
#     bits per sample (whole files, headers included, over the samples of all files), speed;
#   * ardm by the model alone (--method model) at several budgets (network calls per chunk, all
#     stages): the whole .ardm files (their headers included) in bits per sample,
#     the model's exact code length, compress and decompress speed in samples per second, and a
#     byte-for-byte round trip of every file in a separate process.
#
#   bash bench/audio_bench.sh [BUDGETS="8 20"]
# Environment: LANGS (default "speech speech-it speech-ru": English, Italian, Russian), ARDM
# (default build/ardm), ARDM_AUDIO_MODEL (default: the bundled model), THREADS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGETS=${1:-"8 20"}
LANGS=${LANGS:-"speech speech-it speech-ru"}
ARDM=${ARDM:-build/ardm}
THREADS=${THREADS:-$(nproc)}
for tool in flac wavpack wvunpack bc; do
  command -v $tool > /dev/null || { echo "missing $tool: run ARDM_SETUP_BENCH=1 bash scripts/setup.sh --train" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
since() { echo "$(date +%s.%N) - $1" | bc; }
bps() { echo "scale=3; 8 * $1 / $2" | bc; }
total_size() { cat "$@" | wc -c; }
rate() { echo "$1 / $2" | bc; }

echo "speech compression: each language's test recordings, each file alone; $(nproc) cores, $THREADS threads;"
echo "model ${ARDM_AUDIO_MODEL:-bundled}"
for lang in $LANGS; do
  dir="$work/$lang"
  "$ARDM" audio --data "$lang" --split test --out "$dir/wav" > /dev/null
  files=("$dir"/wav/*.wav)
  # Samples: every file is 16-bit mono PCM with a 44-byte header or more; count them exactly.
  samples=$(python3 -c 'import sys, wave
print(sum(wave.open(f).getnframes() for f in sys.argv[1:]))' "${files[@]}")
  wav_bytes=$(total_size "${files[@]}")
  echo
  echo "## $lang: ${#files[@]} test files, $samples samples ($wav_bytes bytes of WAV)"
  echo
  echo "| codec | bits per sample | bytes | compress samples/s | decompress samples/s |"
  echo "|---|---|---|---|---|"
  echo "| WAV (16-bit PCM) | $(bps "$wav_bytes" "$samples") | $wav_bytes | | |"

  mkdir -p "$dir/flac" "$dir/wv"
  t0=$(date +%s.%N)
  for f in "${files[@]}"; do flac -8 --no-padding -s -o "$dir/flac/$(basename "$f").flac" "$f"; done
  t_enc=$(since "$t0")
  t0=$(date +%s.%N)
  for f in "$dir"/flac/*.flac; do flac -d -s -o "$dir/flac/$(basename "$f" .flac).back" "$f"; done
  t_dec=$(since "$t0")
  b=$(total_size "$dir"/flac/*.flac)
  echo "| flac -8 --no-padding | $(bps "$b" "$samples") | $b | $(rate "$samples" "$t_enc") | $(rate "$samples" "$t_dec") |"

  t0=$(date +%s.%N)
  for f in "${files[@]}"; do wavpack -hh -x6 -q -o "$dir/wv/$(basename "$f").wv" "$f"; done
  t_enc=$(since "$t0")
  t0=$(date +%s.%N)
  for f in "$dir"/wv/*.wv; do wvunpack -q -o "$dir/wv/$(basename "$f" .wv).back" "$f"; done
  t_dec=$(since "$t0")
  bad=0
  for f in "${files[@]}"; do cmp -s "$f" "$dir/wv/$(basename "$f").back" || bad=$((bad + 1)); done
  [ "$bad" = 0 ] || echo "wavpack: $bad files did not come back" >&2
  b=$(total_size "$dir"/wv/*.wv)
  echo "| wavpack -hh -x6 | $(bps "$b" "$samples") | $b | $(rate "$samples" "$t_enc") | $(rate "$samples" "$t_dec") |"

  for budget in $BUDGETS; do
    out="$dir/ardm-$budget" back="$dir/back-$budget"
    mkdir -p "$out" "$back"
    t0=$(date +%s.%N)
    "$ARDM" compress -k -q -v --method model --threads "$THREADS" --budget "$budget" -o "$out" "${files[@]}" \
      2> "$dir/log-$budget"
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
      "$dir/log-$budget")
    echo "| ardm, budget $budget (model's exact length $(echo "scale=3; $model / $samples" | bc)) |" \
         "$(bps "$b" "$samples") | $b | $(rate "$samples" "$t_enc") | $(rate "$samples" "$t_dec") |"
    echo "  budget $budget: round trip $(( ${#files[@]} - bad ))/${#files[@]} files byte for byte" >&2
  done
done
