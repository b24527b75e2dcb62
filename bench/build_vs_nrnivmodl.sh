#!/usr/bin/env bash
# Ahead-of-time compilation of the L5PC channel set: `myelin build` against NEURON's nrnivmodl on
# the same .mod files, measured in the same run (whole process wall time, best and median of N).
# Usage: bench/build_vs_nrnivmodl.sh [REPEATS]   (needs NEURON: MYELIN_PEERS_PYTHON or a venv
# at target/peers-venv with `neuron` installed; see ../shared/peers/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
py=${MYELIN_PEERS_PYTHON:-target/peers-venv/bin/python}
nrnivmodl="$(dirname "$py")/nrnivmodl"
[ -x "$nrnivmodl" ] || { echo "nrnivmodl not found next to $py (set MYELIN_PEERS_PYTHON)"; exit 2; }
cargo build --quiet --release
files="CaDynamics_E2 Ca_HVA Ca_LVAst Ih Im K_Pst K_Tst NaTa_t NaTs2_t Nap_Et2 SK_E2 SKv3_1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/mods"
for f in $files; do cp "mechanisms/$f.mod" "$work/mods/"; done
now() { date +%s.%N; }
stats() { sort -g | awk '{a[NR]=$1} END {printf "best %.4f s, median %.4f s", a[1], a[int((NR+1)/2)]}'; }
: > "$work/myelin.t"; : > "$work/nrn.t"
for r in $(seq "$repeats"); do
  rm -rf "$work/out"
  t0=$(now); ./target/release/myelin build "$work/mods" -o "$work/out" 2>/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc -l >> "$work/myelin.t"
  rm -rf "$work/nrn" && mkdir -p "$work/nrn" && cp "$work"/mods/*.mod "$work/nrn/"
  t0=$(now); (cd "$work/nrn" && "$nrnivmodl" . > /dev/null 2>&1); t1=$(now)
  echo "$t1 - $t0" | bc -l >> "$work/nrn.t"
done
m=$(sort -g "$work/myelin.t" | head -1); n=$(sort -g "$work/nrn.t" | head -1)
echo "12 L5PC channels, $repeats repeats, clean output each time"
echo "myelin build: $(stats < "$work/myelin.t")"
echo "nrnivmodl:    $(stats < "$work/nrn.t")"
echo "ratio (best): $(echo "$n / $m" | bc -l | xargs printf '%.1f')x"
rm -rf "$work/out"
t0=$(now); ./target/release/myelin build "$work/mods" -o "$work/out" 2>/dev/null; t1=$(now)
t2=$(now); ./target/release/myelin build "$work/mods" -o "$work/out" 2>/dev/null; t3=$(now)
echo "myelin build again on an unchanged set (compile cache): $(echo "$t3 - $t2" | bc -l | xargs printf '%.4f') s"
