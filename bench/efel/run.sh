#!/usr/bin/env bash
# eFEL vs `myelin features` in one run: 10 features of the 120 001-sample L5PC Step1 trace.
#
#   bench/efel/run.sh                  # creates target/peers-venv with eFEL 5.7.34 if needed
#   PEERS_VENV=/path/to/venv bench/efel/run.sh
#
# Builds the release binary, then bench.py times eFEL (trace in memory, per call) and the
# `myelin features` command (whole process: start, CSV read and parse, interpolation, features,
# JSON), checks that both give the same numbers, and prints min/median and the ratio. The
# in-process timing of the Rust library follows.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${PEERS_VENV:-$root/target/peers-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "efel==5.7.34" numpy
fi
cargo build --release -p myelin --manifest-path "$root/Cargo.toml"
"$venv/bin/python" "$root/bench/efel/bench.py" --myelin "$root/target/release/myelin" "$@"
cargo test --release -p myelin-stdlib --manifest-path "$root/Cargo.toml" --test bench_features \
    -- --ignored --nocapture 2>/dev/null | grep -E "^(trace|csv|interp|parse)"
