#!/usr/bin/env bash
# ardm's main job on its built-in defaults: install, build, train the default OA-ARDM on
# Fashion-MNIST for a few minutes, then print its test-set bound in bits per dimension.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
run=runs/quickstart
rm -rf "$run"
build/ardm train --out "$run" --steps "${STEPS:-300}"
build/ardm eval --model "$run/checkpoint.pt" --limit 1000 --passes 2
