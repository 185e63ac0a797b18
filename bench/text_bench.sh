#!/usr/bin/env bash
# Lossless text compression with the bundled byte-level model against the classical
# compressors, all in this one run on the same files:
#   * the Bible's test books (Ruth, Jonah, Philippians, James; never seen in training) as one
#     file, and a text from elsewhere (the GNU GPL v3 from Debian's common-licenses);
#   * ardm at several budgets (network calls per 250-byte chunk; 250 = every step), its real
#     file size in bits per character, the model's exact code length, compress and decompress
#     speed in characters per second, and a byte-for-byte round trip in separate processes;
#   * gzip -9, bzip2 -9, xz -9e and zstd -19 on the same files;
#   * the same test books cut into files of 1,000 bytes, each compressed alone (the case ARDMs
#     are made for: single data points, no shared history), at the first budget.
#
#   bash bench/text_bench.sh [BUDGETS="20 50 250"]
# Environment: ARDM (default build/ardm), ARDM_TEXT_MODEL (default: the bundled model),
# THREADS (default: all cores), EXTRA (more files to measure at the first budget only).
# Needs `ARDM_SETUP_BENCH=1 bash scripts/setup.sh` (bzip2, xz, zstd).
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGETS=${1:-"20 50 250"}
ARDM=${ARDM:-build/ardm}
THREADS=${THREADS:-$(nproc)}
for tool in gzip bzip2 xz zstd bc; do
  command -v $tool > /dev/null || { echo "missing $tool: run ARDM_SETUP_BENCH=1 bash scripts/setup.sh" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
since() { echo "$(date +%s.%N) - $1" | bc; }
bpc() { echo "scale=3; 8 * $1 / $2" | bc; }

"$ARDM" text --data kjv --split test --out "$work/kjv-test.txt" > /dev/null
cp /usr/share/common-licenses/GPL-3 "$work/gpl-3.txt"
files=("$work/kjv-test.txt" "$work/gpl-3.txt")
echo "text compression, each file alone; $(nproc) cores, $THREADS threads; model ${ARDM_TEXT_MODEL:-bundled}"
for f in "${files[@]}"; do
  n=$(stat -c %s "$f")
  echo
  echo "### $(basename "$f"): $n bytes"
  echo
  echo "| codec | bits per char | bytes | compress chars/s | decompress chars/s |"
  echo "|---|---|---|---|---|"
  for c in "gzip -9" "bzip2 -9" "xz -9e" "zstd -19"; do
    s=$($c -c < "$f" | wc -c)
    echo "| $c | $(bpc "$s" "$n") | $s | | |"
  done
  first=1
  for b in $BUDGETS; do
    [ "$first" = 1 ] || [ "$f" = "$work/kjv-test.txt" ] || continue
    first=0
    out="$work/$(basename "$f").b$b.ardm"
    t0=$(date +%s.%N)
    "$ARDM" compress -q -v -k --threads "$THREADS" --budget "$b" -o "$out" "$f" 2> "$work/log"
    tc=$(since "$t0")
    model=$(sed -n 's/.*(model \([0-9.]*\)).*/\1/p' "$work/log")
    t0=$(date +%s.%N)
    "$ARDM" decompress -q -k --threads "$THREADS" -o "$work/back" "$out"
    td=$(since "$t0")
    cmp -s "$work/back" "$f" && ok="exact" || ok="DIFFERS"
    rm -f "$work/back"
    s=$(stat -c %s "$out")
    echo "| ardm, budget $b (model's exact length $model bpc; round trip $ok) | $(bpc "$s" "$n") | $s | $(echo "scale=0; $n / $tc" | bc) | $(echo "scale=0; $n / $td" | bc) |"
  done
done

# Small files: the test books in pieces of 1,000 bytes, each its own file.
mkdir -p "$work/small"
split -b 1000 -d -a 3 "$work/kjv-test.txt" "$work/small/part-"
n=$(stat -c %s "$work/kjv-test.txt")
count=$(ls "$work/small" | wc -l)
echo
echo "### the test books as $count files of 1,000 bytes (the last $(stat -c %s "$(ls -d "$work"/small/* | tail -1)")), each compressed alone"
echo
echo "| codec | bits per char | bytes in all |"
echo "|---|---|---|"
for c in "gzip -9" "bzip2 -9" "xz -9e" "zstd -19"; do
  s=0
  for f in "$work"/small/part-*; do s=$((s + $($c -c < "$f" | wc -c))); done
  echo "| $c | $(bpc "$s" "$n") | $s |"
done
b=${BUDGETS%% *}
mkdir -p "$work/small-ardm" "$work/small-back"
"$ARDM" compress -q -k --threads "$THREADS" --budget "$b" -o "$work/small-ardm" "$work"/small/part-*
"$ARDM" decompress -q -k --threads "$THREADS" -o "$work/small-back" "$work"/small-ardm/*.ardm
diff -r "$work/small" "$work/small-back" > /dev/null && ok=exact || ok=DIFFERS
s=$(find "$work/small-ardm" -name '*.ardm' -printf '%s\n' | awk '{t += $1} END {print t}')
echo "| ardm, budget $b (round trip $ok) | $(bpc "$s" "$n") | $s |"
