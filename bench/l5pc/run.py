"""L5PC benchmark: Myelin, NEURON and Arbor on BluePyOpt's L5PC example, same discretisation.

    MYELIN_PEERS_PYTHON=/work/cache/peers-venv/bin/python bench/l5pc/run.sh [--protocol Step3] [--repeats 3]

Run by bench/l5pc/run.sh with a Python that has NEURON 9, BluePyOpt and Arbor 0.12 (it creates
target/peers-venv when MYELIN_PEERS_PYTHON is not given) after `cargo build --release`.

* Myelin: the whole process `myelin bluepyopt run --config … --protocol Step3` (read the
  configuration and morphology, lower, compile the mechanisms or load them from the compile
  cache, simulate, write the CSV), timed from outside; reported warm (compile cache filled) and
  cold (MYELIN_CACHE_DIR="": every mechanism JIT-compiled in the process), both with the default
  threads (two on a machine with two processors), and warm with `--threads 1`.
* NEURON: the cell built with BluePyOpt's ephys API from the example's JSON files
  (tools/golden/neuron/l5pc.py) with our mechanisms/ compiled by nrnivmodl; only `h.run` is timed
  (NrnSimulator.run: fixed step dt 0.025, backward Euler), 699 segments.
* Arbor 0.12: the same sections (Myelin's prepared morphology, written with --emit-spec), the
  same mechanisms from Arbor's bbp catalogue and parameters (the lowered description), one CV per
  NEURON segment (cv_policy_explicit at every segment boundary); only `simulation.run` is timed.

Repeats are interleaved (Myelin, NEURON, Arbor, Myelin, …) so that load from other processes
affects all alike; min and median are printed with the ratios, and each simulator's spike count
(−20 mV crossings at the soma) as a check that they ran the same model.
"""
import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tools" / "golden" / "neuron"))


def shared_dir():
    if os.environ.get("MYELIN_SHARED"):
        return Path(os.environ["MYELIN_SHARED"])
    for d in [REPO, *REPO.parents]:
        if (d / "shared" / "reference").is_dir():
            return d / "shared"
    raise SystemExit("shared/ not found: set MYELIN_SHARED")


def spikes(t, v, thr=-20.0):
    return sum(1 for i in range(1, len(v)) if v[i - 1] < thr <= v[i])


# ------------------------------------------------------------------------------------------------
# Myelin


def myelin_cmd(binary, shared, protocol, out, extra=()):
    ex = shared / "data" / "BluePyOpt" / "examples" / "l5pc"
    return [str(binary), "bluepyopt", "run", "--config", str(ex / "config"),
            "--morphology", str(ex / "morphology" / "C060114A7.asc"),
            "--params", str(shared / "reference" / "neuron" / "l5pc_release_params.json"),
            "--protocol", protocol, "--out", str(out), "--quiet", *extra]


def time_myelin(binary, shared, protocol, out, cache, extra=()):
    env = dict(os.environ)
    if cache is not None:
        env["MYELIN_CACHE_DIR"] = cache
    t0 = time.perf_counter()
    subprocess.run(myelin_cmd(binary, shared, protocol, out, extra), check=True, env=env)
    dt = time.perf_counter() - t0
    rows = (Path(out) / f"{protocol}.soma.v.csv").read_text().splitlines()[1:]
    t = [float(r.split(",")[0]) for r in rows]
    v = [float(r.split(",")[1]) for r in rows]
    return dt, spikes(t, v)


# ------------------------------------------------------------------------------------------------
# NEURON


class Neuron:
    def __init__(self, shared, protocol):
        import nrnmech
        import l5pc
        import bluepyopt.ephys as ephys
        from neuron import h

        nrnmech.load(nrnmech.build())
        self.h = h
        paths = l5pc.Paths(shared)
        h.secondorder = 0
        self.sim = ephys.simulators.NrnSimulator(dt=0.025, cvode_active=False)
        self.model = l5pc.cell(paths)
        self.proto = l5pc.protocols(paths.config, [protocol])[protocol]
        params = json.loads(paths.release_params.read_text())
        self.model.freeze(params)
        self.model.instantiate(sim=self.sim)
        self.proto.instantiate(sim=self.sim, cell_model=self.model)
        self.nseg = sum(sec.nseg for sec in h.allsec())
        self.tstop = self.proto.total_duration

    def run(self):
        t0 = time.perf_counter()
        self.sim.run(self.tstop, cvode_active=False)
        dt = time.perf_counter() - t0
        rec = self.proto.recordings[0]
        r = rec.response
        return dt, spikes(list(r["time"]), list(r["voltage"]))


# ------------------------------------------------------------------------------------------------
# Arbor

REGIONS = {"all": "(all)", "somatic": "(tag 1)", "axonal": "(tag 2)", "basal": "(tag 3)", "apical": "(tag 4)"}


def iexpr(text):
    """A runtime parameter expression of `distance` as an Arbor iexpr (distance from the soma
    centre)."""
    def conv(n):
        if isinstance(n, ast.Expression):
            return conv(n.body)
        if isinstance(n, ast.Constant):
            return f"(scalar {float(n.value)!r})"
        if isinstance(n, ast.Name) and n.id == "distance":
            return '(distance 1.0 (on-components 0.5 (region "soma")))'
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            return f"(mul (scalar -1.0) {conv(n.operand)})"
        if isinstance(n, ast.BinOp):
            op = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div"}[type(n.op)]
            return f"({op} {conv(n.left)} {conv(n.right)})"
        if isinstance(n, ast.Call) and n.func.id in ("exp", "log"):
            return f"({n.func.id} {conv(n.args[0])})"
        raise SystemExit(f"cannot translate {ast.dump(n)} to an Arbor iexpr")
    return conv(ast.parse(text.replace("^", "**"), mode="eval"))


class Arbor:
    def __init__(self, spec_file, morph_file):
        import arbor

        U = arbor.units
        self.arbor, self.U = arbor, U
        spec = json.loads(Path(spec_file).read_text())
        secs = json.loads(Path(morph_file).read_text())["sections"]
        tree, where = self.segment_tree(secs)
        morph = arbor.morphology(tree)
        labels = arbor.label_dict({"soma": "(tag 1)", "soma_center": '(on-components 0.5 (region "soma"))'})
        self.branch_pos = self.branch_positions(morph, tree, where)
        cell = spec["cells"][0]
        run = spec["run"]
        d = arbor.decor()
        d.set_property(Vm=run["v_init"] * U.mV, tempK=(run["celsius"] + 273.15) * U.Kelvin,
                       cm=cell["cm"] * 0.01 * U.F / U.m2, rL=cell["ra"] * U.Ohm * U.cm)
        for p in cell["properties"]:
            kw = {}
            if p.get("cm") is not None:
                kw["cm"] = p["cm"] * 0.01 * U.F / U.m2
            if p.get("ra") is not None:
                kw["rL"] = p["ra"] * U.Ohm * U.cm
            if p["region"] == "all":
                d.set_property(**kw)
            else:
                d.paint(REGIONS[p["region"]], **kw)
        for i in cell["ions"]:
            d.paint(REGIONS[i["region"]], ion=i["ion"], rev_pot=i["erev"] * U.mV)
        d.set_ion("ca", int_con=5e-5 * U.mM, ext_con=2.0 * U.mM, method=arbor.mechanism("nernst/x=ca"))
        merged = {}
        for m in cell["mechanisms"]:
            merged.setdefault((m["mechanism"], m["region"]), {}).update(m["parameters"])
        for (mech, region), params in merged.items():
            plain = {k: v for k, v in params.items() if not isinstance(v, str)}
            scaled = {k: v for k, v in params.items() if isinstance(v, str)}
            for k in scaled:
                plain[k] = 1.0
            name = mech
            if mech == "pas" and "e" in plain:  # a GLOBAL of Arbor's pas
                name = f"pas/e={plain.pop('e')}"
            dens = arbor.density(name, plain)
            d.paint(REGIONS[region], arbor.scaled_mechanism(dens, {k: iexpr(v) for k, v in scaled.items()})
                    if scaled else dens)
        for s in spec["stimuli"]:
            d.place('"soma_center"', arbor.i_clamp(s["delay"] * U.ms, s["duration"] * U.ms, s["amplitude"] * U.nA))
        policy = arbor.cv_policy_explicit(self.boundaries(secs, where))
        self.cell = arbor.cable_cell(morph, d, labels, policy)
        self.num_cv = arbor.cv_data(self.cell).num_cv
        self.tstop = run["tstop"]

    @staticmethod
    def segment_tree(secs):
        """Arbor segments from the sections' 3-D points (stylized sections along x); returns the
        tree and, per section, its segments as (id, arbor length)."""
        import arbor
        import math
        tree = arbor.segment_tree()
        where = {}
        pending = list(range(len(secs)))
        end_of = {}
        while pending:
            rest = []
            for i in pending:
                s = secs[i]
                par = s.get("parent")
                if par is not None and par not in where:
                    rest.append(i)
                    continue
                tag = {"soma": 1, "axon": 2, "dend": 3, "apic": 4}.get(s["kind"], 5) if isinstance(s["kind"], str) else 5
                if par is None:
                    parent_seg, start = arbor.mnpos, None
                else:
                    segs = where[par]
                    total = sum(l for _, l, _ in segs)
                    target = s["parent_x"] * total
                    acc, parent_seg = 0.0, segs[-1][0]
                    best = None
                    for sid, l, dist in segs:
                        acc += l
                        if best is None or abs(acc - target) < best[0]:
                            best = (abs(acc - target), sid, dist)
                    parent_seg, start = best[1], best[2]
                pts = [[q["x"], q["y"], q["z"], q["d"]] for q in s["pts"]]
                if len(pts) < 2:
                    x0 = start if start is not None else (0.0, 0.0, 0.0)
                    pts = [[x0[0], x0[1], x0[2], s["diam"]], [x0[0] + s["length"], x0[1], x0[2], s["diam"]]]
                segs = []
                prev = parent_seg
                for a, b in zip(pts[:-1], pts[1:]):
                    prox = arbor.mpoint(a[0], a[1], a[2], a[3] / 2)
                    dist = arbor.mpoint(b[0], b[1], b[2], b[3] / 2)
                    prev = tree.append(prev, prox, dist, tag=tag)
                    segs.append((prev, math.dist(a[:3], b[:3]), (b[0], b[1], b[2])))
                where[i] = segs
            pending = rest
        return tree, where

    def branch_positions(self, morph, tree, where):
        """Segment id -> (branch, start, end) in branch length units (µm)."""
        import math
        key_to_id = {}
        for segs in where.values():
            for sid, l, _ in segs:
                key_to_id[sid] = l
        pos = {}
        segments = tree.segments
        for b in range(morph.num_branches):
            acc = 0.0
            lst = morph.branch_segments(b)
            total = sum(math.dist((s.prox.x, s.prox.y, s.prox.z), (s.dist.x, s.dist.y, s.dist.z)) for s in lst)
            for s in lst:
                l = math.dist((s.prox.x, s.prox.y, s.prox.z), (s.dist.x, s.dist.y, s.dist.z))
                k = (s.prox.x, s.prox.y, s.prox.z, s.dist.x, s.dist.y, s.dist.z)
                pos[k] = (b, acc / total if total else 0.0, (acc + l) / total if total else 1.0)
                acc += l
        out = {}
        for sid, seg in enumerate(segments):
            k = (seg.prox.x, seg.prox.y, seg.prox.z, seg.dist.x, seg.dist.y, seg.dist.z)
            out[sid] = pos[k]
        return out

    def boundaries(self, secs, where):
        """Every NEURON segment boundary j/nseg of every section as Arbor locations."""
        locs = []
        for i, s in enumerate(secs):
            segs = where[i]
            total = sum(l for _, l, _ in segs)
            for j in range(0, s["nseg"] + 1):
                target = j / s["nseg"] * total
                acc = 0.0
                for sid, l, _ in segs:
                    if acc + l >= target - 1e-9 or sid == segs[-1][0]:
                        f = 0.0 if l == 0 else min(max((target - acc) / l, 0.0), 1.0)
                        b, p0, p1 = self.branch_pos[sid]
                        locs.append(f"(location {b} {p0 + f * (p1 - p0):.12g})")
                        break
                    acc += l
        return "(join " + " ".join(locs) + ")"

    def run(self):
        arbor, U = self.arbor, self.U
        cell = self.cell

        class Recipe(arbor.recipe):
            def __init__(self):
                super().__init__()
                self.props = arbor.neuron_cable_properties()
                self.props.catalogue.extend(arbor.bbp_catalogue(), "")

            def num_cells(self):
                return 1

            def cell_kind(self, gid):
                return arbor.cell_kind.cable

            def cell_description(self, gid):
                return cell

            def probes(self, gid):
                return [arbor.cable_probe_membrane_voltage('"soma_center"', "Um")]

            def global_properties(self, kind):
                return self.props

        sim = arbor.simulation(Recipe())
        h = sim.sample((0, "Um"), arbor.regular_schedule(0.025 * U.ms))
        t0 = time.perf_counter()
        sim.run(self.tstop * U.ms, 0.025 * U.ms)
        dt = time.perf_counter() - t0
        data, _ = sim.samples(h)[0]
        return dt, spikes(list(data[:, 0]), list(data[:, 1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", default="Step3")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--myelin", default=str(REPO / "target" / "release" / "myelin"))
    ap.add_argument("--skip", action="append", default=[], help="neuron, arbor, myelin-1 or myelin-cold")
    args = ap.parse_args()
    shared = shared_dir()
    work = Path(tempfile.mkdtemp(prefix="myelin-bench-l5pc-"))
    cache = str(work / "cache")
    # Warm the compile cache and write the lowered model for Arbor.
    subprocess.run(myelin_cmd(args.myelin, shared, args.protocol, work / "spec", ["--emit-spec"]), check=True,
                   env=dict(os.environ, MYELIN_CACHE_DIR=cache))
    sims = {}
    sims["myelin (whole process, warm cache)"] = lambda: time_myelin(args.myelin, shared, args.protocol,
                                                                    work / "out", cache)
    if "myelin-1" not in args.skip:
        sims["myelin (whole process, 1 thread)"] = lambda: time_myelin(args.myelin, shared, args.protocol,
                                                                      work / "out", cache, ["--threads", "1"])
    if "myelin-cold" not in args.skip:
        sims["myelin (whole process, cold: JIT)"] = lambda: time_myelin(args.myelin, shared, args.protocol,
                                                                       work / "out", "")
    info = {}
    if "neuron" not in args.skip:
        n = Neuron(shared, args.protocol)
        info["NEURON segments"] = n.nseg
        sims["NEURON (h.run only)"] = n.run
    if "arbor" not in args.skip:
        a = Arbor(work / "spec" / f"{args.protocol}.spec.json", work / "spec" / "morphology.json")
        info["Arbor CVs"] = a.num_cv
        sims["Arbor 0.12 (simulation.run only)"] = a.run
    times = {k: [] for k in sims}
    counts = {}
    for r in range(args.repeats):
        for k, f in sims.items():
            dt, n = f()
            times[k].append(dt)
            counts[k] = n
            print(f"  repeat {r + 1}: {k}: {dt:.3f} s ({n} spikes)", flush=True)
    print(f"\nL5PC {args.protocol}, dt 0.025 ms, fixed step; {', '.join(f'{k} {v}' for k, v in info.items())}")
    print(f"{'':40s} {'min (s)':>9s} {'median (s)':>11s} {'spikes':>7s}")
    for k, v in times.items():
        print(f"{k:40s} {min(v):9.3f} {statistics.median(v):11.3f} {counts[k]:7d}")
    ref = "NEURON (h.run only)"
    if ref in times:
        print()
        for k, v in times.items():
            if k != ref:
                print(f"NEURON / {k}: {min(times[ref]) / min(v):.2f}x (min), "
                      f"{statistics.median(times[ref]) / statistics.median(v):.2f}x (median)")


if __name__ == "__main__":
    main()
