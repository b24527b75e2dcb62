#!/usr/bin/env bash
# Regenerates the eFEL golden values used by stdlib/tests (CI never runs this).
#
#   tools/golden/efel/run.sh            # creates target/peers-venv with eFEL 5.7.34 if needed
#   PEERS_VENV=/path/to/venv tools/golden/efel/run.sh   # reuse an existing venv
#
# The shared reference directory is found through MYELIN_SHARED, else ../shared beside the
# repository.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
venv="${PEERS_VENV:-$root/target/peers-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "efel==5.7.34" "bluepyopt==1.14.26" numpy
fi
exec "$venv/bin/python" "$root/tools/golden/efel/generate.py" "$@"
