#!/usr/bin/env python3
"""Generate eFEL golden values for Myelin's feature tests.

Runs eFEL (the installed version, expected 5.7.34) on
  * the NEURON reference traces in ../shared/reference/neuron (read in place), and
  * synthetic traces made here (a small Hodgkin-Huxley integrator plus hand-made shapes),
    written to stdlib/tests/golden/efel/traces/*.csv.gz so that the Rust tests read exactly
    the samples eFEL saw,
and writes stdlib/tests/golden/efel/features.json (feature values) and
stdlib/tests/golden/efel/l5pc_scores.json (BluePyOpt scores of the L5PC Step1/bAP features).

Every feature is computed in its own eFEL call after efel.reset(), as BluePyOpt and
BluePyEModel do. Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity".

Usage: tools/golden/efel/run.sh (creates or reuses a venv), or directly with a Python that has
efel, bluepyopt and numpy.
"""

import gzip
import io
import json
import math
import os
import sys
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")

import efel  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
# MYELIN_EFEL_GOLDEN_DIR writes elsewhere (the tests read the same variable).
OUT_DIR = Path(os.environ.get("MYELIN_EFEL_GOLDEN_DIR", ROOT / "stdlib" / "tests" / "golden" / "efel"))
TRACE_DIR = OUT_DIR / "traces"

FEATURES = [
    "Spikecount", "spike_count", "Spikecount_stimint", "spike_count_stimint", "peak_time",
    "peak_voltage", "time_to_first_spike", "inv_time_to_first_spike", "time_to_second_spike",
    "time_to_last_spike", "mean_frequency", "doublet_ISI", "all_ISI_values", "ISI_values", "ISI_CV",
    "inv_first_ISI", "inv_second_ISI", "inv_third_ISI", "inv_fourth_ISI", "inv_fifth_ISI",
    "inv_last_ISI", "adaptation_index2", "burst_number", "AP_height", "AP_amplitude", "AP1_amp",
    "AP2_amp", "APlast_amp", "mean_AP_amplitude", "AP_amplitude_from_voltagebase",
    "AP_begin_voltage", "AP_width", "AP_duration_half_width", "spike_half_width", "AP_rise_time",
    "AP_fall_time", "min_AHP_values", "AHP_depth_abs", "AHP_depth", "AHP_depth_abs_slow",
    "AHP_slow_time", "voltage_base", "steady_state_voltage", "steady_state_voltage_stimend",
    "voltage_deflection", "voltage_deflection_begin", "voltage_deflection_vb_ssse",
    "voltage_after_stim", "decay_time_constant_after_stim", "maximum_voltage", "minimum_voltage",
    "maximum_voltage_from_voltagebase", "ohmic_input_resistance", "ohmic_input_resistance_vb_ssse",
]


def shared_dir():
    env = os.environ.get("MYELIN_SHARED")
    if env:
        return Path(env)
    for d in [ROOT, *ROOT.parents]:
        cand = d.parent / "shared"
        if (cand / "reference").is_dir():
            return cand
    sys.exit("cannot find the shared directory: set MYELIN_SHARED")


def read_csv(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        data = np.loadtxt(f, delimiter=",", skiprows=1, usecols=(0, 1))
    return data[:, 0].copy(), data[:, 1].copy()


def write_trace(name, t, v):
    """Writes a synthetic trace (shortest round-trip decimals) and returns what was written."""
    TRACE_DIR.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    text.write("t_ms,v_mV\n")
    for a, b in zip(t, v):
        text.write(f"{float(a)!r},{float(b)!r}\n")
    path = TRACE_DIR / f"{name}.csv.gz"
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(text.getvalue().encode())
    return read_csv(path)


# --------------------------------------------------------------------------------------------
# Synthetic traces
# --------------------------------------------------------------------------------------------

def hh(stim, tstop, dt=0.0125, v0=-65.0, noise=0.0, seed=0):
    """Hodgkin-Huxley membrane (6.3 degC, uA/cm2) integrated with RK4; returns (t, v) at dt."""
    rng = np.random.default_rng(seed)

    def rates(v):
        def vtrap(x, y):
            return y * (1 - x / y / 2) if abs(x / y) < 1e-6 else x / (math.exp(x / y) - 1)
        am = 0.1 * vtrap(-(v + 40), 10)
        bm = 4 * math.exp(-(v + 65) / 18)
        ah = 0.07 * math.exp(-(v + 65) / 20)
        bh = 1 / (1 + math.exp(-(v + 35) / 10))
        an = 0.01 * vtrap(-(v + 55), 10)
        bn = 0.125 * math.exp(-(v + 65) / 80)
        return am, bm, ah, bh, an, bn

    def deriv(y, i_ext):
        v, m, h, n = y
        am, bm, ah, bh, an, bn = rates(v)
        i_ion = 120 * m**3 * h * (v - 50) + 36 * n**4 * (v + 77) + 0.3 * (v + 54.3)
        return np.array([i_ext - i_ion, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n])

    am, bm, ah, bh, an, bn = rates(-65.0)
    y = np.array([v0, am / (am + bm), ah / (ah + bh), an / (an + bn)])
    steps = int(round(tstop / dt))
    t = np.arange(steps + 1) * dt
    v = np.empty(steps + 1)
    v[0] = y[0]
    ou = 0.0
    for k in range(steps):
        tk = t[k]
        if noise:
            ou += -ou * dt / 2.0 + noise * math.sqrt(dt) * rng.standard_normal()
        i1 = stim(tk) + ou
        i2 = stim(tk + dt / 2) + ou
        i3 = stim(tk + dt) + ou
        k1 = deriv(y, i1)
        k2 = deriv(y + dt / 2 * k1, i2)
        k3 = deriv(y + dt / 2 * k2, i2)
        k4 = deriv(y + dt * k3, i3)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        v[k + 1] = y[0]
    return t, v


def step(start, end, amp, base=0.0):
    return lambda x: base + (amp if start <= x < end else 0.0)


def pulses(times, width, amp, base=0.0):
    return lambda x: base + (amp if any(s <= x < s + width for s in times) else 0.0)


def every(t, v, k):
    return t[::k].copy(), v[::k].copy()


def synthetic():
    """(name, t, v, stim_start, stim_end, stimulus_current, thresholds)."""
    cases = []

    t, v = every(*hh(step(20, 120, -4.0), 200), 2)
    cases.append(("syn_subthreshold_hyper", t, v, 20.0, 120.0, -0.04))

    t, v = every(*hh(step(20, 120, 2.0), 200), 2)
    cases.append(("syn_subthreshold_depol", t, v, 20.0, 120.0, 0.02))

    t, v = every(*hh(pulses([30.0], 1.0, 40.0), 150), 2)
    cases.append(("syn_one_spike", t, v, 20.0, 120.0, 0.4))

    times = [b + k * 6.0 for b in (25.0, 95.0, 165.0, 235.0) for k in range(4)]
    t, v = every(*hh(pulses(times, 0.6, 60.0), 300), 2)
    cases.append(("syn_burst", t, v, 20.0, 280.0, 0.6))

    t, v = every(*hh(step(15, 265, 9.0), 300, noise=6.0, seed=7), 2)
    cases.append(("syn_noisy_train", t, v, 15.0, 265.0, 0.09))

    t, v = every(*hh(step(20, 220, 12.0), 260), 2)
    cases.append(("syn_regular_train", t, v, 20.0, 220.0, 0.12))

    t, v = every(*hh(step(20, 170, 180.0), 220), 2)
    cases.append(("syn_depol_block", t, v, 20.0, 170.0, 1.8))

    t, v = every(*hh(step(10, 110, 15.0), 140, v0=10.0), 2)
    cases.append(("syn_starts_above_threshold", t, v, 10.0, 110.0, 0.15))

    t_full, v_full = hh(step(10, 200, 15.0), 120)
    peak = int(np.argmax(v_full[int(100 / 0.0125):])) + int(100 / 0.0125)
    t, v = every(t_full[: peak - 40], v_full[: peak - 40], 2)
    cases.append(("syn_ends_mid_spike", t, v, 10.0, 100.0, 0.15))

    t, v = every(*hh(pulses([5.0, 60.0, 140.0], 1.0, 40.0, base=3.0), 180), 2)
    cases.append(("syn_spikes_outside_window", t, v, 40.0, 120.0, 0.4))

    # Irregular sampling (CVODE-like) and a stimulus window at odd times.
    tf, vf = hh(step(13.37, 87.913, 10.0), 120, dt=0.005, noise=2.0, seed=3)
    rng = np.random.default_rng(11)
    idx = [0]
    while idx[-1] < len(tf) - 1:
        idx.append(min(len(tf) - 1, idx[-1] + int(rng.integers(1, 40))))
    cases.append(("syn_irregular_dt", tf[idx].copy(), vf[idx].copy(), 13.37, 87.913, 0.1))

    # Piecewise-linear spikes with samples exactly on -20 mV and flat-topped peaks.
    t = np.arange(0, 200.0001, 0.5)
    v = np.full_like(t, -70.0)
    for c in (40.0, 80.0, 120.0, 160.0):
        shape = {c - 2.0: -45.0, c - 1.0: -20.0, c - 0.5: 10.0, c: 25.0, c + 0.5: 25.0,
                 c + 1.0: -20.0, c + 1.5: -50.0, c + 2.0: -75.0, c + 4.0: -72.0}
        for tc, vc in shape.items():
            v[np.isclose(t, tc)] = vc
    v[np.isclose(t, 100.0)] = -20.0
    cases.append(("syn_threshold_touch", t, v, 30.0, 170.0, 0.3))

    t, v = every(*hh(step(0, 100, 10.0), 150), 2)
    cases.append(("syn_stim_at_zero", t, v, 0.0, 100.0, 0.1))

    t = np.arange(0, 100.0001, 0.025)
    v = np.full_like(t, -65.0)
    cases.append(("syn_flat", t, v, 20.0, 80.0, 0.1))

    t, v = every(*hh(pulses([205.0], 2.0, 40.0), 300), 2)
    cases.append(("syn_bap_like_window_to_end", t, v, 200.0, 300.0, 0.4))

    # A long regular train: more than 128 ISIs (numpy's pairwise summation switches to blocks).
    t, v = every(*hh(step(20, 1980, 25.0), 2000), 4)
    cases.append(("syn_long_train", t, v, 20.0, 1980.0, 0.25))

    # Spikes that barely cross the threshold, with noise: chattering crossings.
    rng = np.random.default_rng(5)
    t = np.arange(0, 150.0001, 0.025)
    v = -60.0 + rng.normal(0.0, 0.4, t.size)
    for c in np.arange(20.0, 140.0, 11.0):
        v += 40.5 * np.exp(-(((t - c) / 1.2) ** 2))
    cases.append(("syn_chatter", t, v, 15.0, 135.0, 0.2))

    # Duplicate time stamp at the start: eFEL's interpolation fails and it uses the raw samples.
    t, v = every(*hh(pulses([30.0, 60.0], 1.0, 40.0), 100), 2)
    t = t.copy()
    t[1] = t[0]
    cases.append(("syn_duplicate_time", t, v, 20.0, 90.0, 0.4))
    return cases


# --------------------------------------------------------------------------------------------
# eFEL evaluation
# --------------------------------------------------------------------------------------------

def enc(x):
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def efel_one(trace, settings, feature):
    efel.reset()
    for key, value in settings.items():
        if key in ("stim_start", "stim_end") or value is None:
            continue
        efel.set_setting(key, value)
    val = efel.get_feature_values([trace], [feature], raise_warnings=False)[0][feature]
    efel.reset()
    return val


def efel_values(t, v, settings):
    trace = {"T": t, "V": v, "stim_start": [settings["stim_start"]], "stim_end": [settings["stim_end"]]}
    out = {}
    for f in FEATURES:
        val = efel_one(trace, settings, f)
        out[f] = None if val is None else [enc(x) for x in np.asarray(val, dtype=float).ravel()]
    return out


def undefined_elements(t, v, settings, values):
    """Elements eFEL computes from out-of-range reads (undefined behaviour in its C++), which
    the tests do not compare: AP_duration_half_width pairs i with no AP end when there are fewer
    AP ends than min(AP onsets, peaks)."""
    if values["AP_duration_half_width"] is None:
        return {}
    trace = {"T": t, "V": v, "stim_start": [settings["stim_start"]], "stim_end": [settings["stim_end"]]}
    n_end = len(efel_one(trace, settings, "AP_end_indices"))
    n = len(values["AP_duration_half_width"])
    return {"AP_duration_half_width": list(range(n_end, n))} if n_end < n else {}


TUNED = {
    "Threshold": -30.0, "interp_step": 0.05, "strict_stiminterval": False, "DerivativeThreshold": 15.0,
    "DownDerivativeThreshold": -8.0, "DerivativeWindow": 4, "voltage_base_mode": "median",
    "voltage_base_start_perc": 0.5, "voltage_base_end_perc": 0.95, "ignore_first_ISI": False,
    "burst_factor": 1.3, "sahp_start": 3.0, "rise_start_perc": 0.1, "rise_end_perc": 0.9, "offset": 5.0,
    "decay_start_after_stim": 2.0, "decay_end_after_stim": 20.0,
}
TUNED_TRACES = {"hh_soma_amp0.3_be", "l5pc_Step1.soma", "syn_burst", "syn_noisy_train", "syn_irregular_dt",
                "syn_subthreshold_hyper", "syn_spikes_outside_window", "syn_long_train", "syn_chatter"}


def variants(stim_start, stim_end, current, threshold=-20.0):
    base = {"stim_start": stim_start, "stim_end": stim_end, "stimulus_current": current}
    return [
        ("efel_default", {**base, "Threshold": threshold, "interp_step": 0.1, "strict_stiminterval": False}),
        ("bpem", {**base, "Threshold": threshold, "interp_step": 0.025, "strict_stiminterval": True}),
    ]


def main():
    shared = shared_dir()
    cases = []
    fuzz = os.environ.get("FUZZ_CASES")
    if fuzz:
        # Only randomised cases, e.g. a large sweep written to MYELIN_EFEL_GOLDEN_DIR.
        random_cases(cases, int(fuzz), int(os.environ.get("FUZZ_SEED", "1")))
        write_features(cases)
        return

    def add(name, trace_ref, t, v, stim_start, stim_end, current, threshold=-20.0, extra=()):
        extra = list(extra)
        if name in TUNED_TRACES:
            extra.append(("tuned", {"stim_start": stim_start, "stim_end": stim_end, "stimulus_current": current,
                                    **TUNED}))
        for vname, settings in list(variants(stim_start, stim_end, current, threshold)) + extra:
            print(f"{name} / {vname}", file=sys.stderr)
            values = efel_values(t, v, settings)
            cases.append({"name": f"{name}/{vname}", "trace": trace_ref, "settings": settings,
                          "values": values, "undefined": undefined_elements(t, v, settings, values)})

    for amp in ("0.1", "0.2", "0.3"):
        for method in ("be", "cn"):
            rel = f"reference/neuron/hh_soma_amp{amp}_{method}.csv"
            t, v = read_csv(shared / rel)
            add(f"hh_soma_amp{amp}_{method}", {"shared": rel}, t, v, 10.0, 110.0, float(amp))

    l5 = [("Step1.soma", "l5pc_neuron_fixed_Step1.soma.v.csv.gz", 700.0, 2700.0, 0.458, -20.0),
          ("bAP.soma", "l5pc_neuron_fixed_bAP.soma.v.csv.gz", 295.0, 600.0, 1.9, -20.0),
          ("bAP.dend1", "l5pc_neuron_fixed_bAP.dend1.v.csv.gz", 295.0, 600.0, 1.9, -55.0),
          ("bAP.dend2", "l5pc_neuron_fixed_bAP.dend2.v.csv.gz", 295.0, 600.0, 1.9, -55.0)]
    for name, file, s0, s1, cur, thr in l5:
        rel = f"reference/neuron/{file}"
        t, v = read_csv(shared / rel)
        legacy = [("sscx_legacy", {"stim_start": s0, "stim_end": s1, "stimulus_current": cur,
                                   "Threshold": -30.0, "interp_step": 0.1, "strict_stiminterval": True})]
        add(f"l5pc_{name}", {"shared": rel}, t, v, s0, s1, cur, thr, legacy if name == "Step1.soma" else ())

    for name, t, v, s0, s1, cur in synthetic():
        t, v = write_trace(name, t, v)
        add(name, {"file": f"traces/{name}.csv.gz"}, t, v, s0, s1, cur)

    random_cases(cases, 12, 2024)

    write_features(cases)
    write_l5pc_scores(shared)


def write_features(cases):
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    doc = {
        "generator": "tools/golden/efel/generate.py",
        "efel_version": efel.__version__,
        "note": "one eFEL call per feature after efel.reset(); non-finite numbers as strings",
        "features": FEATURES,
        "cases": cases,
    }
    (OUT_DIR / "features.json").write_text(json.dumps(doc, indent=1) + "\n")


def random_cases(cases, count, seed):
    """Random stimuli, windows and settings (deterministic for a seed), to catch what the
    designed cases miss."""
    rng = np.random.default_rng(seed)
    for k in range(count):
        tstop = float(rng.uniform(80, 200))
        s0 = float(np.round(rng.uniform(5, 40), 3))
        s1 = float(np.round(rng.uniform(s0 + 20, tstop + 10), 3))
        amp = float(rng.uniform(-6, 40))
        n_pulses = int(rng.integers(0, 6))
        times = sorted(float(x) for x in rng.uniform(0, tstop, n_pulses))
        base = step(s0, s1, amp)
        kicks = pulses(times, 0.8, 50.0)
        t, v = hh(lambda x: base(x) + kicks(x), tstop, noise=float(rng.uniform(0, 8)), seed=100 + k)
        t, v = every(t, v, int(rng.integers(2, 9)))
        name = f"fuzz_{k:02d}"
        t, v = write_trace(name, t, v)
        settings = {
            "stim_start": s0, "stim_end": s1, "stimulus_current": float(np.round(amp / 100, 4)),
            "Threshold": float(np.round(rng.uniform(-45, 0), 2)),
            "interp_step": float(rng.choice([0.01, 0.025, 0.05, 0.1, 0.2, 0.3])),
            "strict_stiminterval": bool(rng.integers(0, 2)),
            "DerivativeThreshold": float(np.round(rng.uniform(5, 20), 1)),
            "ignore_first_ISI": bool(rng.integers(0, 2)),
            "sahp_start": float(np.round(rng.uniform(1, 8), 2)),
        }
        ref = {"file": f"traces/{name}.csv.gz"}
        print(f"{name}", file=sys.stderr)
        values = efel_values(t, v, settings)
        cases.append({"name": f"{name}/random", "trace": ref, "settings": settings,
                      "values": values, "undefined": undefined_elements(t, v, settings, values)})


def write_l5pc_scores(shared):
    """BluePyOpt eFELFeature scores of the L5PC Step1 and bAP objectives on the shared traces."""
    from bluepyopt.ephys.efeatures import eFELFeature

    config = shared / "data" / "BluePyOpt" / "examples" / "l5pc" / "config"
    features = json.loads((config / "features.json").read_text())
    protocols = json.loads((config / "protocols.json").read_text())
    neuron = shared / "reference" / "neuron"
    responses = {}
    for rec, file in [("Step1.soma.v", "l5pc_neuron_fixed_Step1.soma.v.csv.gz"),
                      ("bAP.soma.v", "l5pc_neuron_fixed_bAP.soma.v.csv.gz"),
                      ("bAP.dend1.v", "l5pc_neuron_fixed_bAP.dend1.v.csv.gz"),
                      ("bAP.dend2.v", "l5pc_neuron_fixed_bAP.dend2.v.csv.gz")]:
        t, v = read_csv(neuron / file)
        responses[rec] = {"time": t, "voltage": v}
    scores, values = {}, {}
    for protocol in ("Step1", "bAP"):
        stim = protocols[protocol]["stimuli"][0]
        s0 = stim["delay"]
        s1 = stim["totduration"] if protocol == "bAP" else stim["delay"] + stim["duration"]
        for loc, feats in features[protocol].items():
            thr = -20 if loc == "soma" else -55
            for fname, (mean, std) in feats.items():
                name = f"{protocol}.{loc}.{fname}"
                feat = eFELFeature(name, efel_feature_name=fname, recording_names={"": f"{protocol}.{loc}.v"},
                                   stim_start=s0, stim_end=s1, exp_mean=mean, exp_std=std, threshold=thr)
                scores[name] = enc(feat.calculate_score(responses))
                val = feat.calculate_feature(responses)
                values[name] = None if val is None else enc(val)
    doc = {"generator": "tools/golden/efel/generate.py", "efel_version": efel.__version__,
           "note": "BluePyOpt 1.14 eFELFeature on the CSV reference traces (rounded to 1e-6 mV)",
           "scores": scores, "feature_means": values}
    (OUT_DIR / "l5pc_scores.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
