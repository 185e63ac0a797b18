#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite (all CTest labels: unit, coding,
# training, gpu, cli, slow). Pass e.g. `-L unit` to run a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
# As many tests at a time as there are cores: the long ones (CTest's COST, tests/CMakeLists.txt) start
# first, so the cross-machine test runs beside the rest instead of after it.
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
