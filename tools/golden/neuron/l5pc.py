"""The BluePyOpt L5PC example built from its JSON configs with BluePyOpt's ephys API.

Same construction as BluePyOpt's examples/l5pc (l5pc_model.py / l5pc_evaluator.py), written here
from those configs: mechanisms.json (channel per section list), parameters.json (global, section
and range parameters, the exponential Ih distribution, frozen values vs bounds), protocols.json
(step + holding stimuli at soma[0](0.5), extra recordings at a soma distance on the apical list),
features.json (eFEL features, thresholds -20 mV at the soma and -55 mV in the dendrites).
Morphology: NrnFileMorphology with replace_axon (two 30 um sections) and nseg = 1 + 2 int(L/40).
The mechanisms are preloaded (compiled from Myelin's mechanisms/ by nrnmech.build); pas is
NEURON's built-in pas, which our pas.mod reproduces.
"""
import json
from pathlib import Path

import bluepyopt.ephys as ephys

SECLISTS = {"somatic", "axonal", "apical", "basal", "all", "myelinated"}


class Paths:
    """Locations of the example's configs and morphology in the shared data."""

    def __init__(self, shared):
        base = Path(shared) / "data" / "BluePyOpt" / "examples" / "l5pc"
        self.config = base / "config"
        self.morphology = base / "morphology" / "C060114A7.asc"
        self.release_params = Path(shared) / "reference" / "neuron" / "l5pc_release_params.json"


def _load(path):
    with open(path) as f:
        return json.load(f)


def mechanisms(config):
    """One NrnMODMechanism per (channel, section list) of mechanisms.json."""
    out = []
    for seclist, channels in _load(config / "mechanisms.json").items():
        loc = ephys.locations.NrnSeclistLocation(seclist, seclist_name=seclist)
        for channel in channels:
            out.append(
                ephys.mechanisms.NrnMODMechanism(
                    name=f"{channel}.{seclist}", mod_path=None, suffix=channel, locations=[loc],
                    preloaded=True,
                )
            )
    return out


def parameters(config):
    """The parameters of parameters.json: frozen where a value is given, else free with bounds."""
    out = []
    for p in _load(config / "parameters.json"):
        frozen = "value" in p and p["value"] is not None
        value = p["value"] if frozen else None
        bounds = p.get("bounds")
        if p["type"] == "global":
            out.append(
                ephys.parameters.NrnGlobalParameter(
                    name=p["param_name"], param_name=p["param_name"], frozen=frozen, bounds=bounds,
                    value=value,
                )
            )
            continue
        if p["dist_type"] == "uniform":
            scaler = ephys.parameterscalers.NrnSegmentLinearScaler()
        elif p["dist_type"] == "exp":
            scaler = ephys.parameterscalers.NrnSegmentSomaDistanceScaler(distribution=p["dist"])
        else:
            raise ValueError(f"parameters.json: unknown dist_type {p['dist_type']!r}")
        seclist = p["sectionlist"]
        locs = [ephys.locations.NrnSeclistLocation(seclist, seclist_name=seclist)]
        name = f"{p['param_name']}.{seclist}"
        if p["type"] == "section":
            out.append(
                ephys.parameters.NrnSectionParameter(
                    name=name, param_name=p["param_name"], value_scaler=scaler, value=value,
                    frozen=frozen, bounds=bounds, locations=locs,
                )
            )
        elif p["type"] == "range":
            out.append(
                ephys.parameters.NrnRangeParameter(
                    name=name, param_name=p["param_name"], value_scaler=scaler, value=value,
                    frozen=frozen, bounds=bounds, locations=locs,
                )
            )
        else:
            raise ValueError(f"parameters.json: unknown type {p['type']!r}")
    return out


def cell(paths):
    """The L5PC cell model (axon replaced, BluePyOpt's nseg rule)."""
    morph = ephys.morphologies.NrnFileMorphology(str(paths.morphology), do_replace_axon=True)
    return ephys.models.CellModel(
        "l5pc", morph=morph, mechs=mechanisms(paths.config), params=parameters(paths.config)
    )


def protocols(config, names=None):
    """SweepProtocols of protocols.json (all, or the given names), keyed by name."""
    defs = _load(config / "protocols.json")
    soma = ephys.locations.NrnSeclistCompLocation(
        name="soma", seclist_name="somatic", sec_index=0, comp_x=0.5
    )
    out = {}
    for name, d in defs.items():
        if names is not None and name not in names:
            continue
        recs = [ephys.recordings.CompRecording(name=f"{name}.soma.v", location=soma, variable="v")]
        for r in d.get("extra_recordings", []):
            if r["type"] != "somadistance":
                raise ValueError(f"protocols.json: {name}: unknown recording type {r['type']!r}")
            loc = ephys.locations.NrnSomaDistanceCompLocation(
                name=r["name"], soma_distance=r["somadistance"], seclist_name=r["seclist_name"]
            )
            recs.append(ephys.recordings.CompRecording(name=f"{name}.{r['name']}.v", location=loc,
                                                       variable="v"))
        stims = [
            ephys.stimuli.NrnSquarePulse(
                step_amplitude=s["amp"], step_delay=s["delay"], step_duration=s["duration"],
                location=soma, total_duration=s["totduration"],
            )
            for s in d["stimuli"]
        ]
        out[name] = ephys.protocols.SweepProtocol(name, stims, recs)
    return out


def objectives(config, protos):
    """BluePyOpt's L5PC objectives: one eFEL feature per (protocol, location, feature)."""
    objs = []
    for pname, locations in _load(config / "features.json").items():
        if pname not in protos:
            continue
        stim = protos[pname].stimuli[0]
        for loc, feats in locations.items():
            threshold = -20 if loc == "soma" else -55
            stim_end = stim.total_duration if pname == "bAP" else stim.step_delay + stim.step_duration
            for fname, (mean, std) in feats.items():
                feat = ephys.efeatures.eFELFeature(
                    f"{pname}.{loc}.{fname}", efel_feature_name=fname,
                    recording_names={"": f"{pname}.{loc}.v"}, stim_start=stim.step_delay,
                    stim_end=stim_end, exp_mean=mean, exp_std=std, threshold=threshold,
                )
                objs.append(ephys.objectives.SingletonObjective(feat.name, feat))
    return objs


def run(paths, protocol_names, dt=0.025):
    """Runs the given protocols with the release parameters (fixed step, backward Euler).

    Returns (responses, scores, features, cell model)."""
    from neuron import h

    h.secondorder = 0
    sim = ephys.simulators.NrnSimulator(dt=dt, cvode_active=False)
    model = cell(paths)
    protos = protocols(paths.config, protocol_names)
    params = _load(paths.release_params)
    responses = {}
    for name in protocol_names:
        responses.update(protos[name].run(model, params, sim=sim, isolate=False))
    objs = objectives(paths.config, protos)
    calc = ephys.objectivescalculators.ObjectivesCalculator(objs)
    scores = calc.calculate_scores(responses)
    values = {o.name: o.features[0].calculate_feature(responses) for o in objs}
    return responses, scores, values, model
