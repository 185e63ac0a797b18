#!/usr/bin/env bash
# Text through the command line: a tiny byte-level Transformer trained on a file, its bound,
# exact length, schedule and samples; compress/decompress of text and binary files of every
# awkward length (empty, one byte, a partial last chunk, invalid UTF-8), picked by content (PNG
# images to the image model, the rest to the text model), back byte for byte in another process
# and by the torch-free ardm-decode, and damaged files as clear errors with no output.
#   bash tests/text_cli_test.sh path/to/ardm path/to/ardm-decode SOURCE_DIR
set -u
ARDM=${1:?usage: text_cli_test.sh path/to/ardm path/to/ardm-decode SOURCE_DIR}
DECODE=${2:?}
SRC=${3:?}
unset ARDM_MODEL ARDM_TEXT_MODEL
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

# A corpus file (text), a tiny model: 32 characters per sequence.
corpus="$work/corpus.txt"
for i in $(seq 1 60); do echo "line $i: the quick brown fox jumps over the lazy dog; and so on."; done >"$corpus"
TINY=(--seq-len 32 --width 16 --layers 1 --heads 2 --mlp 32 --batch 8 --steps 20 --threads 2 -q)
expect_ok "train a text model on a file" "$ARDM" train --data "$corpus" --out "$work/run" "${TINY[@]}"
grep -q '"step":20' "$work/run/metrics.jsonl" && pass "metrics logged" || fail "metrics logged"
expect_ok "eval: bound in bits per character" "$ARDM" eval --model "$work/run/checkpoint.pt" --passes 1 --threads 2 -q
grep -Eq "test bound: [0-9.]+ \+- [0-9.]+ bpc \([0-9]+ sequences" "$work/out" && pass "eval prints bpc" || fail "eval: $(cat "$work/out")"
expect_ok "eval: a budget and the exact fixed-order length" "$ARDM" eval --model "$work/run/checkpoint.pt" --budget 4 \
  --exact-limit 3 --passes 1 --threads 2 -q
grep -Eq "exact fixed-order: [0-9.]+ bpc" "$work/out" && pass "exact length in bpc" || fail "exact: $(cat "$work/out")"
expect_ok "schedule" "$ARDM" schedule --model "$work/run/checkpoint.pt" --budget 4,32
expect_ok "sample prints text" "$ARDM" sample --model "$work/run/checkpoint.pt" --count 2 --budget 8 --out "$work/s.txt"
[ "$(grep -c -- '--- sample' "$work/out")" = 2 ] && [ -s "$work/s.txt" ] && pass "2 samples printed and written" ||
  fail "sample output: $(head -3 "$work/out")"
expect_ok "a text8 Upscale model (space/vowel/consonant, then the letter)" "$ARDM" train --data "$corpus" --vocab text8 \
  --upscale 2 --upscale-param text8 --out "$work/t8" "${TINY[@]}"
expect_ok "its bound and exact length" "$ARDM" eval --model "$work/t8/checkpoint.pt" --budget 6 --exact-limit 2 --passes 1 -q
grep -Eq "exact fixed-order: [0-9.]+ bpc" "$work/out" && pass "text8 Upscale: exact length in bpc" || fail "text8: $(cat "$work/out")"
expect_ok "text8 Upscale samples" "$ARDM" sample --model "$work/t8/checkpoint.pt" --count 1 --budget 6
grep -Eq "^[a-z ]{32}$" "$work/out" && pass "text8 samples are letters and spaces" || fail "text8 sample: $(cat "$work/out")"
expect_err "text8 training rejects a bad vocabulary" "vocabulary" "$ARDM" train --data "$corpus" --vocab utf16 --out "$work/v"
expect_ok "export" "$ARDM" export --model "$work/run/checkpoint.pt" --out "$work/m.ardmnet"
expect_err "export in an unknown order" "the order is 'random', 'dyadic', 'quincunx', 'streams' or 'adaptive', not 'bogus'" \
  "$ARDM" export --model "$work/run/checkpoint.pt" --order bogus --out "$work/bogus.ardmnet"
[ ! -e "$work/bogus.ardmnet" ] && pass "... and writes no model" || fail "an unknown order left $work/bogus.ardmnet"
expect_err "export in the adaptive order without the bit mixer" "it needs history 'mix'" \
  "$ARDM" export --model "$work/run/checkpoint.pt" --order adaptive --history match --out "$work/adaptive.ardmnet"
[ ! -e "$work/adaptive.ardmnet" ] && pass "... and writes no model" || fail "a refused export left $work/adaptive.ardmnet"
export ARDM_TEXT_MODEL="$work/m.ardmnet"

# Files of every awkward length; 32 is the chunk length.
d="$work/d"
mkdir -p "$d"
printf '' >"$d/empty"
printf 'x' >"$d/one"
head -c 31 "$corpus" >"$d/short.txt"
head -c 32 "$corpus" >"$d/chunk.txt"
head -c 33 "$corpus" >"$d/chunk-plus-one.txt"
head -c 1000 "$corpus" >"$d/long.txt"
printf 'caf\xc3\xa9 \xff\xfe\xc3 broken utf-8\r\n\0\0 and zeros' >"$d/bad-utf8.txt"
head -c 300 "$ARDM" >"$d/binary.bin"
mkdir -p "$work/orig"
cp "$d"/* "$work/orig/"
expect_ok "compress by the model (-v)" "$ARDM" compress -v --method model --budget 6 "$d"/*
grep -q "long.txt: 1000 -> [0-9]* bytes, [0-9.]* bits per byte (model [0-9.]*), method model, 32 chunks" "$work/err" &&
  pass "-v reports chunks and bits per byte" || fail "-v line: $(grep long.txt "$work/err")"
grep -q "empty: 0 -> 11 bytes" "$work/err" && pass "the empty file is stored (11 bytes)" || fail "empty file: $(grep empty "$work/err")"
n=$(ls "$d"/*.ardm | wc -l)
[ "$n" = 8 ] && [ ! -e "$d/long.txt" ] && pass "8 files replaced by .ardm" || fail "outputs: $(ls "$d")"
mkdir -p "$work/back"
expect_ok "decompress in another process, 1 thread, batch 1" "$ARDM" decompress -k -q --threads 1 --batch 1 -o "$work/back" "$d"/*.ardm
diff -r "$work/orig" "$work/back" >/dev/null && pass "every file back byte for byte" || fail "files differ: $(diff -rq "$work/orig" "$work/back")"
expect_ok "ardm-decode (no LibTorch)" "$DECODE" -k -q --threads 2 --batch 7 -o "$work/back2" "$d"/*.ardm
diff -r "$work/orig" "$work/back2" >/dev/null && pass "ardm-decode gives the same bytes" || fail "ardm-decode differs"
expect_ok "decompress in place" "$ARDM" decompress "$d/long.txt.ardm"
same "long.txt restored in place" "$d/long.txt" "$work/orig/long.txt"
[ ! -e "$d/long.txt.ardm" ] && pass ".ardm removed" || fail ".ardm not removed"

# auto never makes a file more than header + CRC larger than the input.
expect_ok "compress auto" "$ARDM" compress -k -q -o "$work/auto.ardm" "$work/orig/binary.bin"
[ "$(stat -c %s "$work/auto.ardm")" -le 312 ] && pass "binary data: at most 12 bytes over" || fail "binary grew to $(stat -c %s "$work/auto.ardm")"

# stdin to stdout, both ways.
"$ARDM" compress -q --method model <"$work/orig/long.txt" | "$ARDM" decompress -q >"$work/piped" 2>"$work/err" &&
  same "stdin to stdout and back" "$work/piped" "$work/orig/long.txt" || fail "pipe: $(cat "$work/err")"

# One call with a PNG and a text file: each goes to its own model.
if [ -f "${ARDM_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}/t10k-images-idx3-ubyte.gz" ]; then
  expect_ok "images" "$ARDM" images --data fashion-mnist --split test --limit 1 --out "$work/img"
  cp "$work/img/00000.png" "$work/mix.png"
  cp "$work/orig/long.txt" "$work/mix.txt"
  expect_ok "a PNG and a text file in one call" "$ARDM" compress -k -q "$work/mix.png" "$work/mix.txt"
  mkdir -p "$work/mixback"
  expect_ok "both back in one call" "$ARDM" decompress -q -o "$work/mixback" "$work/mix.png.ardm" "$work/mix.txt.ardm"
  same "the PNG back" "$work/mixback/mix.png" "$work/mix.png"
  same "the text back" "$work/mixback/mix.txt" "$work/mix.txt"
  expect_err "a PNG given the text model" "take 8-bit images" "$ARDM" compress -k -c --model "$work/m.ardmnet" "$work/mix.png"
  expect_err "text given the image model" "not bytes" "$ARDM" compress -k -c --model "$SRC/models/fashion-mnist.ardmnet" --method model "$work/mix.txt"
  expect_err "text has no JPEG XL method" "text files are coded by the model, stored, xz, bzip2, zstd or brotli (or chunk by chunk), not by 'jxl'" \
    "$ARDM" compress -k --method jxl -o "$work/jxl.ardm" "$work/mix.txt"
  [ ! -e "$work/jxl.ardm" ] && ! ls "$work" | grep -q 'jxl.ardm.tmp' && pass "a refused method writes nothing" ||
    fail "a refused method left $(ls "$work" | grep jxl)"
fi

# Damage: a flipped byte in the payload, a truncated file, another model's file.
cp "$d/chunk-plus-one.txt.ardm" "$work/bad.ardm"
printf '\x5a' | dd of="$work/bad.ardm" bs=1 seek=20 conv=notrunc 2>/dev/null
expect_err "a damaged file" "corrupted" "$ARDM" decompress -k -o "$work/bad.out" "$work/bad.ardm"
[ ! -e "$work/bad.out" ] && pass "no output for a damaged file" || fail "output left for a damaged file"
expect_err "ardm-decode: a damaged file" "corrupted" "$DECODE" -k -o "$work/bad2.out" "$work/bad.ardm"
[ ! -e "$work/bad2.out" ] && pass "ardm-decode: no output" || fail "ardm-decode left an output"
head -c 30 "$d/chunk-plus-one.txt.ardm" >"$work/short.ardm"
expect_err "a truncated file" "corrupted\|truncated" "$ARDM" decompress -k -o "$work/short.out" "$work/short.ardm"
expect_ok "a second model" "$ARDM" train --data "$corpus" --out "$work/run2" --seed 7 "${TINY[@]}"
expect_ok "export it" "$ARDM" export --model "$work/run2/checkpoint.pt" --out "$work/m2.ardmnet"
expect_err "another model's file" "wrong model" "$ARDM" decompress -k --model "$work/m2.ardmnet" -c "$d/one.ardm"
expect_err "a budget beyond the chunk" "outside 1..32" "$ARDM" compress -k --budget 33 -c "$work/orig/long.txt"
echo "$fails failed"
[ "$fails" -eq 0 ]
