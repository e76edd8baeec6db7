#!/usr/bin/env bash
# The built-in demo: train HSRNet on synthetic crowds on the CPU, then test
# it with --show-dir and say what to run next. Called by `make demo` with
# the venv's python; the same as the installed `hsrcount demo`.
set -euo pipefail
PY=${1:-python}
exec "$PY" -m hsrcount demo
