#!/usr/bin/env bash
# ardm's main job on its built-in defaults: install, build, then compress Fashion-MNIST test
# images losslessly with the bundled model, each image its own file; decompress them in another
# process, check that every image comes back exactly, and print the bits per pixel from the real
# file sizes next to PNG (optipng -o7) and JPEG-XL (cjxl -d 0 -e 9) on the same images. Then
# the same for text: 8 KB of English the text model never saw (the start of the GNU GPL v3),
# compressed at the default level (the smallest of the bundled byte-level model and the general
# compressors) and by the model alone, back byte for byte, next to xz, bzip2, zstd and brotli.
# And for audio: 10 of the speech recordings the audio model never saw (16-bit 8 kHz WAV), each
# compressed alone at the default level and by the bundled speech model alone, back byte for
# byte, next to flac -8 and wavpack -hh -x6.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
N=${N:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/ardm images --data fashion-mnist --split test --limit "$N" --out "$work/png" >/dev/null
echo "compressing the first $N Fashion-MNIST test images with the bundled model (models/fashion-mnist.pt)"
build/ardm compress -k "$work"/png/*.png
build/ardm decompress -o "$work/back" "$work"/png/*.png.ardm
bad=0
for f in "$work"/png/*.png; do cmp -s "$f" "$work/back/$(basename "$f")" || bad=$((bad + 1)); done
[ "$bad" -eq 0 ] || { echo "round trip FAILED for $bad of $N images" >&2; exit 1; }
mkdir -p "$work/opt" "$work/jxl"
for f in "$work"/png/*.png; do
  optipng -quiet -o7 -out "$work/opt/$(basename "$f")" "$f"
  cjxl --quiet -d 0 -e 9 "$f" "$work/jxl/$(basename "$f" .png).jxl" 2>/dev/null
done
bits() { find "$1" -maxdepth 1 -type f -name "$2" -printf '%s\n' | awk -v n="$N" '{s += $1} END {printf "%.3f", 8 * s / (n * 784)}'; }
echo "round trip: all $N images decoded exactly (separate processes)"
echo "bits per pixel, each image its own file, headers included:"
echo "  ardm (bundled model, budget 20)  $(bits "$work/png" '*.ardm')"
echo "  PNG (optipng -o7)                $(bits "$work/opt" '*.png')"
echo "  JPEG-XL (cjxl -d 0 -e 9)         $(bits "$work/jxl" '*.jxl')"

head -c 8192 /usr/share/common-licenses/GPL-3 >"$work/gpl.txt"
echo "compressing 8,192 bytes of English text (the start of the GNU GPL v3) with the bundled text model"
build/ardm compress -k -v "$work/gpl.txt" 2>"$work/gpl.log"
text_method=$(tr '\r' '\n' <"$work/gpl.log" | grep -E ' -> [0-9]+ bytes' | sed -E 's/.*, method (.*), [0-9]+ chunks?, budget.*/\1/')
build/ardm decompress -q -o "$work/gpl-back.txt" "$work/gpl.txt.ardm"
cmp -s "$work/gpl.txt" "$work/gpl-back.txt" || { echo "text round trip FAILED" >&2; exit 1; }
tbits() { awk -v s="$1" 'BEGIN {printf "%.3f", 8 * s / 8192}'; }
echo "round trip: the text decoded byte for byte (separate processes)"
echo "bits per character, headers included:"
printf "  %-38s%s\n" "ardm (default level: $text_method)" "$(tbits "$(stat -c %s "$work/gpl.txt.ardm")")"
build/ardm compress -q -k -c --method model "$work/gpl.txt" >"$work/gpl-model.ardm"
echo "  ardm, the bundled text model alone     $(tbits "$(stat -c %s "$work/gpl-model.ardm")")"
echo "  xz -9e                                $(tbits "$(xz -9e -c "$work/gpl.txt" | wc -c)")"
echo "  bzip2 -9                              $(tbits "$(bzip2 -9 -c "$work/gpl.txt" | wc -c)")"
echo "  zstd -19                              $(tbits "$(zstd -19 -q -c "$work/gpl.txt" | wc -c)")"
echo "  brotli -q 11                          $(tbits "$(brotli -q 11 -c "$work/gpl.txt" | wc -c)")"

build/ardm audio --data speech --split test --out "$work/wav" >/dev/null
ls "$work"/wav/*.wav | head -n 10 >"$work/wavs"
mapfile -t wavs <"$work/wavs"
echo "compressing 10 speech recordings (WAV, 16-bit mono 8 kHz, test split) with the bundled speech model"
build/ardm compress -k "${wavs[@]}" 2>&1 | grep "^methods:" | sed 's/^/ardm /'
build/ardm decompress -q -o "$work/wav-back" "${wavs[@]/%/.ardm}"
mkdir -p "$work/wav-model"
build/ardm compress -q -k --method model -o "$work/wav-model" "${wavs[@]}"
samples=0 ardm_bytes=0 flac_bytes=0 wv_bytes=0 model_bytes=0
for f in "${wavs[@]}"; do
  cmp -s "$f" "$work/wav-back/$(basename "$f")" || { echo "WAV round trip FAILED for $f" >&2; exit 1; }
  flac -8 --no-padding -s -f -o "$f.flac" "$f"
  samples=$((samples + $(metaflac --show-total-samples "$f.flac")))
  ardm_bytes=$((ardm_bytes + $(stat -c %s "$f.ardm")))
  flac_bytes=$((flac_bytes + $(stat -c %s "$f.flac")))
  wavpack -hh -x6 -q -y -o "$f.wv" "$f"
  wv_bytes=$((wv_bytes + $(stat -c %s "$f.wv")))
  model_bytes=$((model_bytes + $(stat -c %s "$work/wav-model/$(basename "$f").ardm")))
done
abits() { awk -v s="$1" -v n="$samples" 'BEGIN {printf "%.3f", 8 * s / n}'; }
echo "round trip: all 10 WAV files decoded byte for byte (separate processes)"
echo "bits per sample ($samples samples), each file alone, headers included:"
echo "  ardm (default level)                    $(abits "$ardm_bytes")"
echo "  ardm, the bundled speech model alone    $(abits "$model_bytes")"
echo "  flac -8 --no-padding                    $(abits "$flac_bytes")"
echo "  wavpack -hh -x6                         $(abits "$wv_bytes")"
