#!/usr/bin/env bash
# ardm and cjxl on data the model never saw: about 300 crops (28x28, 8-bit grayscale) of the
# real photographs shipped in Debian's python3-skimage package, each crop compressed as its own
# file by both. Prints a Markdown table of mean bits per pixel from the real file sizes, the
# share of each ardm coding method, how many .ardm files decode back to the exact pixels, the
# commands, and a hash of the crops (the same on every run).
#
#   bash bench/photo_crops.sh                 # 300 crops
#   CROPS=100 THREADS=1 bash bench/photo_crops.sh
#
# Environment:
#   CROPS=N      number of crops (default 300), spread as evenly as the photos allow
#   SEED=S       seed of the choice of crops within each photo (default 1)
#   ARDM=path    the ardm binary (default build/ardm)
#   MODEL=path   passed as --model to compress and decompress (default: not passed, so ardm uses
#                $ARDM_MODEL or the bundled model)
#   THREADS=T    ardm --threads (default: nproc)
#   BUDGET=K     ardm --budget (default: not passed, ardm's default)
#   ARDM_CACHE=d the package and its unpacked files go to d/photo-crops (default ~/.cache/ardm)
#   PYTHON=path  a python3 with PIL (default: python3, else /usr/bin/python3)
#   PER_PHOTO=1  also a table per photo
#   KEEP=1       keep the work folder (crops, crops.tsv, .jxl, .ardm, decoded PNGs, ardm logs)
#
# Data: `apt-get download python3-skimage` (the .deb only: nothing is installed, no dependency is
# fetched), unpacked with `dpkg-deb -x` into the cache; only the photographs listed in PHOTOS
# below are read from its usr/lib/python3/dist-packages/skimage/data/. Each photo becomes 8-bit
# gray with PIL's convert('L') (ITU-R 601-2 luma: L = R*299/1000 + G*587/1000 + B*114/1000; any
# alpha or ICC profile is ignored), is cut into the grid of non-overlapping 28x28 crops from its
# top-left corner, and a fixed subset of each grid is kept (splitmix64 from SEED and the photo's
# position in PHOTOS; no Python RNG, so the choice does not depend on the Python version). The
# crops are written as 8-bit gray PNG files crops/00000.png, ... in PHOTOS order, raster order
# within a photo. The PNG photos give the same pixels everywhere; the three JPEG ones depend on
# the JPEG decoder (libjpeg-turbo) that PIL uses.
#
# Needs build/ardm, cjxl (libjxl-tools), dpkg-deb and apt-get, and PIL for python3 (Debian's
# python3-pil): `ARDM_SETUP_BENCH=1 bash scripts/setup.sh`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CROPS=${CROPS:-300}
SEED=${SEED:-1}
ARDM=${ARDM:-build/ardm}
THREADS=${THREADS:-$(nproc)}
CACHE=${ARDM_CACHE:-$HOME/.cache/ardm}/photo-crops
KEEP=${KEEP:-0}
PER_PHOTO=${PER_PHOTO:-0}

# The real photographs of skimage's data folder (0.19). Left out: synthetic or drawn images
# (block, checker_bilevel, chessboard_*, color, foo3x5x4indexed, green_palette, horse, logo,
# palette_*, phantom, bw_text, no_time_for_that_tiny.gif), truncated.jpg (a broken file) and
# motorcycle_right.png (the other half of the stereo pair motorcycle_left.png).
PHOTOS=(
  astronaut.png brick.png camera.png cell.png chelsea.png clock_motion.png coffee.png coins.png
  grass.png gravel.png hubble_deep_field.jpg ihc.png microaneurysms.png moon.png
  motorcycle_left.png page.png retina.jpg rocket.jpg text.png
)

log() { echo "photo_crops: $*" >&2; }
die() { echo "photo_crops: error: $*" >&2; exit 1; }

[[ "$CROPS" =~ ^[1-9][0-9]*$ ]] || die "CROPS must be a positive integer (got '$CROPS')"
[[ "$SEED" =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer (got '$SEED')"
[ -x "$ARDM" ] || die "no ardm binary at $ARDM (build it, or set ARDM=path)"
command -v cjxl > /dev/null || die "cjxl not found: run ARDM_SETUP_BENCH=1 bash scripts/setup.sh"
if [ -z "${PYTHON:-}" ]; then
  for p in python3 /usr/bin/python3; do
    if command -v "$p" > /dev/null && "$p" -c 'import PIL' 2> /dev/null; then PYTHON=$p; break; fi
  done
fi
[ -n "${PYTHON:-}" ] && "$PYTHON" -c 'import PIL' 2> /dev/null ||
  die "no python3 with PIL (python3 -c 'import PIL' fails): run ARDM_SETUP_BENCH=1 bash scripts/setup.sh (python3-pil), or set PYTHON=path"
model_args=()
[ -z "${MODEL:-}" ] || model_args=(--model "$MODEL")
budget_args=()
[ -z "${BUDGET:-}" ] || budget_args=(--budget "$BUDGET")

# --- the photos: python3-skimage's .deb, downloaded once into the cache -----------------------
data=$CACHE/pkg/usr/lib/python3/dist-packages/skimage/data
if [ ! -f "$CACHE/pkg/.unpacked" ]; then
  command -v apt-get > /dev/null && command -v dpkg-deb > /dev/null ||
    die "apt-get and dpkg-deb are needed to fetch the photos (Debian's python3-skimage)"
  mkdir -p "$CACHE"
  if ! ls "$CACHE"/python3-skimage_*.deb > /dev/null 2>&1; then
    log "downloading python3-skimage (about 21 MB) into $CACHE"
    dl=$(mktemp -d "$CACHE/download.XXXXXX")
    if ! (cd "$dl" && apt-get download python3-skimage) > "$dl/apt.log" 2>&1; then
      cat "$dl/apt.log" >&2
      rm -rf "$dl"
      die "could not download python3-skimage with 'apt-get download python3-skimage' (no network, or try 'apt-get update' first)"
    fi
    mv "$dl"/python3-skimage_*.deb "$CACHE"/
    rm -rf "$dl"
  fi
  debs=("$CACHE"/python3-skimage_*.deb)
  log "unpacking ${debs[-1]##*/}"
  rm -rf "$CACHE/pkg"
  dpkg-deb -x "${debs[-1]}" "$CACHE/pkg" || die "could not unpack ${debs[-1]}"
  [ -d "$data" ] || die "${debs[-1]##*/} has no skimage/data folder"
  echo "python3-skimage $(dpkg-deb -f "${debs[-1]}" Version)" > "$CACHE/pkg/.unpacked"
fi
package=$(cat "$CACHE/pkg/.unpacked")
photos=()
for p in "${PHOTOS[@]}"; do
  if [ -f "$data/$p" ]; then photos+=("$p"); else log "warning: $p is not in $package, skipped"; fi
done
[ ${#photos[@]} -gt 0 ] || die "none of the photos is in $data"

work=$(mktemp -d "${TMPDIR:-/tmp}/photo_crops.XXXXXX")
if [ "$KEEP" = 1 ]; then
  trap 'log "work folder kept: $work"' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi

# --- the crops ---------------------------------------------------------------------------------
log "cutting $CROPS crops from ${#photos[@]} photos"
crop_hash=$("$PYTHON" - "$data" "$work/crops" "$CROPS" "$SEED" "${photos[@]}" << 'EOF'
import hashlib, os, sys
from PIL import Image

data, out, total, seed, photos = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
S, M = 28, (1 << 64) - 1

def splitmix64(state):
    while True:
        state = (state + 0x9E3779B97F4A7C15) & M
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        yield z ^ (z >> 31)

gray, avail = {}, {}
for p in photos:
    im = Image.open(os.path.join(data, p))
    im.load()
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode != "L":
        im = im.convert("L")  # ITU-R 601-2 luma
    gray[p] = im
    avail[p] = (im.width // S) * (im.height // S)

# Quotas: as equal as possible; a photo with fewer grid crops gives the rest to the others.
quota, left, open_ = {p: 0 for p in photos}, min(total, sum(avail.values())), [p for p in photos if avail[p]]
if total > left:
    print(f"photo_crops: warning: only {left} crops exist, CROPS={total} lowered", file=sys.stderr)
while left and open_:
    share, extra = divmod(left, len(open_))
    for i, p in enumerate(open_):
        give = min(avail[p] - quota[p], share + (i < extra))
        quota[p] += give
        left -= give
    open_ = [p for p in open_ if quota[p] < avail[p]]

os.makedirs(out)
h, n = hashlib.sha256(), 0
with open(os.path.join(os.path.dirname(out), "crops.tsv"), "w") as tsv:
    tsv.write("file\tphoto\tx\ty\n")
    for k, p in enumerate(photos):
        im, nx = gray[p], gray[p].width // S
        # Partial Fisher-Yates over the grid with a splitmix64 stream of its own per photo.
        idx, rng = list(range(avail[p])), splitmix64(seed * 1000003 + k)
        for i in range(quota[p]):
            j = i + next(rng) % (avail[p] - i)
            idx[i], idx[j] = idx[j], idx[i]
        for c in sorted(idx[:quota[p]]):
            x, y = (c % nx) * S, (c // nx) * S
            # A new image: no ICC profile, gamma or other chunks of the photo in the crop file.
            crop = Image.frombytes("L", (S, S), im.crop((x, y, x + S, y + S)).tobytes())
            name = f"{n:05d}.png"
            crop.save(os.path.join(out, name))
            h.update(crop.tobytes())
            tsv.write(f"{name}\t{p}\t{x}\t{y}\n")
            n += 1
        print(f"photo_crops:   {p:22s} {im.width}x{im.height}, {avail[p]:4d} grid crops, {quota[p]:3d} kept",
              file=sys.stderr)
print(n, h.hexdigest())
EOF
)
read -r n crop_sha <<< "$crop_hash"
log "$n crops written, pixels sha256 $crop_sha"

# --- cjxl --------------------------------------------------------------------------------------
log "cjxl -d 0 -e 9 on $n files"
mkdir -p "$work/jxl"
for f in "$work"/crops/*.png; do
  cjxl -d 0 -e 9 --quiet "$f" "$work/jxl/$(basename "$f" .png).jxl" > /dev/null 2>&1 ||
    log "warning: cjxl failed on $(basename "$f")"
done

# --- ardm --------------------------------------------------------------------------------------
log "ardm compress on $n files, --threads $THREADS (about a second per image per thread)"
mkdir -p "$work/ardm" "$work/dec"  # existing folders: -o is a folder even for a single input
ardm_rc=0
"$ARDM" compress "${model_args[@]}" "${budget_args[@]}" --threads "$THREADS" -v -k -o "$work/ardm" \
  "$work"/crops/*.png > "$work/compress.log" 2>&1 || ardm_rc=$?
[ "$ardm_rc" = 0 ] || { tail -n 5 "$work/compress.log" >&2; log "warning: ardm compress exited with $ardm_rc"; }
log "ardm decompress"
decomp_rc=0
if compgen -G "$work/ardm/*.ardm" > /dev/null; then
  "$ARDM" decompress "${model_args[@]}" --threads "$THREADS" -k -o "$work/dec" "$work"/ardm/*.ardm \
    > "$work/decompress.log" 2>&1 || decomp_rc=$?
  [ "$decomp_rc" = 0 ] || { tail -n 5 "$work/decompress.log" >&2; log "warning: ardm decompress exited with $decomp_rc"; }
fi

# --- the report --------------------------------------------------------------------------------
# Sizes from the files themselves; methods from ardm's -v lines, read loosely: a line naming
# NNNNN.png is that file's line, and "method NAME" in it (also "method: NAME", "method=NAME")
# is its method; a file with no such word counts as "unknown". The round trip compares decoded
# pixels (mode, size and bytes) with the crops', not PNG bytes.
"$PYTHON" - "$work" "$PER_PHOTO" << 'EOF'
import os, re, sys
from collections import Counter, defaultdict
from PIL import Image

work, per_photo = sys.argv[1], sys.argv[2] == "1"
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(work, "crops.tsv"))][1:]
names = [r[0] for r in rows]
photo_of = {r[0]: r[1] for r in rows}
P = 784

def size(path):
    return os.stat(path).st_size if os.path.isfile(path) else None

jxl = {n: size(os.path.join(work, "jxl", n[:-4] + ".jxl")) for n in names}
ardm = {n: size(os.path.join(work, "ardm", n + ".ardm")) for n in names}

method = {}
for line in open(os.path.join(work, "compress.log"), errors="replace"):
    m = re.search(r"(\d{5}\.png)", line)
    if m and m.group(1) in photo_of:
        mm = re.search(r"\bmethod\b\s*[:=]?\s*([A-Za-z][\w.+-]*)", line)
        method[m.group(1)] = mm.group(1) if mm else method.get(m.group(1), "unknown")

def bpp(sizes):
    got = [s for s in sizes if s is not None]
    return (f"{8 * sum(got) / (P * len(got)):.4f}" if got else "-"), len(got)

def pixels(path):
    try:
        with Image.open(path) as im:
            return im.mode, im.size, im.tobytes()
    except Exception:
        return None

exact = 0
for n in names:
    d = os.path.join(work, "dec", n)
    if os.path.isfile(d) and pixels(d) == pixels(os.path.join(work, "crops", n)):
        exact += 1

total = len(names)
print(f"{total} crops (28x28, 8-bit gray) from {len(set(photo_of.values()))} photos, each crop its own file")
print()
print("| codec | mean bpp | files |")
print("|---|---:|---:|")
for label, sizes in (("ardm", ardm), ("cjxl -d 0 -e 9", jxl)):
    b, k = bpp(sizes.values())
    print(f"| {label} | {b} | {k}/{total} |")
print()
shares = Counter(method.get(n, "unknown") for n in names if ardm[n] is not None)
print("ardm methods: " + (", ".join(f"{m} {c}/{sum(shares.values())} ({100 * c / sum(shares.values()):.1f}%)"
                                  for m, c in sorted(shares.items(), key=lambda t: (-t[1], t[0]))) or "none"))
print(f"ardm round trip: {exact}/{total} decoded to the exact pixels")

if per_photo:
    by = defaultdict(list)
    for n in names:
        by[photo_of[n]].append(n)
    print()
    print("| photo | crops | ardm bpp | cjxl bpp | ardm methods |")
    print("|---|---:|---:|---:|---|")
    for p, ns in by.items():
        ms = Counter(method.get(n, "unknown") for n in ns if ardm[n] is not None)
        print(f"| {p} | {len(ns)} | {bpp(ardm[n] for n in ns)[0]} | {bpp(jxl[n] for n in ns)[0]} | "
              + ", ".join(f"{m} {c}" for m, c in sorted(ms.items())) + " |")
EOF
[ "$ardm_rc" = 0 ] || echo "ardm compress exited with status $ardm_rc"
[ "$decomp_rc" = 0 ] || echo "ardm decompress exited with status $decomp_rc"
echo
echo "data: $package, skimage/data: ${photos[*]}; SEED=$SEED; crop pixels sha256 $crop_sha"
echo "python: $PYTHON (PIL $("$PYTHON" -c 'import PIL; print(PIL.__version__)')); $(cjxl --version 2>&1 | head -n 1)"
echo
echo "commands (each crop its own file):"
echo '    cjxl -d 0 -e 9 --quiet crops/NNNNN.png jxl/NNNNN.jxl'
echo "    $ARDM compress ${model_args[*]}${model_args[*]:+ }${budget_args[*]}${budget_args[*]:+ }--threads $THREADS -v -k -o ardm crops/*.png"
echo "    $ARDM decompress ${model_args[*]}${model_args[*]:+ }--threads $THREADS -k -o dec ardm/*.ardm"
echo "    bpp = 8 * file bytes / 784, averaged over the files; round trip: decoded pixels == crop pixels"
