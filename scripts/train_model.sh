#!/usr/bin/env bash
# Trains a bundled model, resumable: run it again and it goes on from the last checkpoint in
# $OUT, or, in a fresh clone, from the committed one in models/training/NAME/ (SAVE=1 copies the
# run back there when it stops). Every $EVERY minutes it measures the validation bound of the
# latest checkpoint (EMA weights, each chunk after the values before it) and appends
# "minutes_trained step bound" to $OUT/valid.txt, the curve docs/img/NAME-valid.svg is drawn from.
#
#   bash scripts/train_model.sh text-corpus [MINUTES]   the byte-level text model (docs/text-corpus.md)
#   bash scripts/train_model.sh speech [MINUTES]        the speech model (English, Italian, Russian)
#   bash scripts/train_model.sh photo [MINUTES]         the photo model (docs/photos.md)
# MINUTES: default 110. Environment: OUT (default runs/NAME), SAVED (the committed run, default
# models/training/NAME; another folder starts a new run), SAVE, STEPS and LR_DECAY (below), LR
# (photo: the peak learning rate, default 0.001; it may change on resume), TAPS and HEAD_LR
# (photo: the prediction head's reach, default 2, and its rate as a multiple of LR, default 1),
# HEAD (photo: the head's form, affine or linear, default affine; set when the head starts),
# ARDM (default: a copy of build/ardm, so a rebuild does not touch the running binary), EVERY
# (default 15), VALID_LIMIT (items, default 3000 text windows; speech: 0, every validation clip;
# photo: 2000 windows).
# Needs `bash scripts/setup.sh --train` (the corpus and the speech packages).
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${1:?give the model: text-corpus, speech or photo}
MINUTES=${2:-110}
OUT=${OUT:-runs/$NAME}
EVERY=${EVERY:-15}
SAVED=${SAVED:-models/training/$NAME}
mkdir -p "$OUT"
if [ ! -f "$OUT/checkpoint.pt" ] && [ -f "$SAVED/checkpoint.pt" ]; then
  cp "$SAVED"/* "$OUT/"
  echo "resuming from $SAVED (step $(grep -o '"step":[0-9]*' "$OUT/metrics.jsonl" | tail -1 | cut -d: -f2))"
fi
if [ -z "${ARDM:-}" ]; then
  ARDM="$OUT/ardm-bin"
  cp build/ardm "$ARDM"
fi

case "$NAME" in
  text-corpus)
    # The network, chunk and context (see README, "The text model"): 64 new bytes after 64 given
    # ones, a 4-block Transformer of width 128.
    VALID_LIMIT=${VALID_LIMIT:-3000}
    args=(--data corpus --seq-len 64 --context 64 --width 128 --layers 4 --heads 4 --mlp 512
          --batch 32 --lr 0.001 --ema 0.999 --steps "${STEPS:-1000000}" --checkpoint-every 500 --log-every 50) ;;
  speech)
    # The network, chunk and context (see README, "The speech model"): 4,000 new samples after
    # 512 given ones, an Upscale ARDM (b = 16) whose stages read a mixture of 4 logistics over
    # the 65,536 values, on a DiffWave of width 48 and 12 blocks (dilations 1 to 512, then 1
    # and 2) with a linear prediction head over the 16 samples each side, on the three
    # languages' training recordings. The forward pass in bfloat16, its output layers in
    # float32 (AUTOCAST=off: all float32): 1.4 times the clips per second on a CPU with AMX.
    # Orders of the dyadic family (coarse to fine; ORDER=random: uniform random orders, as the
    # run's first 422 minutes were trained).
    VALID_LIMIT=${VALID_LIMIT:-0}
    args=(--data speech,speech-it,speech-ru --clip-len 4000 --context 512 --upscale 16 --upscale-param logistic
          --width 48 --layers 12 --dilation-cycle 10 --taps 16
          --batch 16 --lr 0.002 --warmup 200 --clip 1 --ema 0.999 --steps "${STEPS:-1000000}" --checkpoint-every 250
          --log-every 25 --autocast "${AUTOCAST:-bf16}" --order "${ORDER:-dyadic}") ;;
  photo)
    # The network, tile and margin (see docs/photos.md): 32x32 RGB tiles that see 8 rows above
    # and 8 columns to the left, an Upscale ARDM of one stage (b = 256) whose UNet (width 32,
    # levels 1,2,2) gives a mixture of 4 logistics per value, in the quincunx order of pixels
    # (each level's channels in turn; ORDER=dyadic: the order of the run's first 118 minutes),
    # on windows of the wallpaper photographs (scripts/make_photos.py), with the UNet's affine
    # prediction head over the 5x5 pixels around (TAPS=2 HEAD=affine: grown on the run at step
    # 33,000; a linear one grown at step 31,911 did not pay, docs/photos.md). The forward pass
    # in bfloat16 as for speech (AUTOCAST=off: float32, faster on CPUs without bf16 units).
    VALID_LIMIT=${VALID_LIMIT:-2000}
    [ -d "${ARDM_PHOTOS_DIR:-runs/photos}/train" ] || /usr/bin/python3 scripts/make_photos.py "${ARDM_PHOTOS_DIR:-runs/photos}"
    args=(--data photos --tile 32 --context 8 --batch 32 --lr "${LR:-0.001}" --warmup 500 --clip 1 --ema 0.999
          --steps "${STEPS:-1000000}" --checkpoint-every 500 --log-every 50 --autocast "${AUTOCAST:-bf16}"
          --order "${ORDER:-quincunx}" --taps "${TAPS:-2}" --head "${HEAD:-affine}" --head-lr "${HEAD_LR:-1}") ;;
  *) echo "unknown model $NAME: text-corpus, speech or photo" >&2; exit 2 ;;
esac
# The last stretch: STEPS=<last step> LR_DECAY=<steps> lowers the rate to a tenth over them.
[ -n "${LR_DECAY:-}" ] && args+=(--lr-decay "$LR_DECAY")
resume=()
[ -f "$OUT/checkpoint.pt" ] && resume=(--resume)

valid() {  # minutes trained so far (sum over runs) and the checkpoint's validation bound
  local ck="$OUT/valid-checkpoint.pt"
  cp "$OUT/checkpoint.pt" "$ck" 2> /dev/null || return 0
  local step bound
  step=$(grep -o '"step":[0-9]*' "$OUT/metrics.jsonl" | tail -1 | cut -d: -f2)
  bound=$("$ARDM" eval --model "$ck" --split valid --limit "$VALID_LIMIT" --passes 1 --batch 100 -q --threads 1 |
          sed -n 's/^test bound: \([0-9.]*\).*/\1/p')
  echo "$(cat "$OUT/minutes" 2> /dev/null || echo 0) $step $bound" >> "$OUT/valid.txt"
  rm -f "$ck"
}

start=$(date +%s)
base=$(cat "$OUT/minutes" 2> /dev/null || echo 0)
nohup "$ARDM" train "${args[@]}" "${resume[@]}" --minutes "$MINUTES" --out "$OUT" -q > "$OUT/train.log" 2>&1 &
pid=$!
while kill -0 "$pid" 2> /dev/null; do
  for _ in $(seq $((EVERY * 6))); do kill -0 "$pid" 2> /dev/null || break; sleep 10; done
  kill -0 "$pid" 2> /dev/null || break  # the end is measured once, below
  echo "$base + ($(date +%s) - $start) / 60" | bc > "$OUT/minutes"
  valid
done
wait "$pid" || { echo "training stopped with an error: $OUT/train.log" >&2; exit 1; }
echo "$base + ($(date +%s) - $start) / 60" | bc > "$OUT/minutes"
valid
echo "trained $(cat "$OUT/minutes") minutes in all; $OUT/valid.txt:"
tail -3 "$OUT/valid.txt"
if [ "${SAVE:-0}" = 1 ]; then
  mkdir -p "$SAVED"
  cp "$OUT/checkpoint.pt" "$OUT/metrics.jsonl" "$OUT/valid.txt" "$OUT/minutes" "$SAVED/"
  echo "saved to $SAVED"
fi
