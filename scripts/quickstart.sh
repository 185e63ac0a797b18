#!/usr/bin/env bash
# ardm's main job on its built-in defaults: install, build, train the default OA-ARDM on
# Fashion-MNIST for a few minutes, then print its test-set bound in bits per dimension.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
run=runs/quickstart
rm -rf "$run"
# A short run: an EMA horizon of ~100 steps (the default 0.999 suits runs of thousands of steps).
build/ardm train --out "$run" --steps "${STEPS:-300}" --ema 0.99
build/ardm eval --model "$run/checkpoint.pt" --limit 1000 --passes 2
