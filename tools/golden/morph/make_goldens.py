#!/usr/bin/env python3
"""Regenerates Myelin's morphology goldens with NEURON (and BluePyOpt for its pipeline).

Usage (from anywhere):
    tools/golden/morph/run.sh            # creates target/peers-venv if needed
    MYELIN_PEERS_PYTHON=/path/to/python tools/golden/morph/run.sh

Outputs go to runtime/tests/data/morph/golden/. Each input is loaded in a fresh NEURON process.

Modes:
  import3d   NEURON's Import3d (Import3d_SWC_read / Import3d_Neurolucida3 + Import3d_GUI
             instantiated at top level), nseg 1: every section with its pt3d points.
  bluepyopt  BluePyOpt's NrnFileMorphology pipeline (nseg = 1 + 2*int(L/40), replace_axon) in an
             otherwise empty CellModel, plus h.distance from soma[0](0.5) to every node,
             BluePyOpt's soma-distance locations, and the nseg NEURON's d_lambda rule gives.
  taper      as bluepyopt without replace_axon, then the tapered axon replacement that
             BluePyEModel uses by default, written here from its description in
             shared/spec/EMODEL.md section 1.3.3 (diameters sampled from the first 10 segments
             of the axon cut into 6 um chunks, two 30 um sections of 5 segments, 1000 um myelin).
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "runtime" / "tests" / "data" / "morph"
OUT = DATA / "golden"


def shared_dir():
    env = os.environ.get("MYELIN_SHARED")
    if env:
        return Path(env)
    for d in ROOT.parents:
        if (d / "shared" / "reference").is_dir():
            return d / "shared"
    sys.exit("shared data directory not found: set MYELIN_SHARED")


# (output name, mode, input path, path base)
SMALL = [
    "single_point_soma.swc",
    "three_point_soma.swc",
    "cylinder_soma.swc",
    "unusual_types.swc",
    "two_trees.swc",
    "no_soma.swc",
    "contour_soma.asc",
    "soma_stack.asc",
    "two_somas.asc",
    "no_soma.asc",
]
MM = "data/SSCxEModelExamples/model_management/mm_run_minimal/morphologies/"
SHARED = [
    ("l5pc_C060114A7", "bluepyopt", "data/BluePyOpt/examples/l5pc/morphology/C060114A7.asc"),
    ("l5pc_C060114A7_taper", "taper", "data/BluePyOpt/examples/l5pc/morphology/C060114A7.asc"),
    ("sscx_C060110A2", "import3d", MM + "C060110A2.asc"),
    ("sscx_rp110630_P1_idC", "bluepyopt", MM + "rp110630_P1_idC.asc"),
    ("sscx_rat_20160316_E2_LH3_cell1", "bluepyopt", MM + "rat_20160316_E2_LH3_cell1.asc"),
    ("bluepymm_morph1", "bluepyopt", "data/BluePyMM/tests/examples/simple1/data/morphs/morph1.asc"),
]


def dump_sections(secs):
    out = []
    for sec in secs:
        ps = sec.parentseg()
        out.append({
            "name": sec.name(),
            "L": sec.L,
            "nseg": sec.nseg,
            "diam": sec.diam,
            "seg_diam": [seg.diam for seg in sec],
            "pts": [[sec.x3d(i), sec.y3d(i), sec.z3d(i), sec.diam3d(i)] for i in range(int(sec.n3d()))],
            "parent": ps.sec.name() if ps is not None else None,
            "parent_x": ps.x if ps is not None else None,
        })
    return out


def one_import3d(path):
    from neuron import h
    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    imp = h.Import3d_SWC_read() if path.lower().endswith(".swc") else h.Import3d_Neurolucida3()
    imp.quiet = 1
    imp.input(path)
    h.Import3d_GUI(imp, 0).instantiate(None)
    return {"sections": dump_sections(list(h.allsec()))}


def cell_model(path, replace_axon):
    import bluepyopt.ephys as ephys
    sim = ephys.simulators.NrnSimulator()
    morph = ephys.morphologies.NrnFileMorphology(path, do_replace_axon=replace_axon)
    cell = ephys.models.CellModel("cell", morph=morph, mechs=[], params=[])
    cell.instantiate(sim=sim)
    return ephys, sim, cell.icell


def taper(h, icell):
    """BluePyEModel's default axon replacement, from the description in EMODEL.md 1.3.3."""
    target, nseg_new = 60.0, 5
    samples = 2 * nseg_new
    chunk = target / samples
    diams = []
    for sec in icell.axonal:
        sec.nseg = 1 + 2 * int(sec.L / chunk / 2.0)
        for seg in sec:
            diams.append(seg.diam)
            if len(diams) == samples:
                break
        if len(diams) == samples:
            break
    assert len(diams) == samples, "axon too short for the tapered replacement"
    for sec in list(icell.axonal):
        h.delete_section(sec=sec)
    h.execute("create axon[2]", icell)
    k = 0
    for sec in icell.axon:
        sec.nseg = nseg_new
        sec.L = target / 2
        for seg in sec:
            seg.diam = diams[k]
            k += 1
        icell.axonal.append(sec=sec)
        icell.all.append(sec=sec)
    icell.axon[0].connect(icell.soma[0], 1.0, 0.0)
    icell.axon[1].connect(icell.axon[0], 1.0, 0.0)
    h.execute("create myelin[1]", icell)
    icell.myelinated.append(sec=icell.myelin[0])
    icell.all.append(sec=icell.myelin[0])
    icell.myelin[0].nseg = 5
    icell.myelin[0].L = 1000
    icell.myelin[0].diam = diams[-1]
    icell.myelin[0].connect(icell.axon[1], 1.0, 0.0)


def one_cell(path, mode):
    ephys, sim, icell = cell_model(path, replace_axon=(mode == "bluepyopt"))
    h = sim.neuron.h
    if mode == "taper":
        taper(h, icell)
        return {"sections": dump_sections(list(icell.all))}
    out = {"sections": dump_sections(list(icell.all))}
    out["lists"] = {name: [s.name() for s in getattr(icell, name)]
                    for name in ["somatic", "axonal", "basal", "apical", "myelinated"]}
    soma = icell.soma[0]
    dist = []
    for sec in icell.all:
        xs = [0.0] + [seg.x for seg in sec] + [1.0, 0.3333, 0.8]
        for x in xs:
            dist.append([sec.name(), x, h.distance(soma(0.5), sec(x))])
    out["distances"] = dist
    locs = []
    queries = [("soma", "apical", d) for d in (10, 100, 300, 660, 800, 1000, 1200)]
    queries += [("soma", "basal", d) for d in (20, 50, 150)]
    queries += [("soma", "axonal", d) for d in (10, 40)]
    queries += [("trunk", "apical", d) for d in (300, 660)]
    for kind, seclist, d in queries:
        try:
            if kind == "soma":
                loc = ephys.locations.NrnSomaDistanceCompLocation(
                    "l", soma_distance=d, seclist_name=seclist)
            else:
                loc = ephys.locations.NrnTrunkSomaDistanceCompLocation(
                    "l", soma_distance=d, seclist_name=seclist)
            seg = loc.instantiate(sim=sim, icell=icell)
            locs.append({"kind": kind, "seclist": seclist, "distance": d,
                         "section": seg.sec.name(), "x": seg.x})
        except Exception as e:  # noqa: BLE001 - the golden records the failure
            locs.append({"kind": kind, "seclist": seclist, "distance": d, "error": str(e)})
    out["locations"] = locs
    # d_lambda rule (NEURON's lambda_f) with Ra 123 ohm cm, cm 1.5 uF/cm2 at 100 Hz, d_lambda 0.1.
    for sec in icell.all:
        sec.Ra = 123.0
        sec.cm = 1.5
    h.load_file("stdlib.hoc")
    nseg = []
    for sec in icell.all:
        lam = h.lambda_f(100.0, sec=sec)
        nseg.append(int((sec.L / (0.1 * lam) + 0.9) / 2) * 2 + 1)
    out["d_lambda"] = {"freq": 100.0, "d_lambda": 0.1, "Ra": 123.0, "cm": 1.5, "nseg": nseg}
    return out


def child(mode, path, out_path):
    from neuron import __version__ as nrn_version
    if mode == "import3d":
        res = one_import3d(path)
    else:
        res = one_cell(path, mode)
    res = {"mode": mode, "neuron": nrn_version, **res}
    text = json.dumps(res, separators=(",", ":"))
    if out_path.endswith(".gz"):
        with gzip.open(out_path, "wt") as f:
            f.write(text)
    else:
        with open(out_path, "w") as f:
            f.write(json.dumps(res, indent=1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", nargs=3, metavar=("MODE", "INPUT", "OUTPUT"))
    args = ap.parse_args()
    if args.one:
        child(*args.one)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    jobs = [(Path(f).stem + "_" + Path(f).suffix[1:], "import3d", DATA / f, ".json") for f in SMALL]
    jobs += [(Path(f).stem + "_" + Path(f).suffix[1:] + "_bluepyopt", "bluepyopt", DATA / f, ".json")
             for f in ["single_point_soma.swc", "contour_soma.asc"]]
    sh = shared_dir()
    jobs += [(name, mode, sh / rel, ".json.gz") for name, mode, rel in SHARED]
    for name, mode, path, ext in jobs:
        out = OUT / (name + ext)
        print(f"{mode:9s} {path} -> {out.relative_to(ROOT)}", flush=True)
        subprocess.run([sys.executable, __file__, "--one", mode, str(path), str(out)], check=True,
                       env={k: v for k, v in os.environ.items() if k != "DISPLAY"})


if __name__ == "__main__":
    main()
