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
clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$src/src" "$src/tests/fuzz/fuzz_reader.cpp" "$src"/src/ardm/coding/{crc32,format,freq,rans}.cpp \
  -o "$work/fuzz_reader"
# libFuzzer adds what it finds to the first corpus folder: give it a scratch copy.
rm -rf "$work/corpus"
cp -r "$src/tests/fuzz/corpus" "$work/corpus"
"$work/fuzz_reader" -runs="$runs" -max_len=4096 -timeout=10 -print_final_stats=1 "$work/corpus" 2>&1 | tail -n 15
