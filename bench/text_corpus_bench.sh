#!/usr/bin/env bash
# The text model against the classical compressors on the held-out test files of the text
# corpus (docs/text-corpus.md), each file compressed alone, all in this one run:
#   * per source, the test files grouped by size: about 1 KB (500-2,000 bytes), 8-40 KB and
#     100 KB-1 MB; a group's files are taken evenly over its list up to MAX_BYTES of input;
#   * the Bible's test books (Ruth, Jonah, Philippians, James) as one file;
#   * ardm by the model alone (--method model, not its fallbacks) at each level of LEVELS, with
#     compress and decompress speed (bytes per second of input, every file of a group in one
#     call) and a byte-for-byte round trip; the model's exact code length beside the file size;
#   * gzip -9, bzip2 -9, xz -9e, zstd -19, brotli -q 11 and 7-Zip's PPMd (7zz a -m0=PPMd -mx=9).
# Sizes are bits per byte of input (the group's compressed bytes x 8 / its input bytes).
#
#   bash bench/text_corpus_bench.sh [LEVELS="4 6 9"]
# Environment: ARDM (default build/ardm), ARDM_TEXT_MODEL (default: the bundled model),
# THREADS (default: all cores), MAX_BYTES (per group, default 40000), SOURCES (default: all
# seven). Needs `bash scripts/setup.sh --train` (the corpus) and `ARDM_SETUP_BENCH=1 bash
# scripts/setup.sh` (the compressors, 7zip).
set -euo pipefail
cd "$(dirname "$0")/.."
LEVELS=${1:-"4 6 9"}
ARDM=${ARDM:-build/ardm}
THREADS=${THREADS:-$(nproc)}
MAX_BYTES=${MAX_BYTES:-40000}
SOURCES=${SOURCES:-"kjv gcide linux-doc debian-manuals manpages python-lib python-doc"}
for tool in gzip bzip2 xz zstd brotli 7zz bc; do
  command -v $tool > /dev/null || { echo "missing $tool: run ARDM_SETUP_BENCH=1 bash scripts/setup.sh" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
bpb() { echo "scale=3; 8 * $1 / $2" | bc; }
rate() { echo "scale=0; $1 / ($2)" | bc; }

peer_size() {  # peer, file -> compressed bytes
  case "$1" in
    ppmd) rm -f "$work/p.7z"; 7zz a -bd -bso0 -bsp0 -m0=PPMd -mx=9 "$work/p.7z" "$2" > /dev/null; stat -c %s "$work/p.7z" ;;
    brotli) brotli -q 11 -c "$2" | wc -c ;;
    *) $1 -c "$2" | wc -c ;;
  esac
}
peers=("gzip -9" "bzip2 -9" "xz -9e" "zstd -19" "brotli" "ppmd")
peer_names=("gzip -9" "bzip2 -9" "xz -9e" "zstd -19" "brotli -q 11" "7zz PPMd")

# One group: its files (a list file) -> one table row.
group_row() {
  local label=$1 list=$2
  local n bytes row i
  n=$(wc -l < "$list")
  bytes=$(xargs -d '\n' stat -c %s < "$list" | awk '{t += $1} END {print t}')
  row="| $label | $n | $bytes |"
  for i in "${!peers[@]}"; do
    local s=0
    while IFS= read -r f; do s=$((s + $(peer_size "${peers[$i]}" "$f"))); done < "$list"
    row="$row $(bpb "$s" "$bytes") |"
  done
  for level in $LEVELS; do
    local out="$work/ardm-$level" back="$work/back-$level" t0 tc td s model ok
    rm -rf "$out" "$back"
    mkdir -p "$out" "$back"
    t0=$(now)
    xargs -d '\n' "$ARDM" compress -q -v -k -f -$level --method model --threads "$THREADS" -o "$out" < "$list" 2> "$work/log"
    tc=$(echo "$(now) - $t0" | bc)
    # The model's exact code length, summed from each file's verbose line (bits per byte x bytes).
    model=$(sed -n 's/.*: \([0-9]*\) -> [0-9]* bytes, [0-9.]* bits per byte (model \([0-9.]*\)).*/\1 \2/p' "$work/log" |
            awk '{b += $1; m += $1 * $2} END {if (b) printf "%.3f", m / b}')
    t0=$(now)
    "$ARDM" decompress -q -k -f --threads "$THREADS" -o "$back" "$out"/* 2> /dev/null
    td=$(echo "$(now) - $t0" | bc)
    ok=exact
    while IFS= read -r f; do
      cmp -s "$f" "$back/$(basename "$f")" || ok=DIFFERS
    done < "$list"
    s=$(find "$out" -type f -printf '%s\n' | awk '{t += $1} END {print t}')
    row="$row $(bpb "$s" "$bytes") ($model; $(rate "$bytes" "$tc") / $(rate "$bytes" "$td") B/s, $ok) |"
  done
  echo "$row"
}

"$ARDM" text --data corpus --split test --files --out "$work/test" > /dev/null
echo "text corpus test files, each compressed alone; bits per byte; $(nproc) cores, $THREADS threads;"
echo "model ${ARDM_TEXT_MODEL:-bundled}; ardm by the model alone at levels $LEVELS: size (model's exact"
echo "length; compress / decompress bytes per second, round trip); groups capped at $MAX_BYTES bytes"
echo
head="| source, size | files | bytes |"
sep="|---|---|---|"
for name in "${peer_names[@]}"; do head="$head $name |"; sep="$sep---|"; done
for level in $LEVELS; do head="$head ardm -$level |"; sep="$sep---|"; done
echo "$head"
echo "$sep"
for src in $SOURCES; do
  for g in "1 KB:500:2000" "8-40 KB:8000:40000" "100 KB-1 MB:100000:1000000"; do
    IFS=: read -r gname lo hi <<< "$g"
    find "$work/test/$src" -type f -size +$((lo - 1))c -size -$((hi + 1))c | sort > "$work/all.txt"
    [ -s "$work/all.txt" ] || continue
    # Files taken evenly over the sorted list, until MAX_BYTES.
    # (a stride of 7,919, a prime, through the sorted list: files from all over it, no repeats)
    awk -v max="$MAX_BYTES" '{f[NR] = $0} END {
      n = NR; total = 0
      for (k = 0; k < n && total < max; k++) {
        p = f[(k * 7919) % n + 1]; print p
        cmd = "stat -c %s \"" p "\""; cmd | getline s; close(cmd); total += s
      }
    }' "$work/all.txt" > "$work/list.txt"
    # Flat names: the compress output folder holds one file per input.
    mkdir -p "$work/flat"
    rm -f "$work/flat"/*
    i=0
    while IFS= read -r f; do cp "$f" "$work/flat/$(printf '%04d' $i)-$(basename "$f")"; i=$((i + 1)); done < "$work/list.txt"
    find "$work/flat" -type f | sort > "$work/list.txt"
    group_row "$src, $gname" "$work/list.txt"
  done
done
"$ARDM" text --data kjv --split test --out "$work/kjv-test-books.txt" > /dev/null
echo "$work/kjv-test-books.txt" > "$work/list.txt"
group_row "the KJV test books as one file" "$work/list.txt"
