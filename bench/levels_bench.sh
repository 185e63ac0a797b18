#!/usr/bin/env bash
# Compression levels -1 .. -9 against size and speed, per kind, by the model alone (--method
# model), each level on the same inputs in one run: 50 Fashion-MNIST test images (files of one
# image each), 8 KB of English the text model never saw (the GPL-3's first 8 KB, one file) and
# two speech recordings (16-bit 8 kHz). Prints the budget, bits per value and values per second
# of compression and of decompression.
#
#   bash bench/levels_bench.sh [LEVELS...]   (default: 1 3 5 6 7 9)
# Environment: KINDS (default "image text audio": the kinds to run).
set -euo pipefail
cd "$(dirname "$0")/.."
ARDM=${ARDM:-build/ardm}
levels=("${@:-1 3 5 6 7 9}")
levels=(${levels[*]})
KINDS=" ${KINDS:-image text audio} "
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$ARDM" images --data fashion-mnist --split test --limit 50 --out "$work/img" >/dev/null
head -c 8192 /usr/share/common-licenses/GPL-3 >"$work/gpl3-8k.txt"
SPEECH=/usr/share/asterisk/sounds/en_US_f_Allison
mkdir -p "$work/wav" && cp "$SPEECH/hello-world.wav" "$SPEECH/vm-goodbye.wav" "$work/wav/"
now() { date +%s.%N; }
run() {  # kind, values, inputs...
  local kind=$1 values=$2 level t0 t1 t2 bytes budget
  shift 2
  for level in "${levels[@]}"; do
    rm -rf "$work/out" "$work/back" && mkdir -p "$work/out"
    t0=$(now)
    "$ARDM" compress -q -k -v --method model "-$level" -o "$work/out" "$@" 2>"$work/v"
    t1=$(now)
    "$ARDM" decompress -q -k -o "$work/back" "$work/out"/*.ardm
    t2=$(now)
    bytes=$(cat "$work/out"/*.ardm | wc -c)
    budget=$(grep -oE "budget [0-9]+" "$work/v" | head -1 | cut -d' ' -f2)
    printf '%-6s -%s budget %4s  %7.4f bits/value  %8.0f values/s compress  %8.0f values/s decompress\n' "$kind" "$level" \
      "$budget" "$(echo "8 * $bytes / $values" | bc -l)" "$(echo "$values / ($t1 - $t0)" | bc -l)" "$(echo "$values / ($t2 - $t1)" | bc -l)"
  done
}
[[ $KINDS == *" image "* ]] && run image $((50 * 784)) "$work/img"/*.png
[[ $KINDS == *" text "* ]] && run text 8192 "$work/gpl3-8k.txt"
samples=0
for f in "$work"/wav/*.wav; do samples=$((samples + ($(stat -c %s "$f") - 44) / 2)); done
[[ $KINDS == *" audio "* ]] && run audio "$samples" "$work/wav"/*.wav
exit 0
