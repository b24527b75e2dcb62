#!/usr/bin/env python3
"""Regenerates Myelin's NEURON goldens (tests/golden/neuron/) from our own mechanisms/ files.

Usage (from anywhere):
    tools/golden/neuron/run.sh                 # all goldens; creates target/peers-venv if needed
    tools/golden/neuron/run.sh validate        # L5PC Step1/bAP with our mechanisms vs shared/reference
    tools/golden/neuron/run.sh channels hh     # only some groups
    MYELIN_PEERS_PYTHON=/path/to/python tools/golden/neuron/run.sh

Groups (each runs in a fresh NEURON process):
  channels   every channel of the L5PC set in a single compartment: voltage-clamp sweeps and a
             current-clamp step, every time step recorded (current, conductance, states)
  hh         the HH soma of shared/reference/README.md with our hh (and IClamp), BE and CN,
             and an RC soma with our pas
  synapses   NetStim -> ExpSyn / Exp2Syn on passive single compartments
  l5pc       the BluePyOpt L5PC example (Step1, bAP, Step3) with our channels
  validate   compares L5PC Step1/bAP with our channels against shared/reference/neuron/l5pc_*
             (made with the original BBP files), our hh goldens against the reference HH soma, and
             our point processes against NEURON's built-ins; prints the figures and writes
             tests/golden/neuron/validation.json. Not part of the default set.

The mechanisms are compiled with nrnivmodl from mechanisms/ (see nrnmech.py for the renaming of
names NEURON already defines). Everything is written under tests/golden/neuron/ together with
manifest.json (settings, columns, summaries); README.md there documents each golden.
"""
import argparse
import gzip
import json
import math
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import nrnmech  # noqa: E402

ROOT = nrnmech.ROOT
OUT = ROOT / "tests" / "golden" / "neuron"
GROUPS = ["channels", "hh", "synapses", "l5pc"]
DT = 0.025


def shared_dir():
    env = os.environ.get("MYELIN_SHARED")
    if env:
        return Path(env)
    for d in ROOT.parents:
        if (d / "shared" / "reference").is_dir():
            return d / "shared"
    sys.exit("shared data directory not found: set MYELIN_SHARED")


# ------------------------------------------------------------------------------------------------
# Output helpers


def write_csv_gz(path, header, columns, fmts):
    """Writes columns (equal-length sequences) as gzipped CSV; mtime 0 keeps the bytes stable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(columns[0])
    assert all(len(c) == n for c in columns), [len(c) for c in columns]
    lines = [",".join(header)]
    for i in range(n):
        lines.append(",".join(f % c[i] for f, c in zip(fmts, columns)))
    data = ("\n".join(lines) + "\n").encode()
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(data)
    return n


def crossings(t, v, thr=-20.0):
    """Upward threshold crossings, linearly interpolated between samples."""
    out = []
    for i in range(len(v) - 1):
        if v[i] < thr <= v[i + 1]:
            out.append(t[i] + (thr - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i]))
    return out


def rel(path):
    return str(path.relative_to(OUT))


# ------------------------------------------------------------------------------------------------
# Single-compartment cells


def soma(h, L=20.0, diam=20.0, cm=1.0, Ra=100.0):
    s = h.Section(name="soma")
    s.L, s.diam, s.nseg, s.cm, s.Ra = L, diam, 1, cm, Ra
    return s


def set_mech(seg, mech, params):
    for k, val in params.items():
        setattr(seg, f"{k}_{mech}", val)


# Each channel golden: the mechanisms inserted (with parameter values), which variables to record,
# the voltage-clamp holding level and command levels, and the current-clamp amplitude (nA).
# ena = 50 and ek = -85 mV as in the L5PC. eca is fixed (120 mV) where no mechanism writes cai and
# follows the Nernst potential of cai (cao = 2 mM) where CaDynamics_E2 is present.
CA_DYN = {"CaDynamics_E2": {"gamma": 0.05, "decay": 80.0}}
CHANNELS = {
    "NaTs2_t": dict(mechs={"NaTs2_t": {"gNaTs2_tbar": 0.01}}, cur="ina", states=["m", "h"],
                    hold=-80, steps=[-50, -30, 0], iclamp=0.04),
    "NaTa_t": dict(mechs={"NaTa_t": {"gNaTa_tbar": 0.01}}, cur="ina", states=["m", "h"],
                   hold=-80, steps=[-50, -30, 0], iclamp=0.04),
    "Nap_Et2": dict(mechs={"Nap_Et2": {"gNap_Et2bar": 0.001}}, cur="ina", states=["m", "h"],
                    hold=-80, steps=[-60, -40, -10], iclamp=0.02),
    "K_Pst": dict(mechs={"K_Pst": {"gK_Pstbar": 0.01}}, cur="ik", states=["m", "h"],
                  hold=-80, steps=[-40, -10, 20], iclamp=0.1),
    "K_Tst": dict(mechs={"K_Tst": {"gK_Tstbar": 0.01}}, cur="ik", states=["m", "h"],
                  hold=-80, steps=[-40, -10, 20], iclamp=0.1),
    "SKv3_1": dict(mechs={"SKv3_1": {"gSKv3_1bar": 0.01}}, cur="ik", states=["m"],
                   hold=-80, steps=[-30, 0, 30], iclamp=0.1),
    "Im": dict(mechs={"Im": {"gImbar": 0.001}}, cur="ik", states=["m"],
               hold=-80, steps=[-60, -40, -10], iclamp=0.05),
    "Ih": dict(mechs={"Ih": {"gIhbar": 0.0002}}, cur="ihcn", states=["m"],
               hold=-50, steps=[-120, -100, -80], iclamp=-0.05),
    "Ca_HVA": dict(mechs={"Ca_HVA": {"gCa_HVAbar": 0.001}}, cur="ica", states=["m", "h"],
                   hold=-80, steps=[-40, -20, 10], iclamp=0.06, eca=120.0),
    "Ca_LVAst": dict(mechs={"Ca_LVAst": {"gCa_LVAstbar": 0.001}}, cur="ica", states=["m", "h"],
                     hold=-90, steps=[-70, -50, -30], iclamp=0.04, eca=120.0),
    "CaDynamics_E2": dict(mechs={"Ca_HVA": {"gCa_HVAbar": 0.001}, "Ca_LVAst": {"gCa_LVAstbar": 0.001},
                                 **CA_DYN},
                          cur=None, states=[], hold=-80, steps=[-40, -20, 10], iclamp=0.06),
    "SK_E2": dict(mechs={"SK_E2": {"gSK_E2bar": 0.005}, "Ca_HVA": {"gCa_HVAbar": 0.001}, **CA_DYN},
                  cur="ik", states=["z"], hold=-80, steps=[-30, -10, 10], iclamp=0.05),
}
VC_TIMES = (10.0, 40.0, 20.0)  # hold, command, hold (ms)
CC = dict(delay=10.0, dur=60.0, tstop=100.0, e_pas=-75.0, g_pas=1e-4)


def channel_cell(h, spec, with_pas):
    s = soma(h)
    for mech, params in spec["mechs"].items():
        s.insert(mech)
        set_mech(s(0.5), mech, params)
    if with_pas:
        s.insert(nrnmech.neuron_name("pas"))
        set_mech(s(0.5), nrnmech.neuron_name("pas"), {"g": CC["g_pas"], "e": CC["e_pas"]})
    for ion, e in (("na", 50.0), ("k", -85.0)):
        if h.ismembrane(f"{ion}_ion", sec=s):
            setattr(s(0.5), f"e{ion}", e)
    if "eca" in spec:
        s(0.5).eca = spec["eca"]
    return s


def channel_recorders(h, name, spec, s, electrode):
    """Columns (header, hoc pointer, format) recorded every step."""
    seg = s(0.5)
    cols = [("t_ms", h._ref_t, "%.4f"), ("v_mV", seg._ref_v, "%.17g"),
            ("i_electrode_nA", electrode._ref_i, "%.10g")]
    main = name if name != "CaDynamics_E2" else None
    if main is not None:
        cur = spec["cur"]
        cols.append((f"{cur}_mA_cm2", getattr(seg, f"_ref_{cur}_{main}"), "%.10g"))
        cols.append(("g_S_cm2", getattr(seg, f"_ref_g{main}_{main}"), "%.10g"))
        for st in spec["states"]:
            cols.append((st, getattr(seg, f"_ref_{st}_{main}"), "%.10g"))
    if "CaDynamics_E2" in spec["mechs"]:
        cols.append(("ica_total_mA_cm2", seg._ref_ica, "%.10g"))
        cols.append(("cai_mM", seg._ref_cai, "%.10g"))
        cols.append(("eca_mV", seg._ref_eca, "%.10g"))
    vecs = []
    for _, ref, _ in cols:
        vec = h.Vector()
        vec.record(ref)
        vecs.append(vec)
    return cols, vecs


def run_fixed(h, tstop, v_init, secondorder=0, celsius=34.0):
    h.secondorder = secondorder
    h.celsius = celsius
    h.dt = DT
    h.steps_per_ms = 1.0 / DT
    h.cvode_active(0)
    h.finitialize(v_init)
    while h.t < tstop - DT / 2:
        h.fadvance()


def group_channels(h):
    out = {}
    for name, spec in CHANNELS.items():
        entry = {"model": {"L_um": 20.0, "diam_um": 20.0, "nseg": 1, "cm_uF_cm2": 1.0,
                           "celsius": 34.0, "mechanisms": spec["mechs"],
                           "ena_mV": 50.0, "ek_mV": -85.0,
                           "eca_mV": spec.get("eca", "Nernst(cai, cao = 2 mM)")}}
        # Voltage clamp: one sweep per command level, all in one file.
        hold, cmd, tail = VC_TIMES
        rows = {}
        for level in spec["steps"]:
            s = channel_cell(h, spec, with_pas=False)
            clamp = getattr(h, nrnmech.neuron_name("SEClamp"))(s(0.5))
            clamp.rs = 0.01
            clamp.dur1, clamp.amp1 = hold, spec["hold"]
            clamp.dur2, clamp.amp2 = cmd, level
            clamp.dur3, clamp.amp3 = tail, spec["hold"]
            cols, vecs = channel_recorders(h, name, spec, s, clamp)
            run_fixed(h, hold + cmd + tail, spec["hold"])
            for (hd, _, _), vec in zip(cols, vecs):
                rows.setdefault(hd, []).extend(vec.to_python())
            rows.setdefault("command_mV", []).extend([float(level)] * len(vecs[0]))
            fmts = {hd: f for hd, _, f in cols}
            del clamp, vecs, s
        header = ["command_mV"] + [hd for hd, _, _ in cols]
        fmts["command_mV"] = "%g"
        path = OUT / "channels" / f"{name}.vclamp.csv.gz"
        n = write_csv_gz(path, header, [rows[hd] for hd in header], [fmts[hd] for hd in header])
        entry["vclamp"] = {"file": rel(path), "rows": n, "columns": header,
                           "protocol": {"electrode": "SEClamp (ours)", "rs_megohm": 0.01,
                                        "hold_mV": spec["hold"], "commands_mV": spec["steps"],
                                        "dur1_dur2_dur3_ms": list(VC_TIMES), "v_init_mV": spec["hold"]}}
        # Current clamp with a leak.
        s = channel_cell(h, spec, with_pas=True)
        stim = getattr(h, nrnmech.neuron_name("IClamp"))(s(0.5))
        setattr(stim, "del", CC["delay"])  # `del` is a Python keyword
        stim.dur, stim.amp = CC["dur"], spec["iclamp"]
        cols, vecs = channel_recorders(h, name, spec, s, stim)
        run_fixed(h, CC["tstop"], CC["e_pas"])
        header = [hd for hd, _, _ in cols]
        path = OUT / "channels" / f"{name}.iclamp.csv.gz"
        n = write_csv_gz(path, header, [v.to_python() for v in vecs], [f for _, _, f in cols])
        v = vecs[1].to_python()
        entry["iclamp"] = {"file": rel(path), "rows": n, "columns": header,
                           "protocol": {"electrode": "IClamp (ours)", "delay_ms": CC["delay"],
                                        "dur_ms": CC["dur"], "amp_nA": spec["iclamp"],
                                        "tstop_ms": CC["tstop"], "v_init_mV": CC["e_pas"],
                                        "pas": {"g_S_cm2": CC["g_pas"], "e_mV": CC["e_pas"]}},
                           "v_min_mV": min(v), "v_max_mV": max(v)}
        del stim, vecs, s
        out[name] = entry
        print(f"channels: {name}", flush=True)
    return {"channels": out}


def group_hh(h):
    out = {}
    hh, pas, iclamp = (nrnmech.neuron_name(n) for n in ("hh", "pas", "IClamp"))
    for amp in (0.1, 0.2, 0.3):
        for method, so in (("be", 0), ("cn", 2)):
            s = soma(h, L=18.8, diam=18.8, cm=1.0, Ra=123.0)
            s.insert(hh)
            stim = getattr(h, iclamp)(s(0.5))
            setattr(stim, "del", 10.0)
            stim.dur, stim.amp = 100.0, amp
            seg = s(0.5)
            refs = [("t_ms", h._ref_t, "%.4f"), ("v_mV", seg._ref_v, "%.17g"),
                    ("m", getattr(seg, f"_ref_m_{hh}"), "%.10g"),
                    ("h", getattr(seg, f"_ref_h_{hh}"), "%.10g"),
                    ("n", getattr(seg, f"_ref_n_{hh}"), "%.10g")]
            vecs = [h.Vector().record(r) for _, r, _ in refs]
            run_fixed(h, 150.0, -65.0, secondorder=so, celsius=6.3)
            path = OUT / "hh" / f"hh_soma_amp{amp}_{method}.csv.gz"
            n = write_csv_gz(path, [c for c, _, _ in refs], [v.to_python() for v in vecs],
                             [f for _, _, f in refs])
            out[f"amp{amp}_{method}"] = {
                "file": rel(path), "rows": n, "columns": [c for c, _, _ in refs],
                "spike_times_ms_thr-20": crossings(vecs[0].to_python(), vecs[1].to_python()),
            }
            del stim, vecs, s
    # RC soma: our pas and IClamp; the analytic answer is e + R I (1 - exp(-t/tau)).
    s = soma(h, L=20.0, diam=20.0)
    s.insert(pas)
    set_mech(s(0.5), pas, {"g": 1e-4, "e": -70.0})
    stim = getattr(h, iclamp)(s(0.5))
    setattr(stim, "del", 5.0)
    stim.dur, stim.amp = 50.0, 0.01
    refs = [("t_ms", h._ref_t, "%.4f"), ("v_mV", s(0.5)._ref_v, "%.12g"),
            ("i_pas_mA_cm2", getattr(s(0.5), f"_ref_i_{pas}"), "%.12g")]
    vecs = [h.Vector().record(r) for _, r, _ in refs]
    run_fixed(h, 80.0, -70.0)
    path = OUT / "hh" / "rc_soma_pas.csv.gz"
    n = write_csv_gz(path, [c for c, _, _ in refs], [v.to_python() for v in vecs], [f for _, _, f in refs])
    out["rc_pas_be"] = {"file": rel(path), "rows": n, "columns": [c for c, _, _ in refs],
                        "area_um2": h.area(0.5, sec=s)}
    return {"hh": out}


def group_synapses(h):
    pas, netstim = nrnmech.neuron_name("pas"), nrnmech.neuron_name("NetStim")
    expsyn, exp2syn = nrnmech.neuron_name("ExpSyn"), nrnmech.neuron_name("Exp2Syn")
    stim = getattr(h, netstim)()
    stim.interval, stim.number, stim.start = 15.0, 6, 5.0
    cells = {}
    specs = {
        "expsyn": (expsyn, {"tau": 2.0, "e": 0.0}, 0.002),
        "exp2syn": (exp2syn, {"tau1": 0.5, "tau2": 5.0, "e": 0.0}, 0.002),
        "exp2syn_equal_tau": (exp2syn, {"tau1": 3.0, "tau2": 3.0, "e": -80.0}, 0.004),
    }
    ncs, syns, secs = [], [], []
    cols = [("t_ms", h._ref_t, "%.4f")]
    for key, (mech, params, w) in specs.items():
        s = soma(h, L=20.0, diam=20.0)
        s.insert(pas)
        set_mech(s(0.5), pas, {"g": 1e-4, "e": -70.0})
        syn = getattr(h, mech)(s(0.5))
        for k, val in params.items():
            setattr(syn, k, val)
        nc = h.NetCon(stim, syn)
        nc.delay, nc.weight[0] = 1.0, w
        cols += [(f"{key}.v_mV", s(0.5)._ref_v, "%.10g"), (f"{key}.i_nA", syn._ref_i, "%.10g")]
        if mech == expsyn:
            cols.append((f"{key}.g_uS", syn._ref_g, "%.10g"))
        else:
            cols += [(f"{key}.A_uS", syn._ref_A, "%.10g"), (f"{key}.B_uS", syn._ref_B, "%.10g")]
        cells[key] = {"mechanism": mech.removeprefix(nrnmech.PREFIX), "params": params, "weight_uS": w,
                      "netcon_delay_ms": 1.0}
        ncs.append(nc)
        syns.append(syn)
        secs.append(s)
    spikes = h.Vector()
    src = h.NetCon(stim, None)
    src.record(spikes)
    vecs = [h.Vector().record(r) for _, r, _ in cols]
    run_fixed(h, 100.0, -70.0)
    path = OUT / "synapses" / "netstim_synapses.csv.gz"
    n = write_csv_gz(path, [c for c, _, _ in cols], [v.to_python() for v in vecs], [f for _, _, f in cols])
    # Exp2Syn's `factor` is not a RANGE variable; it follows from tau1 (after the INITIAL clamp), tau2.
    factors, tau1 = {}, {}
    for k, syn in zip(specs, syns):
        if hasattr(syn, "tau1"):
            t1, t2 = syn.tau1, syn.tau2
            tp = (t1 * t2) / (t2 - t1) * math.log(t2 / t1)
            factors[k] = 1 / (-math.exp(-tp / t1) + math.exp(-tp / t2))
            tau1[k] = t1
    return {"synapses": {"file": rel(path), "rows": n, "columns": [c for c, _, _ in cols],
                         "netstim": {"interval_ms": 15.0, "number": 6, "start_ms": 5.0},
                         "netstim_spike_times_ms": spikes.to_python(), "cells": cells,
                         "exp2syn_factor": factors, "exp2syn_tau1_after_init": tau1,
                         "soma": {"L_um": 20.0, "diam_um": 20.0, "cm_uF_cm2": 1.0,
                                  "pas": {"g_S_cm2": 1e-4, "e_mV": -70.0}},
                         "v_init_mV": -70.0, "tstop_ms": 100.0}}


L5PC_PROTOCOLS = ["Step1", "bAP", "Step3"]
# Soma variables recorded in the Step1 debugging file (every 4th step), for locating a difference.
L5PC_SOMA_DEBUG = ["v", "cai", "eca", "ina", "ik", "ica", "ihcn_Ih", "m_NaTs2_t", "h_NaTs2_t",
                   "m_SKv3_1", "z_SK_E2", "m_Ca_HVA", "h_Ca_HVA", "m_Ca_LVAst", "h_Ca_LVAst", "m_Ih"]
DEBUG_UNTIL_MS = 1000.0


def group_l5pc(h):
    import l5pc
    import bluepyopt.ephys as ephys

    paths = l5pc.Paths(shared_dir())
    # Extra soma recordings for Step1 (same run, so the main trace is unaffected).
    protos = l5pc.protocols(paths.config, L5PC_PROTOCOLS)
    soma_loc = protos["Step1"].recordings[0].location
    for var in L5PC_SOMA_DEBUG[1:]:
        protos["Step1"].recordings.append(
            ephys.recordings.CompRecording(name=f"Step1.soma.{var}", location=soma_loc, variable=var))
    h.secondorder = 0
    sim = ephys.simulators.NrnSimulator(dt=DT, cvode_active=False)
    model = l5pc.cell(paths)
    params = json.loads(paths.release_params.read_text())
    responses = {}
    for name in L5PC_PROTOCOLS:
        responses.update(protos[name].run(model, params, sim=sim, isolate=False))
    out = {}
    for key, r in responses.items():
        if key.startswith("Step1.soma.") and not key.endswith(".v"):
            continue
        t, v = list(r["time"]), list(r["voltage"])
        path = OUT / "l5pc" / f"{key}.csv.gz"
        n = write_csv_gz(path, ["t_ms", "v_mV"], [t, v], ["%.4f", "%.6f"])
        out[key] = {"file": rel(path), "rows": n, "spike_times_ms_thr-20": crossings(t, v),
                    "v_min_mV": min(v), "v_max_mV": max(v)}
    # Every 4th step of the first second (rest, stimulus onset, the first two spikes).
    keep = slice(0, int(round(DEBUG_UNTIL_MS / DT)) + 1, 4)
    t = list(responses["Step1.soma.v"]["time"])[keep]
    cols = [t] + [list(responses[f"Step1.soma.{var}"]["voltage"])[keep] for var in L5PC_SOMA_DEBUG]
    path = OUT / "l5pc" / "Step1.soma.debug.csv.gz"
    n = write_csv_gz(path, ["t_ms"] + L5PC_SOMA_DEBUG, cols, ["%.4f"] + ["%.9g"] * len(L5PC_SOMA_DEBUG))
    out["Step1.soma.debug"] = {"file": rel(path), "rows": n, "columns": ["t_ms"] + L5PC_SOMA_DEBUG,
                               "decimation": 4, "until_ms": DEBUG_UNTIL_MS}
    return {"l5pc": {"recordings": out, "protocols": L5PC_PROTOCOLS, "params": params,
                     "settings": {"dt": DT, "secondorder": 0, "celsius": 34, "v_init": -65,
                                  "do_replace_axon": True, "nseg": "1 + 2*int(L/40)"}}}


# ------------------------------------------------------------------------------------------------
# Validation against shared/reference/neuron (the original BBP files)


def validate(h):
    import numpy as np
    import l5pc

    shared = shared_dir()
    ref_dir = shared / "reference" / "neuron"
    ref = json.loads((ref_dir / "l5pc_step1_bap.json").read_text())
    paths = l5pc.Paths(shared)
    responses, scores, values, _ = l5pc.run(paths, ["Step1", "bAP"], dt=DT)
    report = {"traces": {}, "scores": {}, "features": {}}
    for key in sorted(responses):
        r = responses[key]
        t, v = np.asarray(r["time"]), np.asarray(r["voltage"])
        with gzip.open(ref_dir / f"l5pc_neuron_fixed_{key}.csv.gz", "rt") as f:
            lines = f.read().splitlines()[1:]
        R = np.array([[float(x) for x in ln.split(",")] for ln in lines])
        if len(R) != len(t):
            sys.exit(f"{key}: {len(t)} samples, reference has {len(R)}")
        dv = v - R[:, 1]
        delay = 700.0 if key.startswith("Step") else 295.0
        pre = t < delay
        a, b = crossings(list(t), list(v)), crossings(list(R[:, 0]), list(R[:, 1]))
        text_diff = sum(1 for ln, x, y in zip(lines, t, v) if ln != "%.4f,%.6f" % (x, y))
        report["traces"][key] = {
            "spikes": len(a), "spikes_reference": len(b),
            "max_abs_dt_crossings_ms": max((abs(x - y) for x, y in zip(a, b)), default=0.0)
            if len(a) == len(b) else None,
            "rms_before_stimulus_mV": float(np.sqrt(np.mean(dv[pre] ** 2))),
            "max_abs_dv_mV": float(np.max(np.abs(dv))),
            "rows_differing_when_printed_like_reference": text_diff, "rows": len(lines),
        }
    for k, s in scores.items():
        report["scores"][k] = {"ours": float(s), "reference": ref["scores"][k],
                               "abs_diff": abs(float(s) - ref["scores"][k])}
    for k, s in values.items():
        val = None if s is None else float(s)
        report["features"][k] = {"ours": val, "reference": ref["features"][k]}
    report["builtins"] = compare_with_builtins(h)
    report["hh_vs_reference"] = hh_vs_reference(h, ref_dir)
    path = OUT / "validation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n")
    for key, r in report["traces"].items():
        print(f"{key:14s} spikes {r['spikes']}/{r['spikes_reference']}  max|dt| "
              f"{r['max_abs_dt_crossings_ms']} ms  rms(pre) {r['rms_before_stimulus_mV']:.3g} mV  "
              f"max|dv| {r['max_abs_dv_mV']:.3g} mV  rows differing as printed "
              f"{r['rows_differing_when_printed_like_reference']}/{r['rows']}")
    worst = max(v["abs_diff"] for v in report["scores"].values())
    print(f"BluePyOpt scores: {len(report['scores'])} objectives, max |score - reference| = {worst:.3g}")
    b = report["builtins"]
    print(f"our hh, pas, IClamp, SEClamp, ExpSyn, Exp2Syn, NetStim vs NEURON's built-ins: event times "
          f"equal {b['event_times_equal']}, max|dv| {b['max_abs_dv_mV']:.3g} mV, "
          f"max|d i_SEClamp| {b['max_abs_di_seclamp_nA']:.3g} nA")
    for k, r in report["hh_vs_reference"].items():
        print(f"hh soma {k}: max|dv| vs shared/reference {r['max_abs_dv_mV']:.3g} mV "
              f"(reference printed to {r['reference_significant_digits']} significant digits)")
    print(f"wrote {path.relative_to(ROOT)}")
    return report


def _point_process_model(h, prefix):
    """A passive soma with every point process we also ship, named `prefix + name`."""
    pas = "pas" if prefix == "" else nrnmech.neuron_name("pas")
    stim = getattr(h, prefix + "NetStim")()
    stim.interval, stim.number, stim.start = 7.3, 5, 3.1
    ctrl = getattr(h, prefix + "NetStim")()
    ctrl.interval, ctrl.number, ctrl.start = 40.0, 2, 60.0
    idle = getattr(h, prefix + "NetStim")()  # started by ctrl's events (w > 0), start < 0
    idle.interval, idle.number, idle.start = 4.0, 100, -1.0
    stop = getattr(h, prefix + "NetStim")()  # stops `idle` (w < 0) at t = 101
    stop.interval, stop.number, stop.start = 1.0, 1, 100.0
    s = soma(h)
    s.insert(pas)
    syn = getattr(h, prefix + "ExpSyn")(s(0.5))
    syn.tau = 2.0
    syn2 = getattr(h, prefix + "Exp2Syn")(s(0.5))
    syn2.tau1, syn2.tau2 = 0.3, 4.0
    ic = getattr(h, prefix + "IClamp")(s(0.5))
    setattr(ic, "del", 2.0)
    ic.dur, ic.amp = 30.01, 0.01
    vc = getattr(h, prefix + "SEClamp")(s(0.5))
    vc.dur1, vc.amp1, vc.dur2, vc.amp2, vc.dur3, vc.amp3, vc.rs = 70, -70, 10, -20, 5, -90, 5
    keep = [stim, ctrl, idle, stop, s, syn, syn2, ic, vc]
    for k, (src, dst, w) in enumerate([(stim, syn, 1e-3), (idle, syn2, 2e-3), (stim, syn2, 3e-3),
                                       (ctrl, idle, 1.0), (stop, idle, -1.0)]):
        nc = h.NetCon(src, dst)
        nc.weight[0], nc.delay = w, 1.0 + 0.3 * k
        keep.append(nc)
    spikes = []
    for src in (stim, ctrl, idle, stop):
        vec = h.Vector()
        nc = h.NetCon(src, None)
        nc.record(vec)
        keep.append(nc)
        spikes.append(vec)
    v = h.Vector().record(s(0.5)._ref_v)
    i = h.Vector().record(vc._ref_i)
    run_fixed(h, 130.0, -65.0)
    return [list(x) for x in spikes], list(v), list(i), keep


def compare_with_builtins(h):
    """Runs the same point-process model with NEURON's built-ins and with ours."""
    theirs = _point_process_model(h, "")
    ours = _point_process_model(h, nrnmech.PREFIX)
    return {
        "model": "passive 20 um soma; NetStim -> ExpSyn/Exp2Syn, NetStim started (w > 0) and stopped "
                 "(w < 0) by events, IClamp, SEClamp; dt 0.025, 130 ms",
        "event_times": ours[0], "event_times_equal": ours[0] == theirs[0],
        "max_abs_dv_mV": max(abs(a - b) for a, b in zip(ours[1], theirs[1])),
        "max_abs_di_seclamp_nA": max(abs(a - b) for a, b in zip(ours[2], theirs[2])),
    }


def hh_vs_reference(h, ref_dir):
    """Our hh goldens against shared/reference/neuron/hh_soma_* (NEURON's built-in hh)."""
    out = {}
    for amp in (0.1, 0.2, 0.3):
        for method in ("be", "cn"):
            ref_lines = (ref_dir / f"hh_soma_amp{amp}_{method}.csv").read_text().splitlines()[1:]
            with gzip.open(OUT / "hh" / f"hh_soma_amp{amp}_{method}.csv.gz", "rt") as f:
                ours = f.read().splitlines()[1:]
            dv = [abs(float(a.split(",")[1]) - float(b.split(",")[1])) for a, b in zip(ours, ref_lines)]
            digits = max(len(b.split(",")[1].lstrip("-").replace(".", "").lstrip("0")) for b in ref_lines)
            out[f"amp{amp}_{method}"] = {"rows": len(dv), "rows_reference": len(ref_lines),
                                         "max_abs_dv_mV": max(dv), "reference_significant_digits": digits}
    return out


# ------------------------------------------------------------------------------------------------


def run_group(group):
    """Runs one group in this process (called in a fresh subprocess)."""
    d = nrnmech.build()
    nrnmech.load(d)
    from neuron import h

    h.load_file("stdrun.hoc")
    if group == "validate":
        validate(h)
        return
    fn = {"channels": group_channels, "hh": group_hh, "synapses": group_synapses, "l5pc": group_l5pc}[group]
    result = fn(h)
    part = nrnmech.BUILD / "manifest-parts" / f"{group}.json"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_text(json.dumps(result, indent=1) + "\n")


def write_manifest():
    import neuron

    manifest = {"generator": "tools/golden/neuron/make_goldens.py", "neuron_version": neuron.__version__,
                "dt_ms": DT, "mechanisms": "mechanisms/*.mod compiled with nrnivmodl; names NEURON "
                "already defines are loaded as my_<name> (see tools/golden/neuron/nrnmech.py)"}
    for part in sorted((nrnmech.BUILD / "manifest-parts").glob("*.json")):
        manifest.update(json.loads(part.read_text()))
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("groups", nargs="*", help=f"any of {GROUPS + ['validate']} (default: all but validate)")
    ap.add_argument("--in-process", metavar="GROUP", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.in_process:
        run_group(args.in_process)
        return
    groups = args.groups or GROUPS
    for g in groups:
        if g not in GROUPS + ["validate"]:
            ap.error(f"unknown group {g!r}")
    nrnmech.build(verbose=False)  # once, before the workers
    if set(GROUPS) <= set(groups):
        # A full run: forget the parts of earlier runs so that the manifest is all new.
        for part in (nrnmech.BUILD / "manifest-parts").glob("*.json"):
            part.unlink()
    for g in groups:
        r = subprocess.run([sys.executable, __file__, "--in-process", g])
        if r.returncode != 0:
            sys.exit(f"group {g} failed")
    if any(g in GROUPS for g in groups):
        write_manifest()


if __name__ == "__main__":
    main()
