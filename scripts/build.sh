#!/usr/bin/env bash
# Configures and builds ardm into build/ (Release). Extra arguments go to CMake's configure
# step, e.g. -DCMAKE_PREFIX_PATH=... for a pip-installed LibTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j"$(nproc)"
