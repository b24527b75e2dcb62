#!/usr/bin/env bash
# Regenerates the expected unit-factor values of compiler/tests/nmodl_units.rs with NEURON's own
# translator: writes a probe .mod file with the factor definitions, translates it with nocmodl and
# prints each factor (nocmodl writes them as exact hex floats) as a round-tripping decimal.
#
# usage: tools/golden/nmodl_units.sh
# NEURON comes from $PEERS_VENV (a venv with `neuron` installed) or, if unset, a venv created in
# target/peers-venv. CI never runs this; the test holds the values.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${PEERS_VENV:-target/peers-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "neuron>=9,<10"
fi
nocmodl="$("$venv/bin/python" -c 'import neuron, os; print(os.path.join(os.path.dirname(neuron.__file__), ".data", "bin", "nocmodl"))')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pairs=(
    "faraday|coulomb" "pi|1" "k-mole|joule/degC" "faraday|coulombs" "faraday|kilocoulombs"
    "faraday|10000 coulomb" "faraday|coul" "k-mole|joule/kelvin" "mole k|mV-coulomb/degC"
    "k|joule/degC" "e|coulombs" "mole|1" "e|coul" "planck|joule-sec" "hbar|joule-sec"
    "faraday|kilocoulomb" "R|joule/degC" "micro|1" "mV|V" "um|cm" "mA/cm2|nA/um2" "mM|molar"
    "1e-3|1" "2|3|1" "1.5+2|1" "degree|1" "radian|1" "liter|1" "cm3|1" "ms-1|1" "/ms|1"
    "micro m|1" "c|1" "degF|1" "torr|1" "kcal|1" "megohm|1" "mM|1" "ev|joule" "hour|ms" "year|1"
    "inch|um" "atm|1" "gram|1"
)
{
    echo "NEURON { SUFFIX probe }"
    echo "UNITS {"
    echo " (mV) = (millivolt)"
    echo " (um) = (micron)"
    echo " (mA) = (milliamp)"
    echo " (nA) = (nanoamp)"
    echo " (mM) = (milli/liter)"
    echo " (molar) = (1/liter)"
    i=0
    for p in "${pairs[@]}"; do
        i=$((i + 1))
        to="${p##*|}"
        from="${p%|*}"
        echo " X$i = ($from) ($to)"
    done
    echo "}"
} > "$work/probe.mod"
(cd "$work" && "$nocmodl" probe.mod > /dev/null)
i=0
for p in "${pairs[@]}"; do
    i=$((i + 1))
    hex="$(grep -o "static double X$i = [^;]*" "$work/probe.cpp" | sed 's/.* = //')"
    to="${p##*|}"
    from="${p%|*}"
    printf '(%s) (%s)\t%s\n' "$from" "$to" "$("$venv/bin/python" -c "print(repr(float.fromhex('$hex')))")"
done
