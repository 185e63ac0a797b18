#!/usr/bin/env bash
# Golden files: .ardm files made by an earlier ardm build, with the bundled models, committed in
# tests/golden/ beside the PNG images, the text and the WAV file they code. Any later build must decode them to the same
# PNG bytes, encode the PNG images to the same .ardm bytes, and reject a damaged copy leaving
# nothing behind. The .ardm bytes may change only with a format version bump (tests/golden/README.md).
#
# Files made by the deterministic engine (*.engine.ardm) decode and encode bit-exactly on any
# machine: any mismatch fails, and ardm-decode (given as the second argument) must decode them
# too. Files made before the engine, by LibTorch's kernels, decode bit-exactly only on the same
# kind of CPU, so tests/golden/cpu-signature.txt records the CPU that made them; a mismatch of
# one of those on a CPU with another signature is skipped with its reason (that case alone), while
# every portable file must still match: the test passes or fails, it never skips as a whole.
#
#   bash tests/golden_test.sh path/to/ardm [path/to/ardm-decode]   (GOLDEN_DIR overrides the folder)
#   bash tests/golden_test.sh --signature        this machine's CPU signature line
set -u

# Vendor plus the instruction-set flags that select LibTorch's float kernels.
cpu_signature() {
  local vendor flags sig f
  vendor=$(awk -F': *' '/^vendor_id/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
  flags=" $(awk -F': *' '/^flags/ { print $2; exit }' /proc/cpuinfo 2>/dev/null) "
  sig=${vendor:-unknown}
  for f in avx512f avx2 fma; do
    case "$flags" in *" $f "*) sig="$sig $f" ;; esac
  done
  echo "$sig"
}

if [ "${1:-}" = "--signature" ]; then cpu_signature; exit 0; fi
ARDM=${1:?usage: golden_test.sh path/to/ardm [path/to/ardm-decode] (or --signature)}
DECODE=${2:-}
GOLDEN_DIR=${GOLDEN_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/golden}
MODELS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../models" && pwd)
unset ARDM_MODEL ARDM_TEXT_MODEL ARDM_AUDIO_MODEL ARDM_PHOTO_MODEL  # the bundled models

# The pinned cases: committed PNG, the budget its .ardm file was made at, the file, whether this
# build must also encode the PNG to exactly those bytes (what it writes now) or only decode them
# (older files, which must keep decoding forever), whether the file is portable (engine) or
# tied to the kind of CPU that made it (LibTorch), and the model (under models/) it is encoded
# with when not the bundled one.
cases=(
  "fmnist-test-00000.png 20 fmnist-test-00000.png.ardm decode cpu"          # format 1, LibTorch
  "fmnist-test-00001-b5.png 5 fmnist-test-00001-b5.png.ardm decode cpu"     # format 1, LibTorch
  "fmnist-test-00000.png 20 fmnist-test-00000.v3.ardm decode cpu"           # format 3, LibTorch
  "fmnist-test-00001-b5.png 5 fmnist-test-00001-b5.v3.ardm decode cpu"      # format 3, LibTorch
  "fmnist-test-00000.png 20 fmnist-test-00000.engine.ardm encode any"       # format 3, engine
  "fmnist-test-00001-b5.png 5 fmnist-test-00001-b5.engine.ardm encode any"  # format 3, engine
  # The first bundled text model's files: they decode with no model given (ardm picks the older
  # bundled model by the file's model id), and encode with that model named.
  "kjv-jonah-1.txt 20 kjv-jonah-1.b20.text.ardm encode any older/text-kjv-058d7cab.ardmnet"   # format 3, engine
  "kjv-jonah-1.txt 100 kjv-jonah-1.b100.text.ardm encode any older/text-kjv-058d7cab.ardmnet" # format 3, engine
  # The second bundled text model: format 4 (each 64-byte chunk after the 64 bytes before it),
  # streams order; kept in models/older/ like the first.
  "kjv-jonah-1.txt 20 kjv-jonah-1.v4-b20.text.ardm encode any older/text-corpus-a61d2691.ardmnet"
  "kjv-jonah-1.txt 64 kjv-jonah-1.v4-b64.text.ardm encode any older/text-corpus-a61d2691.ardmnet"
  # The third: the same, with the match history mixed in.
  "kjv-jonah-1.txt 20 kjv-jonah-1.v4h-b20.text.ardm encode any older/text-corpus-0c8b48a6.ardmnet"
  "kjv-jonah-1.txt 64 kjv-jonah-1.v4h-b64.text.ardm encode any older/text-corpus-0c8b48a6.ardmnet"
  # The fourth: the bit mixer.
  "kjv-jonah-1.txt 20 kjv-jonah-1.v4m-b20.text.ardm encode any older/text-corpus-45d8b009.ardmnet"
  "kjv-jonah-1.txt 64 kjv-jonah-1.v4m-b64.text.ardm encode any older/text-corpus-45d8b009.ardmnet"
  # The bundled text model: the adaptive order (the tables' chunks after 2 KB go left to right).
  "kjv-jonah-1.txt 20 kjv-jonah-1.v4a-b20.text.ardm encode any"
  "kjv-jonah-1.txt 64 kjv-jonah-1.v4a-b64.text.ardm encode any"
  "v4l-table.txt 20 v4l-table.v4a-b20.text.ardm encode any"
  # The speech files before format 5 keep their WAV header verbatim; ardm now writes a plain
  # header as its sample rate (format 5), so these only decode.
  # The first bundled speech model (format 3: 8,000-sample chunks, each alone).
  "telephone-number.wav 4 telephone-number.b4.wav.ardm decode any"
  "telephone-number.wav 20 telephone-number.b20.wav.ardm decode any"
  # The second: format 4 (4,000-sample chunks, each after the 512 samples before it), the
  # logistic mixture and the linear prediction head.
  "telephone-number.wav 4 telephone-number.v4-b4.wav.ardm decode any"
  "telephone-number.wav 20 telephone-number.v4-b20.wav.ardm decode any"
  # The third: the same network trained longer, its schedules from per-step costs measured on
  # validation clips (`ardm schedule --measure`).
  "telephone-number.wav 4 telephone-number.v4c-b4.wav.ardm decode any"
  "telephone-number.wav 20 telephone-number.v4c-b20.wav.ardm decode any"
  # The fourth: format 5 (the WAV header as its sample rate), trained on in dyadic orders.
  "telephone-number.wav 4 telephone-number.v5d-b4.wav.ardm encode any older/speech-19f5a58d.ardmnet"
  "telephone-number.wav 20 telephone-number.v5d-b20.wav.ardm encode any older/speech-19f5a58d.ardmnet"
  # The bundled speech model: the same network trained longer, the rate lowered to its end.
  "telephone-number.wav 4 telephone-number.v5e-b4.wav.ardm encode any"
  "telephone-number.wav 20 telephone-number.v5e-b20.wav.ardm encode any"
  # The first bundled photo model: tiles with a margin (format 4), an RGB photo of 2 x 2 tiles
  # cut by both edges, and a gray one (channels 1 and 2 copies of 0) of one row of 2 tiles.
  "coffee-48x40.png 20 coffee-48x40.p1-b20.png.ardm encode any older/photo-db9a4918.ardmnet"
  "coffee-48x40.png 4 coffee-48x40.p1-b4.png.ardm encode any older/photo-db9a4918.ardmnet"
  "camera-37x29.png 20 camera-37x29.p1-b20.png.ardm encode any older/photo-db9a4918.ardmnet"
  # The bundled photo model: the same network in the quincunx order, its policies starting
  # where the order's groups do.
  "coffee-48x40.png 20 coffee-48x40.p2-b20.png.ardm encode any"
  "coffee-48x40.png 4 coffee-48x40.p2-b4.png.ardm encode any"
  "camera-37x29.png 20 camera-37x29.p2-b20.png.ardm encode any"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0       # failures that no CPU difference explains
skips=0       # LibTorch-era results that differ on another kind of CPU (not comparable)
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
portable=any

if ! "$ARDM" compress --help >/dev/null 2>&1; then echo "FAIL $ARDM compress --help does not run"; exit 1; fi
here=$(cpu_signature)
made_on=$(head -n 1 "$GOLDEN_DIR/cpu-signature.txt" 2>/dev/null)
[ -n "$made_on" ] && pass "golden files made on: $made_on (this machine: $here)" ||
  fail "$GOLDEN_DIR/cpu-signature.txt is missing or empty"

for c in "${cases[@]}"; do
  set -- $c
  png=$1 budget=$2 file=$3 mode=$4 portable=$5 model=${6:+$MODELS_DIR/$6}
  # A portable file may not differ on any machine.
  # A portable file must match everywhere; a LibTorch-era file only on the kind of CPU that made
  # it: elsewhere a difference is skipped, case by case, with the reason.
  if [ "$portable" = any ] || [ "$here" = "$made_on" ]; then
    mismatch() { fail "$@"; }
  else
    mismatch() { echo "skip $1 (made by LibTorch's kernels on $made_on; this CPU, $here, computes differently)"; skips=$((skips + 1)); }
  fi
  g="$GOLDEN_DIR/$png"
  a="$GOLDEN_DIR/$file"
  if [ ! -f "$g" ] || [ ! -f "$a" ]; then fail "$png: $g or $a is missing"; continue; fi

  # (a) The committed file decodes to the committed PNG, byte for byte.
  mkdir -p "$work/dec"
  if "$ARDM" decompress -q -c "$a" >"$work/dec/$png" 2>"$work/err"; then
    cmp -s "$work/dec/$png" "$g" && pass "$file decodes to $png" ||
      mismatch "$file decodes to other bytes than $png"
  else
    mismatch "$file does not decode (exit $?): $(tail -2 "$work/err")"
  fi

  # (a') The torch-free decoder gives the same PNG.
  if [ -n "$DECODE" ] && [ "$portable" = any ]; then
    if "$DECODE" -q -c "$a" >"$work/dec/d-$png" 2>"$work/err"; then
      cmp -s "$work/dec/d-$png" "$g" && pass "$file decodes to $png with ardm-decode" ||
        fail "$file decodes with ardm-decode to other bytes than $png"
    else
      fail "$file does not decode with ardm-decode (exit $?): $(tail -2 "$work/err")"
    fi
  fi

  # (b) The committed PNG encodes, at its budget, to the committed file, byte for byte.
  mkdir -p "$work/enc"
  if [ "$mode" = encode ]; then
    if "$ARDM" compress -q -k -c --method model --budget "$budget" ${model:+--model "$model"} "$g" >"$work/enc/$file" 2>"$work/err"; then
      cmp -s "$work/enc/$file" "$a" && pass "$png at budget $budget encodes to $file" ||
        mismatch "$png at budget $budget encodes to other bytes than $file ($(stat -c %s "$work/enc/$file") vs $(stat -c %s "$a") bytes)"
    else
      mismatch "$png does not encode (exit $?): $(tail -2 "$work/err")"
    fi
  fi

  # (c) One byte flipped in the middle: an error, and no output file.
  bad="$work/bad-$file"
  mkdir -p "$bad"
  cp "$a" "$bad/$png.ardm"
  len=$(stat -c %s "$bad/$png.ardm")
  mid=$((len / 2))
  old=$(od -An -tu1 -j "$mid" -N1 "$bad/$png.ardm" | tr -d ' ')
  printf "\\$(printf '%03o' $((old ^ 0xFF)))" | dd of="$bad/$png.ardm" bs=1 seek="$mid" conv=notrunc status=none
  if cmp -s "$bad/$png.ardm" "$a"; then
    fail "$file: flipping byte $mid changed nothing"
  elif "$ARDM" decompress -q -k "$bad/$png.ardm" >"$work/out" 2>"$work/err"; then
    fail "$file with byte $mid of $len flipped: decoded without an error"
  else
    pass "$file with byte $mid of $len flipped: rejected ($(tail -1 "$work/err"))"
  fi
  if [ -n "$DECODE" ] && [ "$portable" = any ]; then
    if "$DECODE" -q -k "$bad/$png.ardm" 2>"$work/err"; then
      fail "$file with byte $mid flipped: ardm-decode decoded it without an error"
    else
      pass "$file with byte $mid flipped: ardm-decode rejects it ($(tail -1 "$work/err"))"
    fi
  fi
  left=$(ls -A "$bad" | grep -vx "$png.ardm")
  [ -z "$left" ] && pass "$file damaged: no output left" || fail "$file damaged: left $left"
done

echo "$fails failed, $skips skipped"
[ "$fails" -eq 0 ]
