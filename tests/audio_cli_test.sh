#!/usr/bin/env bash
# Audio through the command line: a tiny DiffWave Upscale model trained on speech WAVs, its
# bound (bits per sample), exact length, schedule and WAV samples; compress/decompress of WAV
# files (16- and 8-bit, extra chunks before and after the samples, empty, one sample, several
# chunks with a tail) back byte for byte in another process and by the torch-free ardm-decode;
# WAVs the model cannot code (stereo, 24-bit, float) and damaged files as clear errors with no
# output.
#   bash tests/audio_cli_test.sh path/to/ardm path/to/ardm-decode
set -u
ARDM=${1:?usage: audio_cli_test.sh path/to/ardm path/to/ardm-decode}
DECODE=${2:?}
unset ARDM_MODEL ARDM_TEXT_MODEL ARDM_AUDIO_MODEL
source "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"
SPEECH=/usr/share/asterisk/sounds/en_US_f_Allison
if [ ! -d "$SPEECH" ]; then echo "skip: asterisk-core-sounds-en-wav is not installed"; exit 77; fi

# Little-endian fields and a WAV of N samples of B bits (C channels, format tag T) with a LIST
# chunk before the data and an odd-sized chunk after it.
le() { local v=$1 n=$2 i; for ((i = 0; i < n; i++)); do printf "\\x$(printf %02x $(((v >> (8 * i)) & 255)))"; done; }
mkwav() {  # FILE SAMPLES BITS [CHANNELS] [TAG]
  local f=$1 n=$2 bits=$3 ch=${4:-1} tag=${5:-1} bytes
  bytes=$((n * ch * bits / 8))
  { printf 'RIFF'; le $((4 + 24 + 12 + 8 + bytes + 12)) 4; printf 'WAVEfmt '; le 16 4; le "$tag" 2; le "$ch" 2
    le 8000 4; le $((8000 * ch * bits / 8)) 4; le $((ch * bits / 8)) 2; le "$bits" 2
    printf 'LIST'; le 4 4; printf 'INFO'; printf 'data'; le "$bytes" 4
    head -c 200000 "$SPEECH/hello-world.wav" | tail -c +45 | head -c "$bytes"
    printf 'junk'; le 3 4; printf 'abc\0'; } >"$f"
}

mkdir -p "$work/train"
cp "$SPEECH/hello-world.wav" "$SPEECH/goodbye.wav" "$SPEECH/digits/5.wav" "$work/train/"
TINY=(--clip-len 200 --width 8 --layers 2 --dilation-cycle 2 --batch 4 --steps 10 --threads 2 -q)
expect_ok "train an audio model on a folder of WAVs" "$ARDM" train --data "$work/train" --out "$work/run" "${TINY[@]}"
grep -q '"step":10' "$work/run/metrics.jsonl" && pass "metrics logged" || fail "metrics logged"
expect_ok "eval: bound in bits per sample" "$ARDM" eval --model "$work/run/checkpoint.pt" --passes 1 --limit 20 --threads 2 -q
grep -Eq "test bound: [0-9.]+ \+- [0-9.]+ bits/sample \(20 clips" "$work/out" && pass "eval prints bits/sample" ||
  fail "eval: $(cat "$work/out")"
expect_ok "eval: a budget and the exact fixed-order length" "$ARDM" eval --model "$work/run/checkpoint.pt" --budget 8 \
  --limit 4 --passes 1 --threads 2 -q
grep -Eq "exact fixed-order: [0-9.]+ bits/sample" "$work/out" && pass "exact length in bits/sample" || fail "exact: $(cat "$work/out")"
expect_ok "schedule over 4 stages" "$ARDM" schedule --model "$work/run/checkpoint.pt" --budget 4,8,100
grep -q "split \[" "$work/out" && pass "schedule splits the budget over the stages" || fail "schedule: $(cat "$work/out")"
# Each stage's share of the cost of all steps, which sum to it.
awk '/by stage: / { split($0, a, "all steps: "); split(a[2], t, " "); split($0, b, "by stage: "); n = split(b[2], c, ", ");
  s = 0; for (i = 1; i <= n; ++i) s += c[i]; if (n == 4 && s > t[1] - 0.001 && s < t[1] + 0.001) ok = 1 } END { exit !ok }' "$work/out" &&
  pass "schedule gives the 4 stages' costs, which sum to all steps'" || fail "schedule stages: $(head -1 "$work/out")"
# The per-step costs measured on data (every item at each measured step, interpolated between):
# the same quantity as eval's stochastic bound, which their sum must match, on a model trained
# long enough to be far from uniform. They replace the training tracker's.
expect_ok "train a model for the measured costs" "$ARDM" train --data "$work/train" --out "$work/mrun" --clip-len 200 \
  --width 8 --layers 2 --dilation-cycle 2 --batch 4 --steps 150 --lr 0.01 --threads 2 -q
expect_ok "eval: the bound over 4 passes" "$ARDM" eval --model "$work/mrun/checkpoint.pt" --passes 4 --threads 2 -q
bound=$(sed -n 's/^test bound: \([0-9.]*\) +- \([0-9.]*\).*/\1 \2/p' "$work/out")
expect_ok "schedule --measure" "$ARDM" schedule --model "$work/mrun/checkpoint.pt" --measure model --split test \
  --points 24 --batch 32 --out "$work/measured.pt" --budget 4,8 --threads 2 -q
measured=$(sed -n 's/.*; all steps: \([0-9.]*\) bits\/sample.*/\1/p' "$work/out")
awk -v b="$bound" -v m="$measured" 'BEGIN { split(b, e, " "); d = m - e[1]; if (d < 0) d = -d;
  exit !(m > 0 && m < 15.95 && d < 4 * e[2] + 0.01) }' &&
  pass "the measured costs sum to the bound ($measured against eval's $bound)" ||
  fail "measured all steps '$measured', eval's bound '$bound'"
expect_ok "a measured checkpoint schedules with no data" "$ARDM" schedule --model "$work/measured.pt" --budget 8
grep -q "all steps: $measured bits/sample" "$work/out" && pass "it keeps the measured costs" ||
  fail "measured checkpoint: $(head -1 "$work/out")"
expect_err "--measure checks the budgets before measuring" "outside 4" "$ARDM" schedule \
  --model "$work/mrun/checkpoint.pt" --measure model --out "$work/never.pt" --budget 2
[ ! -e "$work/never.pt" ] && pass "no checkpoint written" || fail "a checkpoint was written for a bad budget"
expect_err "--measure needs --out" "needs --out" "$ARDM" schedule --model "$work/run/checkpoint.pt" --measure model
expect_ok "sample writes WAV files" "$ARDM" sample --model "$work/run/checkpoint.pt" --count 2 --budget 8 --out "$work/s.wav"
[ "$(head -c 4 "$work/s-1.wav")" = RIFF ] && [ "$(stat -c %s "$work/s-2.wav")" = 444 ] && pass "2 WAVs of 200 samples" ||
  fail "samples: $(ls -l "$work"/s-*)"
expect_ok "an Upscale model with b = 2 (16 stages)" "$ARDM" train --data "$work/train" --upscale 2 --out "$work/b2" "${TINY[@]}"
expect_ok "its exact length" "$ARDM" eval --model "$work/b2/checkpoint.pt" --budget 20 --limit 2 --passes 1 -q
grep -Eq "exact fixed-order: [0-9.]+ bits/sample" "$work/out" && pass "b = 2: exact length" || fail "b = 2: $(cat "$work/out")"
expect_err "audio refuses an OA-ARDM" "Upscale ARDM" "$ARDM" train --data "$work/train" --upscale 0 --out "$work/oa" "${TINY[@]}"
# The dyadic orders (coarse to fine): the run resumed with them trains on that family; its
# measured costs, exact length and codec use them, and its files decode by both decoders.
cp -r "$work/mrun" "$work/drun"
expect_ok "resume with --order dyadic" "$ARDM" train --data "$work/train" --out "$work/drun" --resume --steps 170 \
  --order dyadic --threads 2 -q
expect_ok "schedule --measure (dyadic)" "$ARDM" schedule --model "$work/drun/checkpoint.pt" --measure model \
  --split test --points 24 --batch 32 --out "$work/dmeasured.pt" --budget 8 --threads 2 -q
expect_ok "eval the dyadic model's exact length" "$ARDM" eval --model "$work/dmeasured.pt" --budget 8 --passes 1 \
  --limit 8 --threads 2 -q
grep -q "exact fixed-order: .*dyadic order, seed 0" "$work/out" && pass "eval codes in the dyadic order" ||
  fail "eval: $(tail -1 "$work/out")"
expect_ok "export the dyadic model" "$ARDM" export --model "$work/dmeasured.pt" --out "$work/dy.ardmnet"
mkdir -p "$work/dy"
cp "$SPEECH/hello-world.wav" "$work/dy/"
expect_ok "compress by the dyadic model" env ARDM_AUDIO_MODEL="$work/dy.ardmnet" "$ARDM" compress -q -k --method model \
  --budget 8 "$work/dy/hello-world.wav"
expect_ok "decompress it in another process" env ARDM_AUDIO_MODEL="$work/dy.ardmnet" "$ARDM" decompress -q \
  -o "$work/dy/back.wav" "$work/dy/hello-world.wav.ardm"
same "dyadic: hello-world.wav back byte for byte" "$SPEECH/hello-world.wav" "$work/dy/back.wav"
expect_ok "ardm-decode decodes it" env ARDM_AUDIO_MODEL="$work/dy.ardmnet" "$DECODE" -q -o "$work/dy/back2.wav" \
  "$work/dy/hello-world.wav.ardm"
same "dyadic: back byte for byte (ardm-decode)" "$SPEECH/hello-world.wav" "$work/dy/back2.wav"
expect_err "train refuses an unknown order" "dyadic" "$ARDM" train --data "$work/train" --out "$work/bad" \
  --order bogus "${TINY[@]}"
expect_ok "export (the measured costs' schedules)" "$ARDM" export --model "$work/measured.pt" --out "$work/a.ardmnet"
export ARDM_AUDIO_MODEL="$work/a.ardmnet"

d="$work/d"
mkdir -p "$d" "$work/orig" "$work/back" "$work/back2"
cp "$SPEECH/hello-world.wav" "$d/speech.wav"      # several chunks of 200 and a tail
mkwav "$d/extra-chunks.wav" 450 16
mkwav "$d/eight-bit.wav" 333 8
mkwav "$d/one.wav" 1 16
mkwav "$d/empty.wav" 0 16
cp "$d"/* "$work/orig/"
expect_ok "compress WAVs by the model (-v)" "$ARDM" compress -v --method model --budget 8 "$d"/*.wav
grep -Eq "extra-chunks.wav: [0-9]+ -> [0-9]+ bytes, [0-9.]+ bits per sample \(model [0-9.]+\), method model, 3 chunks" \
  "$work/err" && pass "-v reports bits per sample and chunks" || fail "-v line: $(grep extra "$work/err")"
[ "$(ls "$d"/*.ardm | wc -l)" = 5 ] && [ ! -e "$d/speech.wav" ] && pass "5 files replaced by .ardm" || fail "outputs: $(ls "$d")"
expect_ok "decompress in another process, 1 thread, batch 1" "$ARDM" decompress -k -q --threads 1 --batch 1 -o "$work/back" "$d"/*.ardm
expect_ok "ardm-decode (no LibTorch)" "$DECODE" -k -q -o "$work/back2" "$d"/*.ardm
for f in speech extra-chunks eight-bit one empty; do
  same "$f.wav back byte for byte" "$work/orig/$f.wav" "$work/back/$f.wav"
  same "$f.wav back byte for byte (ardm-decode)" "$work/orig/$f.wav" "$work/back2/$f.wav"
done
# A plain 44-byte WAV header is kept as its sample rate (format 5: the first byte 0xD?); one
# with other chunks (mkwav's LIST) verbatim (format 3 here: this model sees no values before a chunk).
first_nibble() { od -An -tx1 -N1 "$1" | tr -d ' ' | cut -c1; }
[ "$(first_nibble "$d/speech.wav.ardm")" = d ] && [ "$(first_nibble "$d/extra-chunks.wav.ardm")" = b ] &&
  pass "the plain header as its rate (format 5), another verbatim (format 3)" ||
  fail "first bytes: $(od -An -tx1 -N1 "$d/speech.wav.ardm") $(od -An -tx1 -N1 "$d/extra-chunks.wav.ardm")"
expect_ok "stored" "$ARDM" compress -q -k --method stored "$work/orig/speech.wav" -o "$work/stored.ardm"
n=$(stat -c %s "$work/orig/speech.wav")
[ "$(stat -c %s "$work/stored.ardm")" -lt $((n - 44 + 20)) ] && pass "stored: the samples, 14 bytes of header and the CRC" ||
  fail "stored: $(stat -c %s "$work/stored.ardm") bytes for a WAV of $n"
expect_ok "stored decodes (ardm-decode)" "$DECODE" -q -c "$work/stored.ardm"
same "stored back byte for byte" "$work/orig/speech.wav" "$work/out"
expect_ok "auto picks the smaller method" "$ARDM" compress -k -f -v --budget 8 "$work/orig/speech.wav" -o "$work/auto.ardm"
expect_ok "stdin to stdout" bash -c "'$ARDM' compress -q --budget 8 < '$work/orig/extra-chunks.wav' > '$work/p.ardm' && \
  '$ARDM' decompress -q < '$work/p.ardm' > '$work/p.wav'"
same "piped WAV back" "$work/orig/extra-chunks.wav" "$work/p.wav"

# Every PCM and float WAV: stereo, 24- and 32-bit, floats, 8-bit stereo; the model codes each
# channel of a 16-bit file alone, WavPack, FLAC or stored the rest; all back byte for byte.
mkdir -p "$work/any"
mkwav "$work/any/stereo.wav" 1000 16 2
mkwav "$work/any/s24.wav" 700 24
mkwav "$work/any/s32.wav" 500 32 2
mkwav "$work/any/float.wav" 500 32 1 3
mkwav "$work/any/eight-stereo.wav" 900 8 2
cp -r "$work/any" "$work/any-orig"
expect_ok "any WAV is taken (-v)" "$ARDM" compress -v --budget 8 "$work/any"/*.wav
grep -Eq "s24.wav: .* method (wavpack|flac|stored)" "$work/err" && pass "24-bit by a classical codec" ||
  fail "24-bit: $(grep s24 "$work/err")"
expect_ok "stereo by the model, each channel alone" "$ARDM" compress -k -f -v --method model --budget 8 \
  "$work/any-orig/stereo.wav" -o "$work/stereo-model.ardm"
grep -Eq "method model, 10 chunks" "$work/err" && pass "2 channels x 5 chunks" || fail "stereo model: $(cat "$work/err")"
expect_ok "decompress them" "$ARDM" decompress -q -k -o "$work/any-back" "$work/any"/*.ardm
expect_ok "ardm-decode them" "$DECODE" -q -k -o "$work/any-back2" "$work/any"/*.ardm "$work/stereo-model.ardm"
for f in stereo s24 s32 float eight-stereo; do
  same "$f.wav back byte for byte" "$work/any-orig/$f.wav" "$work/any-back/$f.wav"
  same "$f.wav back byte for byte (ardm-decode)" "$work/any-orig/$f.wav" "$work/any-back2/$f.wav"
done
same "stereo by the model back" "$work/any-orig/stereo.wav" "$work/any-back2/stereo-model"
for m in wavpack flac stored chunks; do
  expect_ok "--method $m" "$ARDM" compress -q -k -f -c --method "$m" "$work/any-orig/stereo.wav"
  cp "$work/out" "$work/m.ardm"
  expect_ok "--method $m decodes" "$DECODE" -q -c "$work/m.ardm"
  cmp -s "$work/out" "$work/any-orig/stereo.wav" && pass "--method $m back byte for byte" || fail "--method $m differs"
done
expect_err "FLAC takes no floats" "flac does not code this audio" "$ARDM" compress -k -c --method flac "$work/any-orig/float.wav"

# What is not taken, and damage: one clear line, no output.
mkwav "$work/f64.wav" 100 64 1 3
mkwav "$work/adpcm.wav" 100 16 1 2
mkwav "$work/lying.wav" 100 16
printf '\xff\xff' | dd of="$work/lying.wav" bs=1 seek=40 conv=notrunc 2>/dev/null  # the LIST chunk overruns the file
expect_err "64-bit floats are a clear error" "64-bit floating-point" "$ARDM" compress -k "$work/f64.wav"
expect_err "compressed WAV is a clear error" "compressed audio" "$ARDM" compress -k "$work/adpcm.wav"
expect_err "a chunk that lies about its size" "runs past the end" "$ARDM" compress -k "$work/lying.wav"
[ ! -e "$work/f64.wav.ardm" ] && [ ! -e "$work/lying.wav.ardm" ] && pass "no output for a refused WAV" || fail "output left behind"
echo "not a WAV" >"$work/note.txt"
expect_err "the audio model for a text file" "codes audio data, not bytes" env ARDM_TEXT_MODEL="$work/a.ardmnet" \
  "$ARDM" compress -k --budget 4 "$work/note.txt"
cp "$d/speech.wav.ardm" "$work/bad.wav.ardm"
printf '\x55' | dd of="$work/bad.wav.ardm" bs=1 seek=200 conv=notrunc 2>/dev/null
expect_err "a damaged file fails loudly" "corrupted" "$ARDM" decompress -k "$work/bad.wav.ardm"
[ ! -e "$work/bad.wav" ] && pass "nothing written for the damaged file" || fail "output written for a damaged file"
expect_err "ardm-decode too" "corrupted" "$DECODE" -k "$work/bad.wav.ardm"

echo "$fails failed"
[ "$fails" = 0 ]
