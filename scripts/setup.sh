#!/usr/bin/env bash
# Installs every system dependency of ardm on Debian bookworm (or newer). Idempotent and
# non-interactive: packages already present are left alone, so a second run is fast.
#   scripts/setup.sh --train (or ARDM_SETUP_TRAIN=1): also the text corpus a byte model trains on
#   (docs/text-corpus.md), the speech model's Italian and Russian recordings, and the photo
#   model's wallpaper photographs (docs/photos.md);
#   ARDM_SETUP_BENCH=1: also what bench/ compares with (and the three languages' speech).
set -euo pipefail

train="${ARDM_SETUP_TRAIN:-0}"
for arg in "$@"; do
  case "$arg" in
    --train) train=1 ;;
    *) echo "setup: unknown argument $arg (give --train, or nothing)" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake pkg-config
  libtorch-dev           # tensors and autograd (CPU LibTorch 1.13 on bookworm)
  libopenblas0-pthread   # without it Debian's LibTorch uses the reference BLAS (~30x slower)
  libgloo-dev            # headers of c10d's Gloo backend (data-parallel training; the library is in LibTorch)
  zlib1g-dev libpng-dev  # IDX (gzip) and PNG data
  libcli11-dev           # command-line flags
  nlohmann-json3-dev     # metrics.jsonl rows and `schedule --json` (header-only)
  libjxl-dev             # lossless JPEG XL encode/decode in the library (src/ardm/kinds/image/jxl.*)
  libwebp-dev            # lossless WebP, the other image fallback (src/ardm/kinds/image/webp.*)
  liblzma-dev libbz2-dev libzstd-dev libbrotli-dev  # other files: xz, bzip2, zstd, brotli (kinds/text/general.*)
  libwavpack-dev libflac-dev                        # WAV files: WavPack and FLAC (kinds/audio/pcm_codecs.*)
  libgtest-dev           # tests
  clang libclang-rt-14-dev  # the libFuzzer target (ASan + UBSan) run as a slow test
  dataset-fashion-mnist  # the default data set
  bible-kjv dict-gcide   # text: the King James Bible (`bible`) and the GCIDE dictionary
  libjxl-tools optipng   # the quick start's comparison: JPEG-XL and optimised PNG
  xz-utils bzip2         # ... and for text
  libsndfile1-dev        # audio: WAV in and out
  asterisk-core-sounds-en-wav  # audio: 568 real speech recordings (16-bit mono 8 kHz)
  flac wavpack           # the quick start's and bench's audio comparison
  zstd brotli            # ... and the text comparison's other compressors
  g++-aarch64-linux-gnu qemu-user-static file  # the cross-machine decode test: an aarch64 build, qemu
  python3-dev pybind11-dev python3-numpy python3-pytest  # the Python package (python/), built and tested in-tree
  python3-venv python3-pip  # ... and `pip install .` into a fresh virtual environment (a slow test)
)
if [ "$train" = 1 ]; then
  # The text corpus (src/ardm/data/text.h, docs/text-corpus.md): about 280 MB installed (linux-doc 194 MB).
  packages+=(linux-doc-6.1)                                                   # linux-doc
  packages+=(debian-reference-en debian-policy developers-reference maint-guide)  # debian-manuals
  packages+=(manpages manpages-dev)                                           # manpages
  packages+=(libpython3.11-minimal libpython3.11-stdlib python3.11-doc)       # python-lib, python-doc
  # The speech model's other voices (src/ardm/data/audio.h): Italian and Russian prompts, 8 kHz.
  packages+=(asterisk-core-sounds-it-wav asterisk-core-sounds-ru-wav)
  # The photo model's photographs (scripts/make_photos.py): the wallpapers, Pillow to downscale
  # them, and skimage's photographs (the test set).
  packages+=(plasma-workspace-wallpapers ukui-wallpapers python3-pil python3-skimage)
fi
if [ "${ARDM_SETUP_BENCH:-0}" = 1 ]; then
  packages+=(python3-torch time webp bc python3-pil)   # bench/: the PyTorch reference, /usr/bin/time, WebP, bc, photo crops
  packages+=(gzip bzip2 xz-utils)                     # bench/text_bench.sh: the classical text compressors
  packages+=(wavpack python3-numpy python3-skimage sound-icons alsa-utils)  # bench/any_input_bench.sh: peers and data
  packages+=(asterisk-core-sounds-it-wav asterisk-core-sounds-ru-wav)      # bench/audio_bench.sh: each language's test files
  packages+=(7zip brotli python3-matplotlib)          # bench/text_corpus_bench.sh: 7-Zip's PPMd; the training curve's plot
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
