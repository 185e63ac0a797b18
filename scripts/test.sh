#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite (all CTest labels: unit, coding,
# training, gpu, cli, slow). Pass e.g. `-L unit` to run a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure "$@"
