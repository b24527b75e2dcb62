#!/usr/bin/env bash
# Compile time per mechanism and kernel throughput for each entry point.
# Usage: bench/kernels.sh [FILES|DIRS...]   (default: mechanisms/)
# Environment: BENCH_INSTANCES (default 10000), BENCH_STEPS (default 200).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --release -p myelin-compiler --example kernel_bench -- "${@:-mechanisms}"
