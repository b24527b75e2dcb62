#!/usr/bin/env bash
# L5PC benchmark: Myelin (whole process) vs NEURON (h.run) vs Arbor 0.12 (simulation.run).
# Uses $MYELIN_PEERS_PYTHON, else creates target/peers-venv with NEURON, BluePyOpt and Arbor.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
py="${MYELIN_PEERS_PYTHON:-}"
if [ -z "$py" ]; then
    if [ ! -x "$repo/target/peers-venv/bin/python" ]; then
        python3 -m venv "$repo/target/peers-venv"
        "$repo/target/peers-venv/bin/pip" install -q "neuron==9.0.2" "bluepyopt==1.14.26" "arbor==0.12.2" numpy
    fi
    py="$repo/target/peers-venv/bin/python"
fi
(cd "$repo" && cargo build --release -q -p myelin)
exec "$py" "$repo/bench/l5pc/run.py" "$@"
