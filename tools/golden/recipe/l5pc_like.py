#!/usr/bin/env python3
"""NEURON goldens of recipes/l5pc.recipe: the same cell built with BluePyOpt's ephys API and
NEURON, with Myelin's own mechanisms compiled by nrnivmodl (tools/golden/neuron/nrnmech.py).

    tools/golden/recipe/run.sh          # creates target/peers-venv if needed
    MYELIN_PEERS_PYTHON=/path/to/python tools/golden/recipe/run.sh

Writes tests/golden/recipe/l5pc_like.<protocol>.<recording>.v.csv.gz (t and v, every time step,
every 4th for protocols longer than 10000 steps)
and tests/golden/recipe/manifest.json. The parameters below are those of recipes/l5pc.recipe
(keep them in sync): morphology recipes/morphologies/l5pc_like.swc with BluePyOpt's
replace_axon and nseg = 1 + 2·int(L/40), celsius 34, v_init -65, dt 0.025 ms, backward Euler.
"""
import gzip
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "neuron"))

import nrnmech  # noqa: E402

ROOT = nrnmech.ROOT
OUT = ROOT / "tests" / "golden" / "recipe"
MORPH = ROOT / "recipes" / "morphologies" / "l5pc_like.swc"

# (section list, mechanism, {parameter: value}) in the recipe's order.
INSERTS = [
    ("all", "pas", {"g_pas": 3e-5, "e_pas": -75.0}),
    ("somatic", "Ih", {"gIhbar_Ih": 8e-5}),
    ("basal", "Ih", {"gIhbar_Ih": 8e-5}),
    ("somatic", "NaTs2_t", {"gNaTs2_tbar_NaTs2_t": 0.98}),
    ("somatic", "SKv3_1", {"gSKv3_1bar_SKv3_1": 0.30}),
    ("somatic", "SK_E2", {"gSK_E2bar_SK_E2": 0.0084}),
    ("somatic", "Ca_HVA", {"gCa_HVAbar_Ca_HVA": 0.001}),
    ("somatic", "Ca_LVAst", {"gCa_LVAstbar_Ca_LVAst": 0.00033}),
    ("somatic", "CaDynamics_E2", {"gamma_CaDynamics_E2": 0.0006, "decay_CaDynamics_E2": 210.0}),
    ("axonal", "NaTa_t", {"gNaTa_tbar_NaTa_t": 3.1}),
    ("axonal", "Nap_Et2", {"gNap_Et2bar_Nap_Et2": 0.0068}),
    ("axonal", "K_Tst", {"gK_Tstbar_K_Tst": 0.089}),
    ("axonal", "K_Pst", {"gK_Pstbar_K_Pst": 0.97}),
    ("axonal", "SKv3_1", {"gSKv3_1bar_SKv3_1": 1.0}),
    ("axonal", "SK_E2", {"gSK_E2bar_SK_E2": 0.0071}),
    ("axonal", "Ca_HVA", {"gCa_HVAbar_Ca_HVA": 0.001}),
    ("axonal", "Ca_LVAst", {"gCa_LVAstbar_Ca_LVAst": 0.0088}),
    ("axonal", "CaDynamics_E2", {"gamma_CaDynamics_E2": 0.0029, "decay_CaDynamics_E2": 287.0}),
    ("apical", "NaTs2_t", {"gNaTs2_tbar_NaTs2_t": 0.026}),
    ("apical", "SKv3_1", {"gSKv3_1bar_SKv3_1": 0.0042}),
    ("apical", "Im", {"gImbar_Im": 0.00014}),
]
KOLE = "(-0.8696 + 2.087*math.exp(({distance})*0.0031))*{value}"

# name: (duration, [(delay, duration, amplitude)], {recording: location or None for soma(0.5)})
PROTOCOLS = {
    "Step": (1000.0, [(200.0, 600.0, 0.6)], {"soma": None}),
    "bAP": (100.0, [(20.0, 5.0, 1.9)], {"soma": None, "dend1": 400.0, "dend2": 620.0}),
}


def model():
    import bluepyopt.ephys as ephys

    loc = {n: ephys.locations.NrnSeclistLocation(n, seclist_name=n)
           for n in ["all", "somatic", "axonal", "apical", "basal"]}
    mechs, params = [], []
    for k, (seclist, mech, values) in enumerate(INSERTS):
        mechs.append(ephys.mechanisms.NrnMODMechanism(
            # NEURON's built-in pas, which our pas.mod reproduces (as tools/golden/neuron/l5pc.py).
            name=f"{mech}.{seclist}.{k}", suffix=mech if mech == "pas" else nrnmech.neuron_name(mech),
            locations=[loc[seclist]],
            preloaded=True))
        for p, v in values.items():
            p = p.replace(f"_{mech}", "_" + nrnmech.neuron_name(mech)) if mech != "pas" else p
            params.append(ephys.parameters.NrnRangeParameter(
                name=f"{p}.{seclist}.{k}", param_name=p, value=v, frozen=True, locations=[loc[seclist]]))
    mechs.append(ephys.mechanisms.NrnMODMechanism(
        name="Ih.apical", suffix="Ih", locations=[loc["apical"]], preloaded=True))
    params.append(ephys.parameters.NrnRangeParameter(
        name="gIhbar_Ih.apical", param_name="gIhbar_Ih", value=8e-5, frozen=True, locations=[loc["apical"]],
        value_scaler=ephys.parameterscalers.NrnSegmentSomaDistanceScaler(distribution=KOLE)))
    for seclist, name, value in [("all", "cm", 1.0), ("apical", "cm", 2.0), ("basal", "cm", 2.0),
                                 ("all", "Ra", 100.0)]:
        params.append(ephys.parameters.NrnSectionParameter(
            name=f"{name}.{seclist}", param_name=name, value=value, frozen=True, locations=[loc[seclist]]))
    for seclist in ["somatic", "axonal", "apical"]:
        for name, value in [("ena", 50.0), ("ek", -85.0)]:
            params.append(ephys.parameters.NrnSectionParameter(
                name=f"{name}.{seclist}", param_name=name, value=value, frozen=True,
                locations=[loc[seclist]]))
    for name, value in [("celsius", 34.0), ("v_init", -65.0)]:
        params.append(ephys.parameters.NrnGlobalParameter(
            name=name, param_name=name, value=value, frozen=True))
    morph = ephys.morphologies.NrnFileMorphology(str(MORPH), do_replace_axon=True)
    return ephys.models.CellModel("l5pc_like", morph=morph, mechs=mechs, params=params)


def protocols():
    import bluepyopt.ephys as ephys

    soma = ephys.locations.NrnSeclistCompLocation(name="soma", seclist_name="somatic", sec_index=0,
                                                  comp_x=0.5)
    out = {}
    for name, (duration, steps, recs) in PROTOCOLS.items():
        recordings = []
        for rname, dist in recs.items():
            where = soma if dist is None else ephys.locations.NrnSomaDistanceCompLocation(
                name=rname, soma_distance=dist, seclist_name="apical")
            recordings.append(ephys.recordings.CompRecording(name=f"{name}.{rname}.v", location=where,
                                                             variable="v"))
        stims = [ephys.stimuli.NrnSquarePulse(step_amplitude=a, step_delay=d, step_duration=du,
                                              location=soma, total_duration=duration)
                 for d, du, a in steps]
        out[name] = ephys.protocols.SweepProtocol(name, stims, recordings)
    return out


def main():
    lib = nrnmech.build()
    nrnmech.load(lib)
    import bluepyopt.ephys as ephys
    from neuron import h

    h.secondorder = 0
    sim = ephys.simulators.NrnSimulator(dt=0.025, cvode_active=False)
    cell = model()
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = {"recipe": "recipes/l5pc.recipe", "dt_ms": 0.025, "files": {}}
    for name, proto in protocols().items():
        responses = proto.run(cell, {}, sim=sim, isolate=False)
        for rec, resp in responses.items():
            t = resp["time"].to_numpy()
            v = resp["voltage"].to_numpy()
            path = OUT / f"l5pc_like.{rec}.csv.gz"
            # Every step of short protocols; every 4th (0.1 ms) of long ones, to keep files small.
            every = 1 if len(t) <= 10001 else 4
            with gzip.GzipFile(path, "wb", mtime=0) as f:
                f.write(b"t_ms,v_mV\n")
                for a, b in list(zip(t, v))[::every]:
                    f.write(f"{float(a)!r},{float(b)!r}\n".encode())
            manifest["files"][rec] = {"file": path.name, "rows": len(t[::every]), "v_max": float(v.max()),
                                      "v_end": float(v[-1])}
            print(f"{rec}: {len(t)} samples, v_max {v.max():.3f}, v_end {v[-1]:.4f}")
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
