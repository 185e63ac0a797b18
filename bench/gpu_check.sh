#!/usr/bin/env bash
# The GPU check, in one go on a machine with an NVIDIA GPU and a pip-installed CUDA PyTorch 2.x
# (under 8 minutes on one H200): build ardm against that PyTorch's LibTorch, run the unit tests
# (the CUDA ones included), train a mid-size UNet for a fixed number of minutes with bf16
# autocast, measure images/s on the GPU against the CPU with the same network, eval and sample
# on the GPU, run the data-parallel test, and round-trip files through the codec (which runs on
# the CPU engine by design). To $OUT: gpu_check.log (everything), summary.txt, logs/build.log,
# logs/tests.log, run/metrics.jsonl and run/checkpoint.pt (the GPU run), samples.png.
#
# Usage, from the repository root:
#   bash bench/gpu_check.sh --prepare   # on a Debian machine with ardm's setup done: copies
#                                       # Fashion-MNIST into .gpu-data/ and the -dev packages a
#                                       # bare GPU machine may lack into .gpu-deps/ (both ignored)
#   OUT=/some/dir bash bench/gpu_check.sh
#
# Settings (environment): MINUTES (GPU training, default 2), CPU_SECONDS (the CPU's images/s
# run, default 45), DEVICE (default cuda; cpu makes a dry run of this script), BUILD (build
# folder, default build-gpu; an existing one is reused), JOBS (parallel build jobs, default nproc),
# TORCH_PREFIX (where LibTorch's CMake files are; default: the python3 torch's), EVAL_LIMIT
# (test images for the eval, default 0 = all 10,000), GPU_BATCH (the GPU run's batch, default 128).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "${1:-}" = --prepare ]; then
  set -e
  mkdir -p .gpu-data/fashion-mnist .gpu-deps
  grep -qx '/.gpu-data/' .git/info/exclude 2>/dev/null || echo '/.gpu-data/' >>.git/info/exclude
  grep -qx '/.gpu-deps/' .git/info/exclude 2>/dev/null || echo '/.gpu-deps/' >>.git/info/exclude
  cp /usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz .gpu-data/fashion-mnist/
  # Headers and the libraries they need that a CUDA image seldom has (the LibTorch, the
  # compiler and CMake come with the GPU machine).
  (cd .gpu-deps && apt-get download libpng-dev libpng16-16 zlib1g-dev libjxl-dev libjxl0.7 libhwy1 libhwy-dev \
    libbrotli-dev libbrotli1 liblcms2-2 liblcms2-dev libsndfile1-dev libsndfile1 libflac12 libvorbis0a libvorbisenc2 \
    libogg0 libopus0 libmpg123-0 libmp3lame0 libcli11-dev nlohmann-json3-dev libgtest-dev libgloo-dev libgloo0)
  du -sh .gpu-data .gpu-deps
  echo "carry .gpu-data and .gpu-deps to the GPU machine, then run: bash bench/gpu_check.sh"
  exit 0
fi

OUT=${OUT:-/tmp/ardm-gpu-check}
MINUTES=${MINUTES:-2}
CPU_SECONDS=${CPU_SECONDS:-45}
DEVICE=${DEVICE:-cuda}
BUILD=${BUILD:-build-gpu}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$OUT/logs"
tmp=$(mktemp -d)
exec > >(tee -a "$OUT/gpu_check.log") 2>&1
summary="$OUT/summary.txt"
: >"$summary"
t_start=$SECONDS
say() { echo "== [$((SECONDS - t_start)) s] $*"; }
result() { echo "$*" | tee -a "$summary"; }

say "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | sed 's/^/gpu: /'
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1
cmake --version | head -1; c++ --version | head -1; nproc

# Data and system packages carried from a Debian machine (--prepare), unpacked under /tmp.
if [ -d .gpu-data/fashion-mnist ]; then export ARDM_FASHION_MNIST_DIR=$PWD/.gpu-data/fashion-mnist; fi
deps=/tmp/ardm-deps
prefix=${TORCH_PREFIX-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)}
if ls .gpu-deps/*.deb >/dev/null 2>&1; then
  say "unpacking $(ls .gpu-deps/*.deb | wc -l) packages into $deps"
  for f in .gpu-deps/*.deb; do dpkg -x "$f" "$deps"; done
  prefix="$prefix;$deps/usr"
  export PKG_CONFIG_PATH=$deps/usr/lib/x86_64-linux-gnu/pkgconfig:$deps/usr/share/pkgconfig:${PKG_CONFIG_PATH:-}
  export PKG_CONFIG_SYSROOT_DIR=$deps
  export CPATH=$deps/usr/include:${CPATH:-}
  export LIBRARY_PATH=$deps/usr/lib/x86_64-linux-gnu:${LIBRARY_PATH:-}
  export LD_LIBRARY_PATH=$deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
fi
nccl=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "include"))' 2>/dev/null || true)

say "build ($BUILD, LibTorch from ${prefix%%;*})"
gen=(); [ ! -f "$BUILD/CMakeCache.txt" ] && command -v ninja >/dev/null && gen=(-G Ninja)
if ! cmake -S . -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
      ${nccl:+-DNCCL_INCLUDE_DIR=$nccl} >"$OUT/logs/build.log" 2>&1; then
  tail -30 "$OUT/logs/build.log"; result "build: cmake FAILED (see logs/build.log)"; exit 1
fi
grep -E "ardm:|Torch|CUDA" "$OUT/logs/build.log" | head -10
if ! cmake --build "$BUILD" -j "$JOBS" --target ardm-cli ardm-decode unit_tests codec_tests training_tests gpu_tests checkpoint_diff >>"$OUT/logs/build.log" 2>&1; then
  grep -E "error|undefined" "$OUT/logs/build.log" | head -30; result "build: FAILED (see logs/build.log)"; exit 1
fi
result "build: ok in $((SECONDS - t_start)) s"
ARDM=$BUILD/ardm

say "unit and training tests, then the GPU tests"
(cd "$BUILD" && timeout 300 ctest -L "unit|training" -LE slow --output-on-failure >"$tmp/unit.log" 2>&1)
cat "$tmp/unit.log" >>"$OUT/logs/tests.log"
result "unit tests: $(grep -E "tests passed|tests failed" "$tmp/unit.log" | tail -1)"
"$BUILD/tests/gpu_tests" 2>&1 | grep -E "^\[ +(OK|FAILED|SKIPPED) +\]|first-step loss" |
  tee -a "$summary"

# The GPU run: a mid-size UNet (the default one, twice as wide, two blocks per level) for
# MINUTES minutes with bf16 autocast, batch 128; then the same network on the CPU, float32.
NET=(--ch 64 --ch-mult 1,2,2 --num-res-blocks 2 --attn-res 14,7 --checkpoint-every 500)
# rate FILE SKIP: mean images/s of the metrics rows after the first SKIP (the warm-up)
rate() { awk -v k="$2" -F'"images_per_s":' 'NR > k { split($2, a, ","); s += a[1]; n++ } END { printf "%.1f", n ? s / n : 0 }' "$1"; }
say "training on $DEVICE for $MINUTES min (bf16 autocast)"
rm -rf "$OUT/run"
timeout $((MINUTES * 60 + 120)) "$ARDM" train --device "$DEVICE" --autocast bf16 --batch "${GPU_BATCH:-128}" --lr 1e-3 \
  --steps 1000000 --minutes "$MINUTES" --out "$OUT/run" --log-every 10 -q "${NET[@]}" 2>&1 | tail -3
gpu_rate=$(rate "$OUT/run/metrics.jsonl" 2)
result "train $DEVICE bf16: $(tail -1 "$OUT/run/metrics.jsonl" | grep -Eo '"step":[0-9]+|"nelbo_bpd":[0-9.]+' | tr '\n' ' ') $gpu_rate images/s"
say "the same network on the CPU for $CPU_SECONDS s (float32, all cores)"
timeout $((CPU_SECONDS + 120)) "$ARDM" train --device cpu --batch 32 --steps 1000000 \
  --minutes "$(awk -v s="$CPU_SECONDS" 'BEGIN { print s / 60 }')" --out "$tmp/cpu" -q "${NET[@]}" --log-every 1 2>&1 | tail -2
cpu_rate=$(rate "$tmp/cpu/metrics.jsonl" 1)
result "train cpu float32: $cpu_rate images/s; GPU / CPU: $(awk -v g="$gpu_rate" -v c="$cpu_rate" 'BEGIN { printf "%.1f", (c > 0 ? g / c : 0) }')x"

say "eval and sample on $DEVICE"
"$ARDM" eval --device "$DEVICE" --model "$OUT/run/checkpoint.pt" --passes 1 --batch 500 --limit "${EVAL_LIMIT:-0}" -q 2>&1 | tee "$tmp/eval.log"
result "eval $DEVICE: $(grep -m1 '^test bound' "$tmp/eval.log")"
"$ARDM" eval --device "$DEVICE" --model "$OUT/run/checkpoint.pt" --budget 20 --limit 500 --exact-limit 100 --batch 100 -q 2>&1 |
  tee "$tmp/eval20.log"
result "eval $DEVICE budget 20: $(grep -m1 '^exact' "$tmp/eval20.log")"
"$ARDM" sample --device "$DEVICE" --model "$OUT/run/checkpoint.pt" --count 64 --budget 50 --seed 1 --out "$OUT/samples.png" -q 2>&1 |
  tee -a "$summary"

say "data parallel on loopback (Gloo; one GPU cannot host two NCCL ranks)"
(cd "$BUILD" && timeout 240 ctest -R '^dist$' --output-on-failure >"$tmp/dist.log" 2>&1)
cat "$tmp/dist.log" >>"$OUT/logs/tests.log"
result "dist test: $(grep -E "tests passed|tests failed" "$tmp/dist.log" | tail -1)"

say "codec round trips (the engine on the CPU; --device cuda is refused, by design)"
"$ARDM" images --data fashion-mnist --split test --limit 200 --out "$tmp/imgs" >/dev/null
cp -r "$tmp/imgs" "$tmp/orig"
"$ARDM" compress -k -q "$tmp"/imgs/*.png
bytes=$(cat "$tmp"/imgs/*.ardm | wc -c)
"$ARDM" decompress -f -q "$tmp"/imgs/*.png.ardm
ok=0; for f in "$tmp"/orig/*.png; do cmp -s "$f" "$tmp/imgs/$(basename "$f")" && ok=$((ok + 1)); done
n=$(ls "$tmp"/orig/*.png | wc -l)
result "codec: $ok / $n PNGs back byte for byte; $bytes bytes, $(awk -v b="$bytes" -v n="$n" 'BEGIN { printf "%.3f", 8 * b / (n * 784) }') bpd"
"$ARDM" compress --device cuda -k "$tmp/imgs/00000.png" 2>&1 | head -1 | tee -a "$summary"
rm -rf "$tmp"

say "done in $((SECONDS - t_start)) s"
cat "$summary"
