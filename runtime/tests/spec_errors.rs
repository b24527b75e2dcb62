//! Bad descriptions give errors that name the offending entry, say what is wrong and, where it
//! helps, how to fix it — never a panic.

use myelin_runtime::spec::SimulationSpec;
use myelin_runtime::{BuildOptions, Simulation};
use serde_json::{json, Value};

fn err(spec: Value) -> myelin_runtime::SpecError {
    let spec: SimulationSpec = serde_json::from_value(spec).expect("well-formed JSON for the schema");
    Simulation::new(&spec, &myelin_runtime::testing::catalogue()).expect_err("must be rejected")
}

fn cell(extra: Value) -> Value {
    let mut c = json!({"name": "c", "morphology": {"sections": [
        {"name": "soma", "kind": "soma", "length": 20.0, "diam": 20.0},
        {"name": "dend", "parent": "soma", "length": 100.0, "diam": 1.0, "nseg": 3}]}});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn check(spec: Value, path: &str, message: &str, hint: Option<&str>) {
    let e = err(spec);
    assert_eq!(e.path, path, "{e}");
    assert!(e.message.contains(message), "message `{}` lacks `{message}`", e.message);
    if let Some(h) = hint {
        assert!(e.hint.as_deref().unwrap_or("").contains(h), "hint of `{e}` lacks `{h}`");
    }
}

#[test]
fn descriptions_with_errors_are_rejected_with_their_location() {
    let run = json!({"tstop": 10.0});
    check(
        json!({"cells": [cell(json!({"mechanisms": [{"mechanism": "hhh"}]}))], "run": run}),
        "cells[0].mechanisms[0].mechanism",
        "unknown mechanism `hhh`",
        Some("hh, pas"),
    );
    check(
        json!({"cells": [cell(json!({"mechanisms": [{"mechanism": "ExpSyn"}]}))], "run": run}),
        "cells[0].mechanisms[0].mechanism",
        "is a point mechanism",
        None,
    );
    check(
        json!({"cells": [cell(json!({"mechanisms": [{"mechanism": "hh", "parameters": {"m": 0.1}}]}))], "run": run}),
        "cells[0].mechanisms[0].parameters.m",
        "not a parameter of `hh`",
        Some("gnabar"),
    );
    check(
        json!({"cells": [cell(json!({"mechanisms": [{"mechanism": "pas", "parameters": {"g": "1e-4*(1+dist)"}}]}))], "run": run}),
        "cells[0].mechanisms[0].parameters.g",
        "unknown variable `dist`",
        Some("distance"),
    );
    check(
        json!({"cells": [cell(json!({"mechanisms": [{"mechanism": "pas", "parameters": {"g": "log(x - 1)"}}]}))], "run": run}),
        "cells[0].mechanisms[0].parameters.g",
        "gives NaN",
        None,
    );
    check(
        json!({"cells": [cell(json!({"mechanisms": [{"mechanism": "pas", "region": {"sections": ["axon"]}}]}))], "run": run}),
        "cells[0].mechanisms[0].region.sections[0]",
        "no section named `axon`",
        Some("soma, dend"),
    );
    check(
        json!({"cells": [cell(json!({"point_processes": [{"id": "s", "mechanism": "ExpSyn", "location": {"section": "dend", "x": 1.5}}]}))], "run": run}),
        "cells[0].point_processes[0].location.x",
        "outside 0..1",
        None,
    );
    check(
        json!({"cells": [cell(json!({}))], "connections": [{"source": {"cell": "c"}, "target": "nothing", "weight": 1.0}], "run": run}),
        "connections[0].target",
        "no point process or artificial cell `nothing`",
        None,
    );
    check(
        json!({"cells": [cell(json!({"point_processes": [{"id": "s", "mechanism": "ExpSyn", "location": {"section": "soma"}}]}))],
                 "connections": [{"source": {"cell": "c"}, "target": "s", "weight": [1.0, 2.0]}], "run": run}),
        "connections[0].weight",
        "2 weights given",
        None,
    );
    check(
        json!({"cells": [cell(json!({}))], "run": {"tstop": 1.0, "dt": 0.025, "record_dt": 0.03}}),
        "run.record_dt",
        "not a multiple of dt",
        Some("multiple"),
    );
    check(
        json!({"cells": [cell(json!({}))], "run": {"tstop": 1.0, "dt": -0.1}}),
        "run.dt",
        "must be > 0",
        None,
    );
    check(
        json!({"cells": [cell(json!({})), cell(json!({}))], "run": run}),
        "cells[1].name",
        "used twice",
        None,
    );
    check(
        json!({"cells": [cell(json!({"ions": [{"ion": "na", "erev": 50.0}]}))], "run": run}),
        "cells[0].ions[0].ion",
        "no mechanism uses ion `na`",
        None,
    );
    check(
        json!({"cells": [cell(json!({}))], "probes": [{"kind": "mechanism", "name": "m", "mechanism": "hh", "field": "m",
                 "location": {"cell": "c", "section": "soma"}}], "run": run}),
        "probes[0].mechanism",
        "not inserted anywhere",
        None,
    );
    check(
        json!({"cells": [cell(json!({"mechanisms": [{"mechanism": "hh", "region": "basal"}]}))],
                 "probes": [{"kind": "mechanism", "name": "m", "mechanism": "hh", "field": "m",
                             "location": {"cell": "c", "section": "soma"}}], "run": run}),
        "probes[0].location",
        "not inserted at soma(0.5)",
        None,
    );
    check(
        json!({"cells": [cell(json!({}))], "probes": [{"kind": "v", "name": "a/b", "location": {"cell": "c", "section": "soma"}}], "run": run}),
        "probes[0].name",
        "cannot be used as a file name",
        None,
    );
    check(
        json!({"cells": [cell(json!({}))], "stimuli": [{"type": "seclamp", "location": {"cell": "d", "section": "soma"},
                 "durations": [1, 1, 1], "amplitudes": [0, 0, 0]}], "run": run}),
        "stimuli[0].location.cell",
        "no cell named `d`",
        None,
    );
    check(
        json!({"cells": [cell(json!({}))], "stimuli": [{"type": "waveform", "location": {"cell": "c", "section": "soma"},
                 "times": [0.0, 2.0, 1.0], "amplitudes": [0.0, 1.0, 0.0]}], "run": run}),
        "stimuli[0].times[2]",
        "must not decrease",
        None,
    );
    check(
        json!({"cells": [{"name": "c", "morphology": {"sections": [{"name": "a", "length": 10.0, "diam": 0.0}]}}], "run": run}),
        "cells[0].morphology (section `a`)",
        "diameter 0",
        None,
    );
    check(
        json!({"cells": [{"name": "c", "morphology": {"sections": [{"name": "a", "length": 10.0, "diam": 1.0},
                 {"name": "b", "parent": "x", "length": 10.0, "diam": 1.0}]}}], "run": run}),
        "cells[0].morphology.sections[1]",
        "parent section `x`",
        None,
    );
    check(
        json!({"cells": [{"name": "c", "morphology": {"file": "cell.swc"}}], "run": run}),
        "cells[0].morphology.file",
        "no morphology reader",
        None,
    );
    check(
        json!({"globals": {"hh": {"gnabar": 1.0}}, "run": run}),
        "globals.hh.gnabar",
        "not a settable global",
        Some("usetable"),
    );
}

#[test]
fn file_morphologies_use_the_loader_relative_to_the_description() {
    let spec: SimulationSpec = serde_json::from_value(json!({
        "cells": [{"name": "c", "morphology": {"file": "cells/x.json"}}], "run": {"tstop": 1.0}
    }))
    .unwrap();
    let seen = std::cell::RefCell::new(None);
    let loader = |p: &std::path::Path| -> Result<myelin_runtime::morph::Morphology, String> {
        *seen.borrow_mut() = Some(p.to_path_buf());
        Err("bad file".into())
    };
    let base = std::path::PathBuf::from("/data");
    let opts = BuildOptions { base_dir: Some(&base), load_morphology: Some(&loader) };
    let e = Simulation::build(&spec, &myelin_runtime::testing::catalogue(), &opts).unwrap_err();
    assert_eq!(seen.borrow().as_deref(), Some(std::path::Path::new("/data/cells/x.json")));
    assert!(e.message.contains("bad file") && e.message.contains("/data/cells/x.json"), "{e}");
}

#[test]
fn absurd_sizes_are_errors_not_crashes() {
    let cyl = |nseg: Value| json!({"name": "c", "nseg": nseg, "morphology": {"sections": [{"name": "a", "length": 1e9, "diam": 1.0}]}});
    let e = err(json!({"cells": [cyl(json!({"fixed": 100000}))], "run": {"tstop": 1.0}}));
    assert!(e.message.contains("NEURON allows 1 to 32767"), "{e}");
    let e = err(json!({"cells": [cyl(json!("per40um"))], "run": {"tstop": 1.0}}));
    assert!(e.message.contains("nseg"), "{e}");
    let e = err(
        json!({"cells": [cyl(json!({"d_lambda": {"frequency": 1e30, "d_lambda": 1e-30}}))], "run": {"tstop": 1.0}}),
    );
    assert!(e.message.contains("nseg"), "{e}");
    let e = err(json!({"run": {"tstop": 1e20, "dt": 1e-9}}));
    assert_eq!(e.path, "run.tstop");
}
