#!/usr/bin/env bash
# ardm compress / decompress through the command line, with the bundled model: round trips
# across processes and thread counts, stdin/stdout, multi-image files, gzip-like flags, and
# every bad input (damaged, truncated, foreign, wrong model, wrong image size) as a clear error
# that leaves no output behind.
set -u
ARDM=${1:?usage: codec_cli_test.sh path/to/ardm}
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
unset ARDM_MODEL  # the bundled model
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

if [ ! -f "${ARDM_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}/t10k-images-idx3-ubyte.gz" ]; then
  echo "skip: dataset-fashion-mnist is not installed"
  exit 0
fi
expect_ok "compress --help" "$ARDM" compress --help
grep -q -- "--budget" "$work/out" && grep -q -- "--keep" "$work/out" && pass "help lists --budget and --keep" || fail "compress --help"

# Originals: PNG files written by ardm's own writer, so equal pixels give equal files.
expect_ok "images" "$ARDM" images --data fashion-mnist --split test --limit 6 --out "$work/orig"
d="$work/d"
mkdir -p "$d"
cp "$work"/orig/*.png "$d/"

# One file, gzip-style: X.png -> X.png.ardm, input removed; then back.
expect_ok "compress one file" "$ARDM" compress -v "$d/00000.png"
[ -f "$d/00000.png.ardm" ] && [ ! -e "$d/00000.png" ] && pass "input replaced by .ardm" || fail "input replaced by .ardm"
grep -Eq "00000.png: [0-9]+ -> [0-9]+ bytes, [0-9.]+ bpd \(model [0-9.]+\), method model, 1 chunk" "$work/err" && pass "-v reports bpd and the method" || fail "-v line: $(cat "$work/err")"
size=$(stat -c %s "$d/00000.png.ardm")
[ "$size" -lt "$(stat -c %s "$work/orig/00000.png")" ] && pass "smaller than the PNG ($size bytes)" || fail "no smaller than the PNG"
expect_ok "decompress one file" "$ARDM" decompress "$d/00000.png.ardm"
same "round trip restores the image" "$d/00000.png" "$work/orig/00000.png"
[ ! -e "$d/00000.png.ardm" ] && pass ".ardm removed after decompress" || fail ".ardm removed after decompress"

# Many files encoded on 2 threads, decoded in another process on 1 thread, and one at a time.
expect_ok "compress -k, 2 threads" "$ARDM" compress -k -q --threads 2 "$d"/0000[0-5].png
for i in 0 1 2 3 4 5; do [ -f "$d/0000$i.png" ] || fail "-k kept 0000$i.png"; done
expect_ok "decompress -o folder, 1 thread" "$ARDM" decompress -q --threads 1 -o "$work/back" "$d"/*.ardm
ok=1; for i in 0 1 2 3 4 5; do cmp -s "$work/back/0000$i.png" "$work/orig/0000$i.png" || ok=0; done
[ $ok = 1 ] && pass "6 images exact across processes and thread counts" || fail "6 images exact across processes and thread counts"
"$ARDM" decompress -c --threads 2 "$d/00004.png.ardm" >"$work/one.png" 2>/dev/null
same "decompress -c, 2 threads" "$work/one.png" "$work/orig/00004.png"

# Budgets: the file says which; a larger budget costs more calls and usually fewer bytes.
for b in 1 7 100; do
  "$ARDM" compress -q --budget $b -c "$work/orig/00002.png" >"$work/b$b.ardm" && "$ARDM" decompress -c "$work/b$b.ardm" >"$work/b$b.png" 2>/dev/null
  same "budget $b round trip" "$work/b$b.png" "$work/orig/00002.png"
done
expect_err "budget out of range" "outside 1..784" "$ARDM" compress --budget 785 -c "$work/orig/00002.png"
cp "$work/orig/00002.png" "$work/gpu.png"
expect_err "the codec refuses a GPU" "runs on the CPU only" "$ARDM" compress --device cuda "$work/gpu.png"
[ -f "$work/gpu.png" ] && [ ! -e "$work/gpu.png.ardm" ] && pass "... the input kept, nothing written" ||
  fail "--device cuda left $(ls "$work" | grep gpu)"
expect_err "decompress refuses a GPU" "runs on the CPU only" "$ARDM" decompress --device cuda -c "$work/gpu.png"
expect_err "budget above what a file may ask" "above 1024" "$ARDM" compress --budget 2000 -c "$work/orig/00002.png"

# stdin -> stdout, both ways.
"$ARDM" compress <"$work/orig/00003.png" 2>/dev/null | "$ARDM" decompress >"$work/pipe.png" 2>/dev/null
same "stdin/stdout round trip" "$work/pipe.png" "$work/orig/00003.png"
"$ARDM" compress - <"$work/orig/00003.png" >"$work/dash.ardm" 2>/dev/null
"$ARDM" decompress - <"$work/dash.ardm" >"$work/dash.png" 2>/dev/null
same "'-' means stdin" "$work/dash.png" "$work/orig/00003.png"

# Several images in one file (-c), unpacked into a folder.
"$ARDM" compress -q -c "$work"/orig/0000[0-2].png >"$work/multi.ardm"
expect_ok "decompress a multi-image file" "$ARDM" decompress -q -k "$work/multi.ardm"
ok=1; for i in 0 1 2; do cmp -s "$work/multi/0000$i.png" "$work/orig/0000$i.png" || ok=0; done
[ $ok = 1 ] && pass "multi-image file holds all three" || fail "multi-image file"
expect_err "multi-image file to stdout" "holds 3 images" "$ARDM" decompress -c "$work/multi.ardm"
# A multi-image file that fails to decode leaves no folder, not even a partial one.
cp "$work/multi.ardm" "$work/multibad.ardm"
mlen=$(stat -c %s "$work/multibad.ardm")
printf '\x5a\xa5' | dd of="$work/multibad.ardm" bs=1 seek=$((mlen - 2)) conv=notrunc status=none
expect_err "damaged multi-image file" "corrupted" "$ARDM" decompress -q -k "$work/multibad.ardm"
[ ! -e "$work/multibad" ] && ! ls "$work" | grep -q 'multibad.tmp' &&
  pass "no partial folder for a damaged multi-image file" || fail "a folder was left for a damaged multi-image file"

# Two inputs that would write the same output: the second is refused, the first still done.
mkdir -p "$work/a" "$work/b" "$work/clash"
cp "$work/orig/00000.png" "$work/a/x.png"
cp "$work/orig/00001.png" "$work/b/x.png"
expect_err "two inputs, one output" "also the output of" "$ARDM" compress -q -k -o "$work/clash" "$work/a/x.png" "$work/b/x.png"
"$ARDM" decompress -q -c "$work/clash/x.png.ardm" >"$work/clash.png" 2>/dev/null
same "the first of two clashing inputs is written intact" "$work/clash.png" "$work/orig/00000.png"

# Overwrite protection and -f.
cp "$work/orig/00005.png" "$work/x.png"
"$ARDM" compress -q -k "$work/x.png"
expect_err "refuses to overwrite" "already exists" "$ARDM" compress -k "$work/x.png"
expect_ok "-f overwrites" "$ARDM" compress -q -k -f "$work/x.png"
expect_err "decompress refuses to overwrite" "already exists" "$ARDM" decompress -k "$work/x.png.ardm"
expect_err "unknown suffix" "unknown suffix" "$ARDM" decompress "$work/x.png"
expect_err "already compressed" "suffix" "$ARDM" compress "$work/x.png.ardm"

# Bad inputs: clear errors, non-zero exit, nothing written.
rm -f "$work/x.png"
expect_err "not an ardm file" "not an ardm file" "$ARDM" decompress "$work/orig/00001.png" -o "$work/nope1.png"
[ ! -e "$work/nope1.png" ] && pass "no output for a foreign file" || fail "output left for a foreign file"
cp "$work/x.png.ardm" "$work/bad.ardm"
len=$(stat -c %s "$work/bad.ardm")
printf '\x55' | dd of="$work/bad.ardm" bs=1 seek=$((len - 9)) conv=notrunc status=none
expect_err "damaged payload" "corrupted" "$ARDM" decompress -k "$work/bad.ardm"
[ ! -e "$work/bad.png" ] && pass "no output for a damaged file" || fail "output left for a damaged file"
head -c $((len - 4)) "$work/x.png.ardm" >"$work/short.ardm"
expect_err "truncated" "corrupted\|truncated" "$ARDM" decompress -k "$work/short.ardm"
[ ! -e "$work/short.png" ] && pass "no output for a truncated file" || fail "output left for a truncated file"
: >"$work/empty.ardm"
expect_err "empty file" "truncated" "$ARDM" decompress -k "$work/empty.ardm"
expect_err "missing input" "cannot open" "$ARDM" compress "$work/missing.png"
echo "not a png" >"$work/text.png"
expect_err "not a PNG" "not a PNG" "$ARDM" compress "$work/text.png"
[ ! -e "$work/text.png.ardm" ] && pass "no output for a bad input" || fail "output left for a bad input"
"$ARDM" images --data fashion-mnist --split test --limit 4 --out "$work/four" >/dev/null
"$ARDM" train --out "$work/tiny" --steps 1 --limit 16 --ch 8 --ch-mult 1 --attn-res "" --batch 4 -q >/dev/null 2>&1
expect_ok "sample a grid of 4 images" "$ARDM" sample --model "$work/tiny/checkpoint.pt" --count 4 --budget 2 --out "$work/grid.png" -q
# An image of another size is a photograph: the photo model's, or JPEG XL, WebP or stored, pixels exact.
expect_ok "image of another size" "$ARDM" compress -k -v "$work/grid.png"
grep -Eq "grid.png: .* method (model|jxl|webp|stored)" "$work/err" && pass "... by the photo model, JPEG XL, WebP or stored" || fail "grid: $(cat "$work/err")"
expect_ok "... decodes" "$ARDM" decompress -q -c "$work/grid.png.ardm"
cp "$work/out" "$work/grid-back.png"
"$ARDM" compress -q -k -c --method stored "$work/grid.png" >"$work/grid-a.ardm"
"$ARDM" compress -q -k -c --method stored "$work/grid-back.png" >"$work/grid-b.ardm"
cmp -s "$work/grid-a.ardm" "$work/grid-b.ardm" && pass "... to the same pixels" || fail "grid pixels differ"
expect_err "the image model codes only its own size" "need a photo model" "$ARDM" compress -k -c --method model --model "$work/tiny/checkpoint.pt" "$work/grid.png"
expect_err "wrong model" "wrong model" "$ARDM" decompress --model "$work/tiny/checkpoint.pt" -c "$work/x.png.ardm"
# PNGs of other types and depths (16-bit RGBA, 4-bit palette with tRNS, 2-bit gray with tRNS):
# same pixels, colour type and bit depth back.
for f in rgba16 palette4-trns gray2-trns; do
  cp "$SRC_DIR/tests/fixtures/$f.png" "$work/$f.png"
  expect_ok "$f.png compresses" "$ARDM" compress -k -f -v "$work/$f.png"
  grep -Eq "method (jxl|webp|stored)" "$work/err" && pass "$f.png by JPEG XL, WebP or stored" || fail "$f: $(cat "$work/err")"
  expect_ok "$f.png decodes" "$ARDM" decompress -q -c "$work/$f.png.ardm"
  cp "$work/out" "$work/$f-back.png"
  [ "$(file -b "$work/$f.png" | cut -d, -f1-3)" = "$(file -b "$work/$f-back.png" | cut -d, -f1-3)" ] &&
    pass "$f.png: the same size, colour type and depth" || fail "$f: $(file -b "$work/$f.png") vs $(file -b "$work/$f-back.png")"
  "$ARDM" compress -q -k -c --method stored "$work/$f.png" >"$work/p1.ardm"
  "$ARDM" compress -q -k -c --method stored "$work/$f-back.png" >"$work/p2.ardm"
  cmp -s "$work/p1.ardm" "$work/p2.ardm" && pass "$f.png: the same pixels" || fail "$f: pixels differ"
done
# Levels: -1 .. -9 set the budget (within what the model can spend); --budget is exact control.
expect_ok "level -1" "$ARDM" compress -k -f -v -1 -c "$work/orig/00001.png"
grep -q "budget 2," "$work/err" && pass "-1 is budget 2" || fail "-1: $(cat "$work/err")"
expect_ok "level -9" "$ARDM" compress -k -f -v -9 -c "$work/orig/00001.png"
grep -q "budget 100," "$work/err" && pass "-9 is budget 100" || fail "-9: $(cat "$work/err")"
expect_err "a level and a budget" "excludes" "$ARDM" compress -k -c -3 --budget 7 "$work/orig/00001.png"

# One bad file among good ones: the good ones are still done, the exit status says 1.
cp "$work/orig/00001.png" "$work/good.png"
expect_err "mixed batch fails overall" "not a PNG" "$ARDM" compress -k -q "$work/good.png" "$work/text.png"
[ -f "$work/good.png.ardm" ] && pass "the good file was still compressed" || fail "the good file was not compressed"

# A data set, item by item, with the round trip from the files on disk.
expect_ok "compress --data --verify" "$ARDM" compress -q --data fashion-mnist --split test --limit 5 --verify -o "$work/ds"
grep -Eq "^compressed 5 images into .*: [0-9.]+ bpd from the file sizes .* model's exact code length [0-9.]+ bpd" "$work/out" &&
  grep -q "^verified 5 files: 5 decoded to the exact original, 0 failed" "$work/out" && pass "data set summary and verify" ||
  fail "data set output: $(cat "$work/out")"
[ "$(ls "$work/ds" | wc -l)" = 5 ] && pass "one file per image" || fail "one file per image"
expect_err "data folder not empty" "not empty" "$ARDM" compress -q --data fashion-mnist --limit 5 -o "$work/ds"
ls "$work" "$work/d" "$work/ds" | grep -q '\.tmp' && fail "temporary files left" || pass "no temporary files left"

echo "$fails failed"
[ "$fails" -eq 0 ]
