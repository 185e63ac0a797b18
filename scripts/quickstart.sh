#!/usr/bin/env bash
# ardm's main job on its built-in defaults: install, build, then compress Fashion-MNIST test
# images losslessly with the bundled model, each image its own file; decompress them in another
# process, check that every image comes back exactly, and print the bits per pixel from the real
# file sizes next to PNG (optipng -o7) and JPEG-XL (cjxl -d 0 -e 9) on the same images.
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
