#!/usr/bin/env bash
# Lossless compression of the first N Fashion-MNIST test images, each image its own file:
# mean bits per pixel from the real file sizes (headers included) for ardm at several budgets
# and for optipng -o7, cwebp -lossless -z 9 and cjxl -d 0 -e 9 on the same images; ardm's gap to
# its model's exact code length; its throughput when many images are coded at once; and a
# round trip of every image through separate compress and decompress processes.
#
#   bash bench/compress_bench.sh [N=1000] [BUDGETS="20 50 100"]
# Environment: ARDM (binary, default build/ardm), ARDM_MODEL (default: the bundled model),
# THREADS (default: all cores), CODECS=0 (ardm only: for the full 10,000-image round trip).
# Needs `ARDM_SETUP_BENCH=1 bash scripts/setup.sh` (cwebp).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
BUDGETS=${2:-"20 50 100"}
ARDM=${ARDM:-build/ardm}
THREADS=${THREADS:-$(nproc)}
CODECS=${CODECS:-1}
for tool in optipng cwebp cjxl; do
  [ "$CODECS" = 1 ] || break
  command -v $tool > /dev/null || { echo "missing $tool: run ARDM_SETUP_BENCH=1 bash scripts/setup.sh" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pixels=$((N * 784))
bpp() { echo "scale=4; 8 * $1 / $pixels" | bc; }
size_of() { find "$1" -type f -name "$2" -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }

"$ARDM" images --data fashion-mnist --split test --limit "$N" --out "$work/png" > /dev/null
echo "first $N Fashion-MNIST test images (28x28 gray), each its own file; $(nproc) cores, $THREADS threads"
echo
echo "| codec | bits per pixel | total bytes | seconds |"
echo "|---|---|---|---|"
row() { echo "| $1 | $(bpp "$2") | $2 | $3 |"; }
since() { echo "$(date +%s.%N) - $1" | bc; }  # seconds since a `date +%s.%N` stamp
row "PNG as written by libpng (default settings)" "$(size_of "$work/png" '*.png')" "-"

mkdir -p "$work/optipng" "$work/webp" "$work/jxl"
if [ "$CODECS" = 1 ]; then
start=$(date +%s.%N)
for f in "$work"/png/*.png; do optipng -quiet -o7 -out "$work/optipng/$(basename "$f")" "$f"; done
row "optipng -o7" "$(size_of "$work/optipng" '*.png')" "$(since "$start" | xargs printf '%.1f')"
start=$(date +%s.%N)
for f in "$work"/png/*.png; do cwebp -quiet -lossless -z 9 "$f" -o "$work/webp/$(basename "$f" .png).webp"; done
row "cwebp -lossless -z 9" "$(size_of "$work/webp" '*.webp')" "$(since "$start" | xargs printf '%.1f')"
start=$(date +%s.%N)
for f in "$work"/png/*.png; do cjxl --quiet -d 0 -e 9 "$f" "$work/jxl/$(basename "$f" .png).jxl" 2> /dev/null; done
row "cjxl -d 0 -e 9" "$(size_of "$work/jxl" '*.jxl')" "$(since "$start" | xargs printf '%.1f')"
fi

declare -A summary per_file
for b in $BUDGETS; do
  start=$(date +%s.%N)
  summary[$b]=$("$ARDM" compress -q -v --threads "$THREADS" --budget "$b" --data fashion-mnist --split test --limit "$N" \
    -o "$work/ardm$b" 2> "$work/verbose$b")
  row "ardm, budget $b" "$(size_of "$work/ardm$b" '*.ardm')" "$(since "$start" | xargs printf '%.1f')"
done

echo
echo "| ardm budget | file bpd | model's exact code length (bpd) | gap (bpd) | gap (bytes per file) | files by method (model/stored/jxl) | encode images/s | decode images/s | round trip |"
echo "|---|---|---|---|---|---|---|---|---|"
for b in $BUDGETS; do
  file_bpd=$(bpp "$(size_of "$work/ardm$b" '*.ardm')")
  model_bpd=$(sed -E 's/.*exact code length ([0-9.]+) bpd.*/\1/' <<< "${summary[$b]}")
  enc_rate=$(sed -E 's/.* ([0-9.]+) images\/s.*/\1/' <<< "${summary[$b]}")
  methods=$(sed -E 's/.*files by method: model ([0-9]+), stored ([0-9]+), jxl ([0-9]+).*/\1\/\2\/\3/' <<< "${summary[$b]}")
  # Decode in a separate process, into PNG files, and compare them byte for byte with the
  # originals (both written by the same PNG writer, so equal pixels give equal files).
  start=$(date +%s.%N)
  "$ARDM" decompress -q --threads "$THREADS" -o "$work/dec$b" "$work"/ardm$b/*.ardm
  secs=$(since "$start")
  bad=0
  for f in "$work"/png/*.png; do cmp -s "$f" "$work/dec$b/$(basename "$f")" || bad=$((bad + 1)); done
  gap=$(echo "$file_bpd - $model_bpd" | bc | xargs printf "%.4f")
  # Per file, from -v: bytes beyond the model's exact code length (model-coded files only).
  per_file[$b]=$(awk '/method model/ { for (i = 1; i <= NF; ++i) { if ($(i + 1) == "bytes,") n = $i; if ($i == "(model") m = $(i + 1) }
                   g = n - m * 784 / 8; s += g; if (c == 0 || g > mx) mx = g; if (c == 0 || g < mn) mn = g; ++c }
                 END { if (c) printf "budget %s: %d model-coded files, bytes beyond the exact code length: mean %.2f, min %.2f, max %.2f", b, c, s / c, mn, mx }' \
                 b="$b" "$work/verbose$b")
  echo "| $b | $file_bpd | $model_bpd | $gap | $(echo "$gap * 784 / 8" | bc -l | xargs printf "%.2f") | $methods | $enc_rate | $(echo "scale=2; $N / $secs" | bc) | $((N - bad))/$N exact |"
done
echo
for b in $BUDGETS; do echo "${per_file[$b]}"; done
