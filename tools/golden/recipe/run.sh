#!/usr/bin/env bash
# Regenerates the NEURON goldens of the recipes (tests/golden/recipe) with NEURON and BluePyOpt
# from PyPI. Uses $MYELIN_PEERS_PYTHON when set, else creates target/peers-venv.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
PY=${MYELIN_PEERS_PYTHON:-}
if [ -z "$PY" ]; then
  VENV="$ROOT/target/peers-venv"
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install "neuron>=9,<10" "bluepyopt" "efel" numpy
  fi
  PY="$VENV/bin/python"
fi
exec "$PY" "$ROOT/tools/golden/recipe/l5pc_like.py" "$@"
