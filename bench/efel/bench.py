#!/usr/bin/env python3
"""Times eFEL and `myelin features` on the same trace and features, in one run.

eFEL: efel.get_feature_values([trace], FEATURES) with the trace already in memory (numpy
arrays), after efel.reset(); one call computes all 10 features, as eFEL users call it.
Myelin: the `myelin features` command run as a subprocess, timed end to end (process start,
reading and parsing the CSV, interpolation, features, JSON output).
Both use eFEL's default settings (Threshold -20 mV, interp_step 0.1 ms, strict_stiminterval
off) and the stimulus window [700, 2700] ms. Repeats: 1 warm-up, then N timed (min, median).
"""

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")
import efel  # noqa: E402

FEATURES = ["AP_height", "AHP_slow_time", "ISI_CV", "doublet_ISI", "adaptation_index2", "mean_frequency",
            "AHP_depth_abs_slow", "AP_width", "time_to_first_spike", "AHP_depth_abs"]
ROOT = Path(__file__).resolve().parents[2]


def shared_dir():
    if os.environ.get("MYELIN_SHARED"):
        return Path(os.environ["MYELIN_SHARED"])
    for d in [ROOT, *ROOT.parents]:
        if (d.parent / "shared" / "reference").is_dir():
            return d.parent / "shared"
    sys.exit("cannot find the shared directory: set MYELIN_SHARED")


def timed(fn, repeats):
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out), statistics.median(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--myelin", required=True)
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()

    src = shared_dir() / "reference" / "neuron" / "l5pc_neuron_fixed_Step1.soma.v.csv.gz"
    work = ROOT / "target" / "bench-efel"
    work.mkdir(parents=True, exist_ok=True)
    csv = work / "l5pc_Step1.soma.v.csv"
    csv.write_bytes(gzip.decompress(src.read_bytes()))
    data = np.loadtxt(csv, delimiter=",", skiprows=1)
    t, v = data[:, 0].copy(), data[:, 1].copy()
    trace = {"T": t, "V": v, "stim_start": [700.0], "stim_end": [2700.0]}

    def run_efel():
        efel.reset()
        return efel.get_feature_values([trace], FEATURES, raise_warnings=False)[0]

    cmd = [args.myelin, "features", str(csv), "--stim-start", "700", "--stim-end", "2700"]
    for f in FEATURES:
        cmd += ["--feature", f]

    def run_myelin():
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    # Same numbers first.
    ours = json.loads(run_myelin())
    theirs = run_efel()
    for f in FEATURES:
        a, b = ours[f], theirs[f]
        assert (a is None) == (b is None), f
        if b is not None:
            assert np.allclose(a, b, rtol=1e-6, atol=1e-9), (f, a, b)

    e_min, e_med = timed(run_efel, args.repeats)
    m_min, m_med = timed(run_myelin, args.repeats)
    print(f"trace: {csv.name}, {len(t)} samples; 10 features; window [700, 2700] ms; "
          f"Threshold -20 mV, interp_step 0.1 ms; {args.repeats} repeats after 1 warm-up")
    print(f"eFEL {efel.__version__} get_feature_values (trace in memory):  "
          f"min {e_min * 1e3:7.2f} ms  median {e_med * 1e3:7.2f} ms")
    print(f"myelin features (whole process, CSV read+parse):  min {m_min * 1e3:7.2f} ms  median {m_med * 1e3:7.2f} ms")
    print(f"ratio eFEL / myelin: min {e_min / m_min:.2f}x  median {e_med / m_med:.2f}x  (same values: yes)")


if __name__ == "__main__":
    main()
