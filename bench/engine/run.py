"""Engine benchmark: compartment-steps per second of Myelin and NEURON on the same models.

    python bench/engine/run.py [--repeats 5] [--depth 8] [--tstop 100]

Run it with a Python that has NEURON (e.g. /work/cache/peers-venv/bin/python, or a venv made with
`python3 -m venv target/peers-venv && target/peers-venv/bin/pip install "neuron>=9,<10"`).

Models (written as Myelin simulation descriptions to target/bench-engine/, and built from the same
files in NEURON): a binary tree of cylinders of the given depth below a soma, nseg 10 per
dendrite, with (a) `pas` everywhere and (b) `hh` everywhere; an IClamp at the soma. Both simulators
use the fixed step (backward Euler), the same dt, tstop and discretisation, one thread, no
recording; timing covers finitialize plus all steps, repeats of the two simulators interleaved so
that load from other processes affects both alike. Reports min and median of the repeats,
compartment-steps per second and the NEURON/Myelin time ratio, and checks that both end at the
same soma voltage.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def tree(depth, nseg):
    secs = [{"name": "soma", "kind": "soma", "length": 20.0, "diam": 20.0, "nseg": 1}]
    frontier = [("soma", 1.0, 4.0)]
    k = 0
    for level in range(depth):
        nxt = []
        for parent, px, d in frontier:
            for _ in range(2):
                name = f"dend[{k}]"
                k += 1
                dd = max(d * 0.7, 0.5)
                secs.append({"name": name, "kind": "dend", "parent": parent, "parent_x": px,
                             "length": 100.0, "diam": round(dd, 4), "nseg": nseg})
                nxt.append((name, 1.0, dd))
        frontier = nxt
    return secs


def spec(secs, mech, tstop, dt):
    params = {"g": 1e-4, "e": -65.0} if mech == "pas" else {}
    return {
        "cells": [{"name": "cell", "morphology": {"sections": secs}, "cm": 1.0, "ra": 100.0,
                   "mechanisms": [{"mechanism": mech, "parameters": params}]}],
        "stimuli": [{"type": "iclamp", "location": {"cell": "cell", "section": "soma", "x": 0.5},
                     "delay": 1.0, "duration": tstop, "amplitude": 1.0}],
        "run": {"tstop": tstop, "dt": dt, "celsius": 6.3, "v_init": -65.0},
    }


class NeuronModel:
    """The model of a description built in NEURON (one at a time)."""

    def __init__(self, path):
        from neuron import h
        self.h = h
        s = json.load(open(path))
        cell = s["cells"][0]
        self.made = {}
        for sec in cell["morphology"]["sections"]:
            x = h.Section(name=sec["name"])
            x.L, x.diam, x.nseg, x.Ra, x.cm = sec["length"], sec["diam"], sec["nseg"], cell["ra"], cell["cm"]
            self.made[sec["name"]] = x
        for sec in cell["morphology"]["sections"]:
            if sec.get("parent"):
                self.made[sec["name"]].connect(self.made[sec["parent"]](sec["parent_x"]), 0)
        m = cell["mechanisms"][0]
        for x in self.made.values():
            x.insert(m["mechanism"])
            for k, v in m["parameters"].items():
                for seg in x:
                    setattr(getattr(seg, m["mechanism"]), k, v)
        st = s["stimuli"][0]
        self.ic = h.IClamp(self.made["soma"](0.5))
        self.ic.delay, self.ic.dur, self.ic.amp = st["delay"], st["duration"], st["amplitude"]
        self.run_spec = s["run"]
        self.steps = int(round(self.run_spec["tstop"] / self.run_spec["dt"]))
        self.compartments = sum(x.nseg for x in self.made.values())

    def run(self):
        h, r = self.h, self.run_spec
        h.celsius, h.dt, h.secondorder = r["celsius"], r["dt"], 0
        t0 = time.perf_counter()
        h.finitialize(r["v_init"])
        for _ in range(self.steps):
            h.fadvance()
        return time.perf_counter() - t0, self.made["soma"](0.5).v

    def free(self):
        self.ic = None
        self.made = None


def run_myelin(path):
    cmd = ["cargo", "bench", "-q", "-p", "myelin-runtime", "--bench", "engine", "--", path, "--repeats", "1"]
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if res.returncode != 0:
        print(res.stdout, res.stderr)
        sys.exit(1)
    return json.loads([l for l in res.stdout.splitlines() if l.startswith("{")][0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--depth", type=int, default=8)
    ap.add_argument("--nseg", type=int, default=10)
    ap.add_argument("--tstop", type=float, default=100.0)
    ap.add_argument("--dt", type=float, default=0.025)
    a = ap.parse_args()
    out = os.path.join(REPO, "target", "bench-engine")
    os.makedirs(out, exist_ok=True)
    secs = tree(a.depth, a.nseg)
    paths = {}
    for mech in ["pas", "hh"]:
        p = os.path.join(out, f"tree_{mech}.json")
        json.dump(spec(secs, mech, a.tstop, a.dt), open(p, "w"))
        paths[mech] = p
    print("$ cargo bench -q -p myelin-runtime --bench engine -- SPEC --repeats 1  (once per repeat)", file=sys.stderr)
    results = {"machine": os.uname().machine, "cpus": os.cpu_count(), "dt": a.dt, "tstop": a.tstop,
               "depth": a.depth, "nseg": a.nseg, "models": {}}
    print(f"fixed step, backward Euler, dt {a.dt} ms, tstop {a.tstop} ms, {a.repeats} interleaved repeats, one thread")
    print(f"{'model':6} {'comps':>6} {'sim':7} {'min s':>8} {'median s':>9} {'comp-steps/s':>13} {'v_end soma':>12}")
    for mech in ["pas", "hh"]:
        nrn = NeuronModel(paths[mech])
        times = {"myelin": [], "neuron": []}
        v_end = {}
        for _ in range(a.repeats):
            d = run_myelin(paths[mech])
            assert d["compartments"] == nrn.compartments and d["steps"] == nrn.steps
            times["myelin"].append(d["times_s"][0])
            v_end["myelin"] = d["v_end_root"][0]
            t, v = nrn.run()
            times["neuron"].append(t)
            v_end["neuron"] = v
        row = {}
        for name in ["myelin", "neuron"]:
            mn, md = min(times[name]), statistics.median(times[name])
            cs = nrn.compartments * nrn.steps / mn
            row[name] = {"min_s": mn, "median_s": md, "comp_steps_per_s": cs, "v_end": v_end[name]}
            print(f"{mech:6} {nrn.compartments:6d} {name:7} {mn:8.3f} {md:9.3f} {cs:13.3e} {v_end[name]:12.6f}")
        nrn.free()
        row["ratio_neuron_over_myelin_min"] = row["neuron"]["min_s"] / row["myelin"]["min_s"]
        row["ratio_neuron_over_myelin_median"] = row["neuron"]["median_s"] / row["myelin"]["median_s"]
        row["dv_end"] = abs(row["neuron"]["v_end"] - row["myelin"]["v_end"])
        print(f"{mech:6} NEURON/Myelin time ratio: min {row['ratio_neuron_over_myelin_min']:.2f}, "
              f"median {row['ratio_neuron_over_myelin_median']:.2f}; |dv_end| = {row['dv_end']:.2e} mV")
        results["models"][mech] = row
    json.dump(results, open(os.path.join(out, "results.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
