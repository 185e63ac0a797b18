#!/usr/bin/env bash
# Every input class ardm takes, each file compressed alone, next to the classical codecs run in the
# same script on the same files: photos (Debian's python3-skimage, at full size and downscaled by 2
# and 4 with an area filter, in RGB and gray) against cjxl -d 0 -e 9, optipng -o7 and
# cwebp -lossless -z 9; WAV files of other rates and channel counts (sound-icons, alsa-utils, and
# stereo files made from the speech set) against flac -8 --no-padding and wavpack -hh -x6; text, source code and
# binary files against xz -9e, bzip2 -9, zstd -19 and brotli -q 11. Prints one table row per file
# (ardm's bytes, the best peer's, the difference, ardm's methods) and the share of files and
# chunks per method; every ardm file is decoded back and compared with its input.
#
#   ARDM_SETUP_BENCH=1 bash scripts/setup.sh && bash bench/any_input_bench.sh [LEVEL]
#
# LEVEL: ardm's -1..-9 (default: none, the default budget). ONLY: the classes to run (default
# "image audio bytes"). TEXT_MAX: the largest byte file given
# (a tar of Python sources; default 1 MB: the text model codes about 1.2 KB/s on 2 cores, so
# that one file takes about 15 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
ARDM=${ARDM:-build/ardm}
DECODE=${DECODE:-build/ardm-decode}
LEVEL=${1:+-$1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in cjxl optipng cwebp flac wavpack xz bzip2 zstd brotli /usr/bin/python3; do
  command -v "$t" >/dev/null || { echo "missing $t: ARDM_SETUP_BENCH=1 bash scripts/setup.sh" >&2; exit 1; }
done
size() { stat -c %s "$1"; }
rows="$work/rows.tsv"  # class, file, input bytes, ardm bytes, best peer bytes, peer, methods
: >"$rows"

# ardm on one file: its size, methods (from -v) and an exact round trip through ardm-decode.
ardm_one() {  # class, label, path
  local class=$1 label=$2 f=$3 out="$work/a.ardm" line methods
  "$ARDM" compress -k -f -v $LEVEL -c "$f" >"$out" 2>"$work/v" || { echo "ardm failed on $f: $(tail -1 "$work/v")" >&2; exit 1; }
  line=$(grep -E " -> [0-9]+ bytes" "$work/v" | tail -1)
  methods=$(sed -E 's/.*, method (.*), [0-9]+ chunks?, budget.*/\1/' <<<"$line")
  "$DECODE" -q -c "$out" >"$work/back" || { echo "ardm-decode failed on $f" >&2; exit 1; }
  if [ "$class" = image ]; then  # the same pixels: stored files of both are equal
    "$ARDM" compress -q -k -f -c --method stored "$f" >"$work/s1"
    "$ARDM" compress -q -k -f -c --method stored "$work/back" >"$work/s2"
    cmp -s "$work/s1" "$work/s2" || { echo "pixels differ: $f" >&2; exit 1; }
  else
    cmp -s "$work/back" "$f" || { echo "not byte for byte: $f" >&2; exit 1; }
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$class" "$label" "$(size "$f")" "$(size "$out")" "$PEER_BYTES" "$PEER" "$methods" >>"$rows"
}

# The smallest of the peers' outputs for one file (sets PEER, PEER_BYTES); each peer's size too.
peers() {  # label, then "name command..." strings with IN and OUT
  local label=$1 best="" best_name="" s name cmd
  shift
  for spec in "$@"; do
    name=${spec%% *}
    cmd=${spec#* }
    rm -f "$work/p.out"
    IN=$PEER_IN OUT="$work/p.out" bash -c "$cmd" >/dev/null 2>&1 || { echo "$name failed on $PEER_IN" >&2; continue; }
    s=$(size "$work/p.out")
    printf '  %-28s %-10s %9d\n' "$label" "$name" "$s" >>"$work/peers.txt"
    if [ -z "$best" ] || [ "$s" -lt "$best" ]; then best=$s best_name=$name; fi
  done
  PEER_BYTES=$best PEER=$best_name
}

ONLY=" ${ONLY:-image audio bytes} "
# ---- images: skimage photographs, full size, /2, /4 (area filter), RGB and gray
SK=/usr/lib/python3/dist-packages/skimage/data
if [[ $ONLY == *" image "* ]]; then
mkdir -p "$work/img"
for p in astronaut chelsea coffee motorcycle_left camera; do
  "$ARDM" compress -q -k -f -c --method stored "$SK/$p.png" >"$work/raw.ardm"
  "$DECODE" -q -c --raw "$work/raw.ardm" >"$work/$p.raw"
  /usr/bin/python3 - "$SK/$p.png" "$work/$p.raw" "$work/img/$p" <<'EOF'
import struct, sys, zlib
import numpy as np
src, raw, out = sys.argv[1:]
head = open(src, 'rb').read(33)
w, h = struct.unpack('>II', head[16:24])
px = np.fromfile(raw, dtype=np.uint8)
c = px.size // (w * h)
img = px.reshape(h, w, c).astype(np.float64)
def save(a, path):
    a = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    hh, ww = a.shape[:2]; cc = 1 if a.ndim == 2 else a.shape[2]
    rows = b''.join(b'\0' + a[y].tobytes() for y in range(hh))
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    ihdr = struct.pack('>IIBBBBB', ww, hh, 8, {1: 0, 3: 2}[cc], 0, 0, 0)
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(rows, 9)) + chunk(b'IEND', b''))
for f in (1, 2, 4):  # area filter: the mean of each f x f block
    a = img[: h // f * f, : w // f * f].reshape(h // f, f, w // f, f, c).mean(axis=(1, 3))
    if c == 3:
        save(a, f'{out}-{f}.png')
        save(a @ np.array([0.299, 0.587, 0.114]), f'{out}-gray-{f}.png')
    else:
        save(a[:, :, 0], f'{out}-{f}.png')
EOF
done
for f in "$work"/img/*.png; do
  PEER_IN=$f
  peers "$(basename "$f")" "cjxl cjxl -d 0 -e 9 \"\$IN\" \"\$OUT\"" \
    "optipng cp \"\$IN\" \"\$OUT\".png && optipng -quiet -o7 \"\$OUT\".png && mv \"\$OUT\".png \"\$OUT\"" \
    "cwebp cwebp -quiet -lossless -z 9 \"\$IN\" -o \"\$OUT\""
  ardm_one image "$(basename "$f")" "$f"
done
fi

# ---- audio: sound-icons and alsa-utils sounds, speech, stereo speech
if [[ $ONLY == *" audio "* ]]; then
mkdir -p "$work/wav"
cp /usr/share/sounds/alsa/Front_Center.wav /usr/share/sounds/alsa/Noise.wav "$work/wav/"
for s in cembalo-1 guitar-13 trumpet-1 canary-long percussion-10; do
  [ -f "/usr/share/sounds/sound-icons/$s.wav" ] && cp "/usr/share/sounds/sound-icons/$s.wav" "$work/wav/"
done
SPEECH=/usr/share/asterisk/sounds/en_US_f_Allison
cp "$SPEECH/hello-world.wav" "$SPEECH/conf-onlyperson.wav" "$work/wav/" 2>/dev/null || true
/usr/bin/python3 - "$SPEECH" "$work/wav" <<'EOF'
import sys, wave
src, out = sys.argv[1:]
def frames(name):
    with wave.open(f'{src}/{name}') as w:
        return w.readframes(w.getnframes())
for a, b, name in (('hello-world.wav', 'goodbye.wav', 'stereo-hello-goodbye.wav'),
                   ('conf-onlyperson.wav', 'vm-goodbye.wav', 'stereo-conf-vm.wav')):
    x, y = frames(a), frames(b)
    n = min(len(x), len(y)) // 2
    inter = bytearray()
    for i in range(n):
        inter += x[2 * i:2 * i + 2] + y[2 * i:2 * i + 2]
    with wave.open(f'{out}/{name}', 'wb') as w:
        w.setnchannels(2); w.setsampwidth(2); w.setframerate(8000); w.writeframes(bytes(inter))
EOF
for f in "$work"/wav/*.wav; do
  PEER_IN=$f
  peers "$(basename "$f")" "flac flac -8 --no-padding -s -f -o \"\$OUT\" \"\$IN\"" "wavpack wavpack -hh -x6 -q -y -o \"\$OUT\" \"\$IN\""
  ardm_one audio "$(basename "$f")" "$f"
done
fi

# ---- bytes: text, source code, binaries, 1 KB to 1 MB
if [[ $ONLY == *" bytes "* ]]; then
mkdir -p "$work/bytes"
head -c 1024 /usr/share/common-licenses/GPL-3 >"$work/bytes/gpl3-1k.txt"
cp /usr/share/common-licenses/Apache-2.0 /usr/share/common-licenses/GPL-3 "$work/bytes/"
cp /usr/include/stdio.h /usr/lib/python3.11/json/decoder.py "$work/bytes/"
head -c 102400 /usr/lib/python3.11/typing.py >"$work/bytes/typing-100k.py"
head -c 65536 /bin/ls >"$work/bytes/ls-64k.bin"
head -c 20000 /dev/urandom >"$work/bytes/random-20k.bin"
# Python's own sources as a tar archive (text and tar headers), cut to TEXT_MAX bytes.
tar cf - -C /usr/lib/python3.11 email json logging 2>/dev/null | head -c "${TEXT_MAX:-1048576}" >"$work/bytes/python-src.tar"
for f in "$work"/bytes/*; do
  PEER_IN=$f
  peers "$(basename "$f")" "xz xz -9e -c \"\$IN\" >\"\$OUT\"" "bzip2 bzip2 -9 -c \"\$IN\" >\"\$OUT\"" \
    "zstd zstd -19 -q -c \"\$IN\" >\"\$OUT\"" "brotli brotli -q 11 -c \"\$IN\" >\"\$OUT\""
  ardm_one bytes "$(basename "$f")" "$f"
done
fi

echo "peers (bytes):"
cat "$work/peers.txt"
echo
printf '%-6s %-28s %10s %10s %10s %-8s %7s  %s\n' class file input ardm peer "(peer)" "ardm-peer" "ardm's methods"
worst=-1000000000
while IFS=$'\t' read -r class file in a p name methods; do
  d=$((a - p))
  [ "$d" -gt "$worst" ] && worst=$d
  printf '%-6s %-28s %10d %10d %10d %-8s %+7d  %s\n' "$class" "$file" "$in" "$a" "$p" "$name" "$d" "$methods"
done <"$rows"
echo
echo "largest ardm - peer: $worst bytes (images: the best of cjxl -d 0 -e 9, optipng -o7, cwebp -lossless -z 9;"
echo "audio: the best of flac -8 and wavpack -hh -x6;"
echo "bytes: the best of xz -9e, bzip2 -9, zstd -19 and brotli -q 11)"
echo "files per method:"
cut -f1,7 "$rows" | sed -E 's/\tchunks: .*/\tchunk by chunk/' | sort | uniq -c | sed 's/^/  /'
echo "chunks per method in files coded chunk by chunk:"
grep -h "chunks: " "$rows" | cut -f7 | sed 's/chunks: //' | tr ',' '\n' | awk '{n[$1]+=$2} END {for (m in n) print "  " m, n[m]}'
