#!/usr/bin/env bash
# The built-in demo: train HSRNet on synthetic crowds on the CPU, then test
# it with --show-dir. Called by `make demo` with the venv's python.
set -euo pipefail
PY=${1:-python}
CONFIG=configs/hsrnet/hsrnet_demo.py
WORK_DIR=work_dirs/demo
SHOW_DIR=$WORK_DIR/vis

echo "== Training $CONFIG on synthetic crowds (CPU; a few minutes on 2 cores)"
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
CKPT=$(cat "$WORK_DIR/last_checkpoint")
echo "== Testing $CKPT"
"$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK_DIR" \
    --show-dir "$SHOW_DIR" --out "$WORK_DIR/counts.csv"
echo "== Done. Pictures (image | GT density | predicted density): $SHOW_DIR"
echo "   Per-image counts: $WORK_DIR/counts.csv"
