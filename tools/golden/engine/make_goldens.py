"""Golden data for Myelin's engine tests, made with NEURON (see run.sh).

Writes into --out:
  geometry.json            per-segment area, ri, diam of pt3d cells (tapered frustum, an irregular
                           multi-section cell, the L5PC of ../shared with NEURON's instantiated pt3d)
  seclamp_hh.csv.gz        hh soma under SEClamp: v, i, vc
  network_{be,cn}.csv.gz   two hh ball-and-stick cells, NetStim -> ExpSyn, threshold NetCon -> Exp2Syn
  network_spikes_{be,cn}.json
  ions_cadyn_{be,cn}.csv.gz hh + ca_leak + cadyn (mod/): v, cai, eca, ica
  rc_expsyn_10uS_{be,cn}.csv.gz NSuite rc-expsyn with g0 = 10 uS, first 1 ms
  l5pc_hh_pas.csv.gz       the L5PC geometry (699 segments) with hh in soma and axon, pas in the
                           dendrites, IClamp at the soma: v at soma, axon end, a basal and an apical
                           dendrite
  stimuli_pas.csv.gz       holding + step IClamps and a played ramp on a passive soma: v and currents
Every trace is sampled every step from finitialize; numbers are printed with 15 significant digits.
"""
import argparse
import gzip
import json
import os

import numpy as np
from neuron import h

h.load_file("stdrun.hoc")


def run(tstop, dt, secondorder, v_init, records):
    h.dt = dt
    h.secondorder = secondorder
    vecs = [h.Vector().record(r) for r in records]
    t = h.Vector().record(h._ref_t)
    h.finitialize(v_init)
    n = int(round(tstop / dt))
    for _ in range(n):
        h.fadvance()
    return np.array(t), [np.array(v) for v in vecs]


def write_csv(path, header, cols):
    data = np.column_stack(cols)
    # A fixed gzip timestamp keeps regenerated files byte-identical when the numbers are.
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        np.savetxt(f, data, delimiter=",", header=",".join(header), comments="", fmt="%.15g")


# --------------------------------------------------------------------------------------------
# geometry


def build(secs, default_ra=100.0):
    made = {}
    for s in secs:
        sec = h.Section(name=s["name"])
        if s.get("pts"):
            for p in s["pts"]:
                h.pt3dadd(*p, sec=sec)
        else:
            sec.L = s["L"]
            sec.diam = s["diam"]
        sec.nseg = s["nseg"]
        sec.Ra = s.get("ra", default_ra)
        made[s["name"]] = sec
    for s in secs:
        if s.get("parent"):
            made[s["name"]].connect(made[s["parent"]](s["parent_x"]), 0)
    return made


def measure(secs, made):
    out = []
    for s in secs:
        sec = made[s["name"]]
        out.append(
            {
                "name": s["name"],
                "L": sec.L,
                "area": [seg.area() for seg in sec],
                "ri": [seg.ri() for seg in sec],
                "ri_end": sec(1).ri(),
                "diam": [seg.diam for seg in sec],
            }
        )
    return out


def geometry(shared, out):
    taper = [{"name": "taper", "pts": [[0, 0, 0, 1.0], [1000, 0, 0, 1.7]], "nseg": 9, "ra": 100.0}]
    soma_x = [-8, -6, -4, -2, 0, 0, 2, 4, 6, 8]
    soma_d = [0.5, 6.2, 10.1, 12.7, 13.3, 13.3, 12.9, 11.0, 7.4, 1.2]
    irregular = [
        {"name": "soma", "pts": [[x, 0.25 * x, 0, d] for x, d in zip(soma_x, soma_d)], "nseg": 3, "ra": 150.0},
        {
            "name": "dend1", "parent": "soma", "parent_x": 1.0, "nseg": 4, "ra": 80.0,
            "pts": [[8, 2, 0, 2.5], [20, 3, 0, 2.1], [21, 3.5, 0.5, 2.0], [45, 10, 2, 1.6],
                    [90, 15, -3, 1.1], [91.5, 15.2, -3.1, 0.9]],
        },
        {"name": "dend2", "parent": "dend1", "parent_x": 0.5, "nseg": 2, "ra": 80.0, "L": 50.25, "diam": 0.8},
        {
            "name": "axon", "parent": "soma", "parent_x": 0.0, "nseg": 5, "ra": 120.0,
            "pts": [[-8, -2, 0, 1.0], [-8.5, -10, 0, 1.0], [-9, -30, 0, 0.8], [-9, -60, 0, 0.6]],
        },
        {"name": "dend3", "parent": "soma", "parent_x": 0.5, "nseg": 1, "ra": 150.0,
         "pts": [[0, 6, 0, 1.5], [0, 30, 0, 1.2]]},
    ]
    result = {}
    for name, secs in [("taper", taper), ("irregular", irregular)]:
        made = build(secs)
        result[name] = {"sections": secs, "result": measure(secs, made)}
        del made
    l5 = json.load(open(os.path.join(shared, "reference/neuron/l5pc_nrngeom_sections.json")))
    secs = [
        {"name": s["name"], "parent": s["parent"], "parent_x": s["parent_x"], "nseg": s["nseg"],
         "pts": s["pts"], "L": s["L"], "diam": s["diam"], "ra": 100.0}
        for s in l5
    ]
    made = build(secs)
    result["l5pc"] = {"source": "reference/neuron/l5pc_nrngeom_sections.json", "ra": 100.0,
                      "result": measure(secs, made)}
    del made
    with open(os.path.join(out, "geometry.json"), "w") as f:
        json.dump(result, f, indent=None)
    print("geometry.json:", {k: len(v["result"]) for k, v in result.items()})


# --------------------------------------------------------------------------------------------
# traces


def soma(name, L=20.0, diam=20.0):
    s = h.Section(name=name)
    s.L, s.diam, s.nseg, s.Ra, s.cm = L, diam, 1, 100.0, 1.0
    return s


def seclamp(out):
    h.celsius = 6.3
    s = soma("sc_soma")
    s.insert("hh")
    c = h.SEClamp(s(0.5))
    c.dur1, c.amp1, c.dur2, c.amp2, c.dur3, c.amp3, c.rs = 5, -70, 10, -20, 5, -60, 0.5
    t, (v, i, vc) = run(25.0, 0.025, 0, -65.0, [s(0.5)._ref_v, c._ref_i, c._ref_vc])
    write_csv(os.path.join(out, "seclamp_hh.csv.gz"), ["t_ms", "v", "i", "vc"], [t, v, i, vc])
    print("seclamp_hh.csv: i range", i.min(), i.max())


def ball_and_stick(name):
    s = soma(name + "_soma")
    s.insert("hh")
    d = h.Section(name=name + "_dend")
    d.L, d.diam, d.nseg, d.Ra, d.cm = 200.0, 1.0, 5, 100.0, 1.0
    d.insert("pas")
    for seg in d:
        seg.pas.g, seg.pas.e = 1e-4, -65.0
    d.connect(s(1), 0)
    return s, d


def network(out):
    h.celsius = 6.3
    for so, tag in [(0, "be"), (2, "cn")]:
        a_s, a_d = ball_and_stick("A" + tag)
        b_s, b_d = ball_and_stick("B" + tag)
        ns = h.NetStim()
        ns.start, ns.interval, ns.number, ns.noise = 5, 10, 3, 0
        syn1 = h.ExpSyn(a_d(0.8))
        syn1.tau, syn1.e = 2.0, 0.0
        nc1 = h.NetCon(ns, syn1)
        nc1.weight[0], nc1.delay = 0.05, 1.0
        syn2 = h.Exp2Syn(b_s(0.5))
        syn2.tau1, syn2.tau2, syn2.e = 0.2, 2.0, 0.0
        nc2 = h.NetCon(a_s(0.5)._ref_v, syn2, sec=a_s)
        nc2.threshold, nc2.weight[0], nc2.delay = 0.0, 0.05, 2.5
        ncb = h.NetCon(b_s(0.5)._ref_v, None, sec=b_s)
        ncb.threshold = 0.0
        ta, tb, tn = h.Vector(), h.Vector(), h.Vector()
        nc2.record(ta)
        ncb.record(tb)
        ncn = h.NetCon(ns, None)
        ncn.record(tn)
        t, (va, vb, vd, i1, g2) = run(
            40.0, 0.025, so, -65.0,
            [a_s(0.5)._ref_v, b_s(0.5)._ref_v, a_d(0.8)._ref_v, syn1._ref_i, syn2._ref_g],
        )
        write_csv(os.path.join(out, f"network_{tag}.csv.gz"), ["t_ms", "va", "vb", "vdend", "i_expsyn", "g_exp2syn"],
                  [t, va, vb, vd, i1, g2])
        spikes = {"A": list(ta), "B": list(tb), "netstim": list(tn)}
        with open(os.path.join(out, f"network_spikes_{tag}.json"), "w") as f:
            json.dump(spikes, f)
        print(f"network_{tag}:", {k: len(v) for k, v in spikes.items()})


def ions(out):
    h.celsius = 34.0
    for so, tag in [(0, "be"), (2, "cn")]:
        s = soma("ion_soma_" + tag)
        s.insert("hh")
        s.insert("ca_leak")
        s.insert("cadyn")
        s(0.5).ca_leak.gbar = 2e-4
        stim = h.IClamp(s(0.5))
        stim.delay, stim.dur, stim.amp = 5.0, 20.0, 0.2
        t, (v, cai, eca, ica) = run(
            40.0, 0.025, so, -65.0, [s(0.5)._ref_v, s(0.5)._ref_cai, s(0.5)._ref_eca, s(0.5)._ref_ica]
        )
        write_csv(os.path.join(out, f"ions_cadyn_{tag}.csv.gz"), ["t_ms", "v", "cai", "eca", "ica"], [t, v, cai, eca, ica])
        print(f"ions_cadyn_{tag}: cai range", cai.min(), cai.max(), "eca range", eca.min(), eca.max())
    h.celsius = 6.3


def rc_expsyn(out):
    h.celsius = 6.3
    for so, tag in [(0, "be"), (2, "cn")]:
        s = soma("rc_" + tag, 18.0, 18.0)
        s.insert("pas")
        area = s(0.5).area() * 1e-8
        s.g_pas, s.e_pas, s.cm = 1.0 / (100e6 * area), -65.0, 0.01e-9 / area * 1e6
        syn = h.ExpSyn(s(0.5))
        syn.tau, syn.e = 1.0, 0.0
        ns = h.NetStim()
        ns.number, ns.start = 1, 0.0
        nc = h.NetCon(ns, syn)
        nc.weight[0], nc.delay = 10.0, 0.0
        t, (v,) = run(1.0, 0.0025, so, -65.0, [s(0.5)._ref_v])
        write_csv(os.path.join(out, f"rc_expsyn_10uS_{tag}.csv.gz"), ["t_ms", "v"], [t, v])


def stimuli(out):
    h.celsius = 6.3
    s = soma("stim_soma")
    s.insert("pas")
    s.g_pas, s.e_pas = 5e-4, -65.0
    hold = h.IClamp(s(0.5))
    hold.delay, hold.dur, hold.amp = 0.0, 1e9, 0.05
    step = h.IClamp(s(0.5))
    step.delay, step.dur, step.amp = 3.0, 4.0, 0.2
    ramp = h.IClamp(s(0.5))
    ramp.delay, ramp.dur = 0.0, 20.0
    tv = h.Vector([0.0, 10.0, 10.0, 15.0, 15.0, 20.0])
    av = h.Vector([0.0, 0.0, 0.1, 0.3, 0.0, 0.0])
    av.play(ramp._ref_amp, tv, 1)
    t, (v, ih, ist, ir) = run(20.0, 0.025, 0, -65.0, [s(0.5)._ref_v, hold._ref_i, step._ref_i, ramp._ref_i])
    write_csv(os.path.join(out, "stimuli_pas.csv.gz"), ["t_ms", "v", "i_hold", "i_step", "i_ramp"], [t, v, ih, ist, ir])


def l5pc(shared, out):
    h.celsius = 6.3
    l5 = json.load(open(os.path.join(shared, "reference/neuron/l5pc_nrngeom_sections.json")))
    secs = [
        {"name": s["name"], "parent": s["parent"], "parent_x": s["parent_x"], "nseg": s["nseg"],
         "pts": s["pts"], "L": s["L"], "diam": s["diam"], "ra": 100.0}
        for s in l5
    ]
    made = build(secs)
    for s in l5:
        sec = made[s["name"]]
        sec.cm = 1.0
        if s["tag"] in (1, 2):
            sec.insert("hh")
        else:
            sec.insert("pas")
            for seg in sec:
                seg.pas.g, seg.pas.e = 3e-5, -70.0
    soma = made["l5pc[0].soma[0]"]
    stim = h.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 5.0, 20.0, 2.0
    recs = [soma(0.5)._ref_v, made["l5pc[0].axon[1]"](1.0)._ref_v,
            made["l5pc[0].dend[10]"](0.5)._ref_v, made["l5pc[0].apic[30]"](0.5)._ref_v]
    t, (vs, va, vd, vp) = run(30.0, 0.025, 0, -65.0, recs)
    write_csv(os.path.join(out, "l5pc_hh_pas.csv.gz"), ["t_ms", "soma", "axon1_end", "dend10", "apic30"],
              [t, vs, va, vd, vp])
    print("l5pc_hh_pas: soma v range", vs.min(), vs.max())
    del made, stim
    h.celsius = 6.3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    geometry(a.shared, a.out)
    seclamp(a.out)
    network(a.out)
    ions(a.out)
    rc_expsyn(a.out)
    stimuli(a.out)
    l5pc(a.shared, a.out)


if __name__ == "__main__":
    main()
