#!/usr/bin/env bash
# Files made by this machine's ardm decode to the same bits everywhere the engine runs:
#   (a) with 1, 2 and 8 threads and batches of 1, 16 and 64, and with each kernel this CPU has
#       (ardm-decode links neither LibTorch nor a BLAS, so their instruction-set limits cannot
#       change its bits and are not tried);
#   (b) in a build for baseline x86-64 with the scalar kernel only, run on an emulated CPU without
#       AVX (qemu-x86_64 -cpu qemu64);
#   (c) in a static aarch64 build run under qemu-aarch64 (NEON kernel, and scalar).
# The files: a tiny OA-ARDM and a tiny Upscale ARDM trained here for a few steps and exported
# (budgets 4 and 13), the bundled model at budget 2, a tiny text Transformer's files (text with
# a partial last chunk, binary bytes; also by one that sees the bytes before each chunk, and by
# that one mixing in the file's history: the match history and the bit mixer), a
# tiny audio DiffWave's WAV files (chunks after the samples before them), and the committed
# golden engine files; all coded by the
# model (--method model). Emulated runs take the cheaper of them (see ONLY below).
#
#   bash tests/cross_decode_test.sh SOURCE_DIR BUILD_DIR WORK_DIR
# Exit 77 (skipped) when the cross compiler or qemu is missing (scripts/setup.sh installs them).
set -u
SRC=${1:?usage: cross_decode_test.sh SOURCE_DIR BUILD_DIR WORK_DIR}
BUILD=${2:?}
WORK=${3:?}
ARDM=$BUILD/ardm
DECODE=$BUILD/ardm-decode
unset ARDM_MODEL ARDM_ENGINE_ISA

for tool in aarch64-linux-gnu-g++ qemu-aarch64-static qemu-x86_64-static; do
  if ! command -v "$tool" >/dev/null; then echo "skip: $tool is not installed (scripts/setup.sh installs it)"; exit 77; fi
done

fails=0
# Each line says when it was reached (seconds since the start), to show what the test spends.
pass() { echo "ok   $1 [${SECONDS} s]"; }
fail() { echo "FAIL $1 [${SECONDS} s]"; fails=$((fails + 1)); }

rm -rf "$WORK"
mkdir -p "$WORK"
jobs=$(nproc 2>/dev/null || echo 2)

# ---- the decoders without LibTorch: static aarch64 (without PNG, JPEG XL and the classical
# codecs' libraries), and baseline x86-64 (with them: it decodes a file of every method)
build_decoder() {  # name, extra cmake args...
  local name=$1
  shift
  if cmake -S "$SRC" -B "$WORK/$name" -DARDM_DECODER_ONLY=ON -DCMAKE_BUILD_TYPE=Release "$@" >"$WORK/$name.log" 2>&1 &&
     cmake --build "$WORK/$name" -j "$jobs" --target ardm-decode twin_test >>"$WORK/$name.log" 2>&1; then
    pass "built ardm-decode and twin_test for $name"
  else
    fail "building ardm-decode for $name (log: $WORK/$name.log)"
    tail -20 "$WORK/$name.log"
  fi
}
build_decoder aarch64 -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++ \
  -DCMAKE_DISABLE_FIND_PACKAGE_PNG=ON -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON -DCMAKE_DISABLE_FIND_PACKAGE_BZip2=ON \
  -DCMAKE_EXE_LINKER_FLAGS=-static
build_decoder baseline -DARDM_NO_SIMD=ON -DCMAKE_CXX_FLAGS="-march=x86-64 -mtune=generic"
file "$WORK/aarch64/ardm-decode" | grep -q "ARM aarch64" && pass "the aarch64 decoder is an aarch64 binary" ||
  fail "the aarch64 decoder is not an aarch64 binary: $(file "$WORK/aarch64/ardm-decode")"

# ---- the files, made by this machine's ardm
"$ARDM" images --data fashion-mnist --split test --limit 21 --out "$WORK/img" >/dev/null || fail "ardm images"
TINY=(--limit 64 --ch 8 --ch-mult 1,2 --attn-res 14 --batch 8 --steps 3 --threads 2 -q)
"$ARDM" train --out "$WORK/oa" "${TINY[@]}" >/dev/null 2>&1 || fail "training a tiny OA-ARDM"
"$ARDM" train --out "$WORK/up" --upscale 4 --upscale-param direct "${TINY[@]}" >/dev/null 2>&1 ||
  fail "training a tiny Upscale ARDM"
models=()
for m in oa up; do
  "$ARDM" export --model "$WORK/$m/checkpoint.pt" --out "$WORK/$m.ardmnet" >/dev/null && models+=("$m") ||
    fail "exporting $m"
done
mkdir -p "$WORK/files"
cases=()  # name model-file
encode() {  # name, model, budget, images...
  local name=$1 model=$2 budget=$3
  shift 3
  mkdir -p "$WORK/files/$name"
  if "$ARDM" compress -q -k --threads 2 --method model --model "$model" --budget "$budget" -o "$WORK/files/$name" "$@" 2>"$WORK/err"; then
    cases+=("$name $model")
  else
    fail "compress $name: $(tail -1 "$WORK/err")"
  fi
}
for m in "${models[@]}"; do
  encode "$m-b4" "$WORK/$m.ardmnet" 4 "$WORK"/img/0000[0-2].png
  encode "$m-b13" "$WORK/$m.ardmnet" 13 "$WORK"/img/0000[3-5].png
  mkdir -p "$WORK/files/$m-one"
  cp "$WORK/files/$m-b4/00000.png.ardm" "$WORK/files/$m-one/" && cases+=("$m-one $WORK/$m.ardmnet")
done
encode bundled-b2 "$SRC/models/fashion-mnist.ardmnet" 2 "$WORK/img/00020.png"
# A tiny byte-level text model (Transformer) and files for it: text with a last partial chunk,
# binary bytes, one chunk exactly.
mkdir -p "$WORK/text"
head -c 100 "$SRC/README.md" >"$WORK/text/notes.txt"
head -c 45 "$ARDM" >"$WORK/text/binary.dat"
head -c 32 "$SRC/docs/format.md" >"$WORK/text/one-chunk.md"
"$ARDM" train --out "$WORK/txt" --data "$SRC/README.md" --seq-len 32 --width 16 --layers 2 --heads 2 --mlp 32 \
  --batch 8 --steps 3 --threads 2 -q >/dev/null 2>&1 || fail "training a tiny text model"
if "$ARDM" export --model "$WORK/txt/checkpoint.pt" --out "$WORK/txt.ardmnet" >/dev/null; then
  encode txt "$WORK/txt.ardmnet" 5 "$WORK"/text/*
else
  fail "exporting the text model"
fi
# The same with a context: 16-byte chunks, each coded after the 16 bytes before it (version-4
# files: one stream per row), whole and chunk by chunk.
"$ARDM" train --out "$WORK/ctx" --data "$SRC/README.md" --seq-len 16 --context 16 --width 16 --layers 2 --heads 2 \
  --mlp 32 --batch 8 --steps 3 --threads 2 -q >/dev/null 2>&1 || fail "training a tiny text model with a context"
if "$ARDM" export --model "$WORK/ctx/checkpoint.pt" --out "$WORK/ctx.ardmnet" >/dev/null; then
  encode ctx "$WORK/ctx.ardmnet" 5 "$WORK"/text/*
else
  fail "exporting the text model with a context"
fi
# ... and exported with the streams order and the match history (the history's guesses and
# adaptive tables are integers, the same everywhere): the text, and a text that repeats itself.
mkdir -p "$WORK/text-repeats"
{ head -c 150 "$SRC/README.md"; head -c 150 "$SRC/README.md"; head -c 90 "$SRC/docs/format.md"; } >"$WORK/text-repeats/repeats.txt"
if "$ARDM" export --model "$WORK/ctx/checkpoint.pt" --order streams --history match --out "$WORK/hist.ardmnet" >/dev/null; then
  encode hist "$WORK/hist.ardmnet" 5 "$WORK"/text/* "$WORK/text-repeats/repeats.txt"
else
  fail "exporting the text model with the match history"
fi
# ... and with the bit mixer (each byte's bits from the network, the file's contexts and the
# match model, mixed in integers).
if "$ARDM" export --model "$WORK/ctx/checkpoint.pt" --order streams --history mix --out "$WORK/bmix.ardmnet" >/dev/null; then
  encode bmix "$WORK/bmix.ardmnet" 5 "$WORK"/text/* "$WORK/text-repeats/repeats.txt"
else
  fail "exporting the text model with the bit mixer"
fi
# ... and with the adaptive order: a chunk after one the mixer coded cheaply goes left to right,
# the network called where a byte surprised the mixer (the costs are integers too); a text that
# repeats itself many times makes such chunks after its first 2,048 bytes.
mkdir -p "$WORK/text-many"
{ for i in $(seq 60); do head -c 48 "$SRC/README.md"; done; head -c 40 "$SRC/docs/format.md"; } >"$WORK/text-many/many.txt"
if "$ARDM" export --model "$WORK/ctx/checkpoint.pt" --order adaptive --history mix --out "$WORK/badapt.ardmnet" >/dev/null; then
  encode badapt "$WORK/badapt.ardmnet" 5 "$WORK"/text/* "$WORK/text-repeats/repeats.txt" "$WORK/text-many/many.txt"
else
  fail "exporting the text model with the adaptive order"
fi
# A tiny audio model (DiffWave, Upscale b = 16, each chunk after the 64 samples before it) and
# WAV files for it: speech of several chunks with a tail, and a short one; only where the speech
# data is installed. (The bundled model's golden files code chunks without a context.)
SPEECH=/usr/share/asterisk/sounds/en_US_f_Allison
if [ -d "$SPEECH" ]; then
  mkdir -p "$WORK/wav" "$WORK/wavtrain"
  cp "$SPEECH/digits/7.wav" "$SPEECH/goodbye.wav" "$WORK/wav/"
  cp "$SPEECH/hello-world.wav" "$WORK/wavtrain/"
  "$ARDM" train --out "$WORK/aud" --data "$WORK/wavtrain" --clip-len 500 --context 64 --width 8 --layers 2 --dilation-cycle 2 \
    --batch 4 --steps 3 --threads 2 -q >/dev/null 2>&1 || fail "training a tiny audio model"
  if "$ARDM" export --model "$WORK/aud/checkpoint.pt" --out "$WORK/aud.ardmnet" >/dev/null; then
    encode wav "$WORK/aud.ardmnet" 6 "$WORK"/wav/*
  else
    fail "exporting the audio model"
  fi
fi
# A tiny photo model (tiles of 8 x 8 with a margin of 4, trained on the golden photos, with the
# affine prediction head over the 3 x 3 pixels around) and photos for it: RGB and gray, of
# several tiles cut by the edges.
mkdir -p "$WORK/photos/train" "$WORK/photo-in"
cp "$SRC/tests/golden/coffee-48x40.png" "$SRC/tests/golden/camera-37x29.png" "$WORK/photos/train/"
cp "$SRC/tests/golden/coffee-48x40.png" "$SRC/tests/golden/camera-37x29.png" "$WORK/photo-in/"
ARDM_PHOTOS_DIR="$WORK/photos" "$ARDM" train --out "$WORK/pho" --data photos --tile 8 --context 4 --ch 8 --ch-mult 1,2 \
  --taps 1 --head affine --batch 8 --steps 3 --limit 64 --threads 2 -q >/dev/null 2>&1 || fail "training a tiny photo model"
if "$ARDM" export --model "$WORK/pho/checkpoint.pt" --out "$WORK/pho.ardmnet" >/dev/null; then
  encode photo "$WORK/pho.ardmnet" 6 "$WORK"/photo-in/*.png
else
  fail "exporting the photo model"
fi
# A file of every method: images by JPEG XL, WebP, stored, image by image (-c, --method chunks), and
# PNGs of other types and depths; byte streams by each compressor, stored and chunk by chunk;
# WAVs by WavPack, FLAC, stored, chunk by chunk, and 24-bit stereo and float ones.
methods() {  # case, model, input, method, output name
  mkdir -p "$WORK/files/$1"
  "$ARDM" compress -q -k -c --threads 2 --budget 6 --model "$2" --method "$4" $3 >"$WORK/files/$1/$5.ardm" 2>"$WORK/err" ||
    fail "compress $5 by $4: $(tail -1 "$WORK/err")"
}
FMNIST=$SRC/models/fashion-mnist.ardmnet
methods img-methods "$FMNIST" "$WORK/img/00006.png" jxl 6-jxl.png
methods img-methods "$FMNIST" "$WORK/img/00007.png" stored 7-stored.png
methods img-methods "$FMNIST" "$WORK/img/00011.png" webp 11-webp.png
methods img-methods "$FMNIST" "$WORK/img/00008.png $WORK/img/00009.png $WORK/img/00010.png" chunks 8-10-chunks
for f in rgba16 palette4-trns gray2-trns; do methods img-methods "$FMNIST" "$SRC/tests/fixtures/$f.png" auto "$f.png"; done
cases+=("img-methods $FMNIST")
if [ -f "$WORK/txt.ardmnet" ]; then
  for m in xz bzip2 zstd brotli stored chunks; do methods txt-methods "$WORK/txt.ardmnet" "$WORK/text/notes.txt" "$m" "notes-$m.txt"; done
  cases+=("txt-methods $WORK/txt.ardmnet")
fi
if [ -f "$WORK/ctx.ardmnet" ]; then
  methods ctx-methods "$WORK/ctx.ardmnet" "$WORK/text/notes.txt" chunks notes-chunks.txt
  cases+=("ctx-methods $WORK/ctx.ardmnet")
fi
if [ -f "$WORK/aud.ardmnet" ]; then
  for m in wavpack flac stored chunks; do methods wav-methods "$WORK/aud.ardmnet" "$WORK/wav/goodbye.wav" "$m" "goodbye-$m.wav"; done
  for f in stereo24 float; do methods wav-methods "$WORK/aud.ardmnet" "$SRC/tests/fixtures/$f.wav" auto "$f.wav"; done
  cases+=("wav-methods $WORK/aud.ardmnet")
fi
golden_case() {  # case name, model (under models/), committed golden files (under tests/golden/)...
  local name=$1 model=$2
  shift 2
  mkdir -p "$WORK/files/$name"
  (cd "$SRC/tests/golden" && cp "$@" "$WORK/files/$name/") && cases+=("$name $SRC/models/$model")
}
golden_case golden fashion-mnist.ardmnet $(cd "$SRC/tests/golden" && echo *.engine.ardm)
# The first bundled text model's golden file at budget 20 (the budget-100 one costs minutes under qemu).
golden_case golden-text older/text-kjv-058d7cab.ardmnet kjv-jonah-1.b20.text.ardm
# The third and fourth bundled text models' golden files at budget 20 (the match history, the bit
# mixer), and the bundled one's (the adaptive order, on a file of tables).
golden_case golden-text-hist older/text-corpus-0c8b48a6.ardmnet kjv-jonah-1.v4h-b20.text.ardm
golden_case golden-text-mix older/text-corpus-45d8b009.ardmnet kjv-jonah-1.v4m-b20.text.ardm
golden_case golden-text-adapt text-bytes.ardmnet v4l-table.v4a-b20.text.ardm
# The speech models' golden files at budget 4 (one call per stage; budget 20 costs minutes under
# qemu): the first bundled model's (format 3), the second's (format 4: a context, the logistic
# mixture, the linear prediction head), the third's (the same network trained longer), the
# fourth's (format 5: the WAV header as its sample rate; trained on in dyadic orders) and the
# bundled one's (the same network trained longer still).
golden_case golden-audio older/speech-086379dd.ardmnet telephone-number.b4.wav.ardm
golden_case golden-audio-v4 older/speech-b40cfc58.ardmnet telephone-number.v4-b4.wav.ardm
golden_case golden-audio-v4c older/speech-0001d157.ardmnet telephone-number.v4c-b4.wav.ardm
golden_case golden-audio-v5d older/speech-19f5a58d.ardmnet telephone-number.v5d-b4.wav.ardm
golden_case golden-audio-v5e speech.ardmnet telephone-number.v5e-b4.wav.ardm
# The photo models': an RGB photo of 2 x 2 tiles at budget 4, a gray one at 20; the first
# bundled model's (the dyadic order) and the bundled one's (quincunx: the grouped policies).
golden_case golden-photo older/photo-db9a4918.ardmnet coffee-48x40.p1-b4.png.ardm camera-37x29.p1-b20.png.ardm
golden_case golden-photo-q photo.ardmnet coffee-48x40.p2-b4.png.ardm camera-37x29.p2-b20.png.ardm

# The reference: this machine's decoder, all threads, default batch and kernel. Its PNGs must be
# the original images.
for c in "${cases[@]}"; do
  set -- $c
  mkdir -p "$WORK/ref/$1"
  "$DECODE" -q -k --raw --model "$2" -o "$WORK/ref/$1" "$WORK/files/$1"/*.ardm 2>"$WORK/err" ||
    fail "reference decode of $1: $(tail -1 "$WORK/err")"
done
n=0
bad=0
for c in "${cases[@]}"; do
  set -- $c
  case "$1" in golden* | *-one | txt | ctx | hist | bmix | badapt | wav | photo | *-methods) continue ;; esac
  mkdir -p "$WORK/png/$1"
  "$ARDM" decompress -q -k --model "$2" -o "$WORK/png/$1" "$WORK/files/$1"/*.ardm 2>"$WORK/err" ||
    fail "decompress $1: $(tail -1 "$WORK/err")"
  for f in "$WORK/png/$1"/*.png; do
    n=$((n + 1))
    cmp -s "$f" "$WORK/img/$(basename "$f")" || bad=$((bad + 1))
  done
done
[ "$n" -eq 13 ] && [ "$bad" -eq 0 ] && pass "ardm decompress gives back all $n original images" ||
  fail "ardm decompress: $n images, $bad differ from the originals"
decodes_back() {  # case, model, folder of the expected files, what passes
  mkdir -p "$WORK/back/$1"
  "$ARDM" decompress -q -k --model "$2" -o "$WORK/back/$1" "$WORK/files/$1"/*.ardm 2>"$WORK/err" ||
    fail "decompress $1: $(tail -1 "$WORK/err")"
  diff -rq "$3" "$WORK/back/$1" >/dev/null && pass "$4" || fail "$1: files differ after ardm decompress"
}
mkdir -p "$WORK/expect-hist" "$WORK/expect-adapt"
cp "$WORK"/text/* "$WORK/text-repeats/repeats.txt" "$WORK/expect-hist/"
cp "$WORK"/expect-hist/* "$WORK/text-many/many.txt" "$WORK/expect-adapt/"
decodes_back txt "$WORK/txt.ardmnet" "$WORK/text" "ardm decompress gives back the 3 text and binary files"
decodes_back ctx "$WORK/ctx.ardmnet" "$WORK/text" "... and so do the files coded with the bytes before each chunk"
decodes_back hist "$WORK/hist.ardmnet" "$WORK/expect-hist" "... and so do the files coded with the match history"
decodes_back bmix "$WORK/bmix.ardmnet" "$WORK/expect-hist" "... and so do the files coded with the bit mixer"
decodes_back badapt "$WORK/badapt.ardmnet" "$WORK/expect-adapt" "... and so do the files coded in the adaptive order"
[ -d "$SPEECH" ] && decodes_back wav "$WORK/aud.ardmnet" "$WORK/wav" "ardm decompress gives back the 2 WAV files"
[ -f "$WORK/pho.ardmnet" ] && decodes_back photo "$WORK/pho.ardmnet" "$WORK/photo-in" "ardm decompress gives back the 2 photos"

# Every method's file gives back its input (images: the same pixels as the model's own files).
ok=1
for m in xz bzip2 zstd brotli stored chunks; do
  [ -f "$WORK/ref/txt-methods/notes-$m.txt" ] || continue
  cmp -s "$WORK/ref/txt-methods/notes-$m.txt" "$WORK/text/notes.txt" || { ok=0; fail "notes.txt by $m differs"; }
done
if [ -f "$WORK/ref/ctx-methods/notes-chunks.txt" ]; then
  cmp -s "$WORK/ref/ctx-methods/notes-chunks.txt" "$WORK/text/notes.txt" || { ok=0; fail "notes.txt by chunks after context differs"; }
fi
for m in wavpack flac stored chunks; do
  [ -f "$WORK/ref/wav-methods/goodbye-$m.wav" ] || continue
  cmp -s "$WORK/ref/wav-methods/goodbye-$m.wav" "$WORK/wav/goodbye.wav" || { ok=0; fail "goodbye.wav by $m differs"; }
done
for f in stereo24 float; do
  cmp -s "$WORK/ref/wav-methods/$f.wav" "$SRC/tests/fixtures/$f.wav" || { ok=0; fail "$f.wav differs"; }
done
[ "$(stat -c %s "$WORK/ref/img-methods/8-10-chunks.raw" 2>/dev/null)" = $((3 * 784)) ] || { ok=0; fail "3 images by chunks"; }
[ $ok = 1 ] && pass "a file of every method gives back its input"

same_as_ref() {  # label, output folder, case name
  if diff -rq "$WORK/ref/$3" "$2" >/dev/null 2>&1; then return 0; fi
  fail "$1: $3 decodes differently"
  return 1
}
run_all() {  # label, command prefix (decoder and options)...; $ONLY: the cases to run (a regex)
  local label=$1 ok=1
  shift
  for c in "${cases[@]}"; do
    set -- $c "$@"
    local name=$1 model=$2
    shift 2
    [[ "$name" =~ ^(${ONLY:-.*})$ ]] || continue
    rm -rf "$WORK/out"
    mkdir -p "$WORK/out"
    if "$@" -q -k --raw --model "$model" -o "$WORK/out" "$WORK/files/$name"/*.ardm 2>"$WORK/err"; then
      same_as_ref "$label" "$WORK/out" "$name" || ok=0
    else
      fail "$label: $name: $(tail -1 "$WORK/err")"
      ok=0
    fi
  done
  [ $ok = 1 ] && pass "$label: every file decodes to the same bits"
}

# (a) threads, batches and kernels on this machine
for t in 1 2 8; do run_all "threads $t" "$DECODE" --threads "$t"; done
for b in 1 16 64; do run_all "batch $b" "$DECODE" --batch "$b"; done
# The scalar kernel on every case but the golden text and speech files (big networks: minutes
# with the scalar kernel; their networks' bits on it are checked by (d) and by the aarch64
# scalar pass on the tiny models of the same networks).
if "$DECODE" --isa scalar --help >/dev/null 2>&1; then
  ONLY='(oa|up)-.*|bundled-b2|txt|ctx|hist|bmix|badapt|wav|photo|.*-methods|golden|golden-photo' run_all "kernel scalar" "$DECODE" --isa scalar
fi
if "$DECODE" --isa avx2 --help >/dev/null 2>&1; then run_all "kernel avx2" "$DECODE" --isa avx2; fi
# (b) the baseline x86-64 build (scalar kernel only, no AVX instruction in it) on every file,
# and on an emulated CPU without AVX or FMA (qemu64: fmaf in software, slow) on one per model
if [ -x "$WORK/baseline/ardm-decode" ]; then
  run_all "baseline x86-64 build" "$WORK/baseline/ardm-decode"
  ONLY='oa-one|up-one|txt|ctx|hist|bmix|badapt|wav|photo|txt-methods|ctx-methods|wav-methods' run_all "baseline x86-64 build on qemu64 (no AVX, no FMA)" qemu-x86_64-static -cpu qemu64 "$WORK/baseline/ardm-decode"
fi
# (c) aarch64 under qemu-user: NEON on the tiny models, the bundled image model and one golden file
# of each kind of full-size network (the first text Transformer, the first speech DiffWave and
# the bundled speech one: a decode of a few seconds here costs about a minute under qemu, so the
# older golden files of the same networks, and the adaptive order's 4 KB one, are decoded on
# this machine only; the tiny hist, bmix and badapt models cover the history, the mixer and the
# adaptive order there); scalar on the tiny ones
if [ -x "$WORK/aarch64/ardm-decode" ]; then
  ONLY='oa-.*|up-.*|bundled-b2|txt|ctx|hist|bmix|badapt|ctx-methods|wav|photo|golden-text|golden-audio|golden-audio-v5e' run_all "aarch64 (qemu), NEON" qemu-aarch64-static "$WORK/aarch64/ardm-decode"
  ONLY='oa-.*|up-.*|txt|ctx|hist|bmix|badapt|wav|photo' run_all "aarch64 (qemu), scalar" qemu-aarch64-static "$WORK/aarch64/ardm-decode" --isa scalar
fi

# (d) the networks themselves: LibTorch's saved outputs (tests/twin/), the same bits on every
# kernel, without LibTorch, on the emulated machines
twin() {  # label, command...
  local label=$1
  shift
  if "$@" "$SRC/tests/twin" >"$WORK/twin.log" 2>&1; then
    pass "$label: every network gives the saved bits ($(grep -c '^ok' "$WORK/twin.log") checks)"
  else
    fail "$label: $(grep -m 3 FAIL "$WORK/twin.log" | tr '\n' ' ')"
  fi
}
if [ -x "$WORK/baseline/twin_test" ]; then
  twin "twin networks, baseline x86-64 on qemu64" qemu-x86_64-static -cpu qemu64 "$WORK/baseline/twin_test"
fi
if [ -x "$WORK/aarch64/twin_test" ]; then
  twin "twin networks, aarch64 (qemu), NEON" qemu-aarch64-static "$WORK/aarch64/twin_test" --isa neon
  twin "twin networks, aarch64 (qemu), scalar" qemu-aarch64-static "$WORK/aarch64/twin_test" --isa scalar
fi

echo "$fails failed"
[ "$fails" -eq 0 ]
