#!/usr/bin/env bash
# Builds the libFuzzer target with clang (AddressSanitizer + UndefinedBehaviorSanitizer) and
# runs it for a bounded number of iterations from the seed corpus in tests/fuzz/corpus.
# usage: run_fuzz.sh SOURCE_DIR WORK_DIR [RUNS]
set -euo pipefail
src=${1:?source dir}
work=${2:?work dir}
runs=${3:-${ARDM_FUZZ_RUNS:-200000}}
command -v clang++ >/dev/null || { echo "clang++ not found: bash scripts/setup.sh installs clang"; exit 1; }
mkdir -p "$work"
# Its own CMake build with clang: the decoder-only tree, every source under ASan and UBSan with
# libFuzzer's coverage, the target fuzz_reader linking the coding layer as its library target.
flags="-g -O1 -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined"
cmake -S "$src" -B "$work/build" -DARDM_DECODER_ONLY=ON -DARDM_FUZZ=ON -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_DISABLE_FIND_PACKAGE_PNG=ON \
  -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON >"$work/cmake.log" 2>&1 || { tail -20 "$work/cmake.log"; exit 1; }
cmake --build "$work/build" --target fuzz_reader -j "$(nproc)" >>"$work/cmake.log" 2>&1 || { tail -20 "$work/cmake.log"; exit 1; }
cp "$work/build/fuzz_reader" "$work/fuzz_reader"
# libFuzzer adds what it finds to the first corpus folder: give it a scratch copy.
rm -rf "$work/corpus"
cp -r "$src/tests/fuzz/corpus" "$work/corpus"
"$work/fuzz_reader" -runs="$runs" -max_len=4096 -timeout=10 -print_final_stats=1 "$work/corpus" 2>&1 | tail -n 15
