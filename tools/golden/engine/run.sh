#!/usr/bin/env bash
# Regenerates the engine's golden data (tests/golden/engine/) with NEURON.
#
# Uses $MYELIN_PEERS_VENV/bin/python when set (e.g. MYELIN_PEERS_VENV=/work/cache/peers-venv),
# otherwise creates target/peers-venv with NEURON from PyPI. Needs the shared data beside the
# repository (../shared) or MYELIN_SHARED. CI never runs this; it only reads the results.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
if [[ -n "${MYELIN_PEERS_VENV:-}" ]]; then
    py="$MYELIN_PEERS_VENV/bin/python"
else
    venv="$repo/target/peers-venv"
    if [[ ! -x "$venv/bin/python" ]]; then
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet "neuron>=9,<10" numpy
    fi
    py="$venv/bin/python"
fi
shared="${MYELIN_SHARED:-$(cd "$repo/.." && pwd)/shared}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here"/mod/*.mod "$work/"
(cd "$work" && "$(dirname "$py")/nrnivmodl" . >/dev/null)
cd "$work"
"$py" "$here/make_goldens.py" --shared "$shared" --out "$repo/tests/golden/engine"
