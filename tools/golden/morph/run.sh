#!/usr/bin/env bash
# Regenerates the morphology goldens (runtime/tests/data/morph/golden) with NEURON.
# Uses $MYELIN_PEERS_PYTHON when set, else creates target/peers-venv with the peers from PyPI.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
PY=${MYELIN_PEERS_PYTHON:-}
if [ -z "$PY" ]; then
  VENV="$ROOT/target/peers-venv"
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install "neuron>=9,<10" "bluepyopt" numpy
  fi
  PY="$VENV/bin/python"
fi
exec "$PY" "$ROOT/tools/golden/morph/make_goldens.py" "$@"
