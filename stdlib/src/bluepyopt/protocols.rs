//! Protocols: current steps (and holding currents) at the soma, and the recordings they make.
//!
//! Three file formats are read:
//! * BluePyOpt's example `protocols.json`: `{name: {"stimuli": [{delay, amp, duration,
//!   totduration}, …], "extra_recordings": [{type, name, var, somadistance, seclist_name}]}}`;
//!   every stimulus is an `NrnSquarePulse` at `soma[0](0.5)` (the second one of the Step
//!   protocols is the holding current);
//! * BluePyEModel's legacy protocols: `{name: {"type", "stimuli": {"step": {delay, amp,
//!   thresh_perc, duration, totduration}, "holding": {…}}, "extra_recordings": […]}}`;
//! * BluePyEModel's features file with a `protocols` list (`{name, stimuli: [{…,
//!   holding_current}], recordings_from_config | recordings: [{type, name, location, variable}]}`).
//!
//! Every protocol records `soma.v`; extra recordings are named `<name>.<var>`.

use super::error::ConfigError;
use super::json::{Document, Json, Node};
use super::model::Origin;

/// A stimulus amplitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amplitude {
    /// nA.
    Absolute(f64),
    /// A percentage of the cell's threshold current (BluePyEModel's `thresh_perc`).
    ThresholdPercent(f64),
    /// The cell's holding current (`amp: null` in a holding stimulus).
    HoldingCurrent,
}

/// A square current pulse at `soma[0](0.5)` (NEURON's IClamp; BluePyOpt's `NrnSquarePulse`).
#[derive(Debug, Clone, PartialEq)]
pub struct Stimulus {
    /// Onset (ms).
    pub delay: f64,
    /// Duration (ms).
    pub duration: f64,
    /// Amplitude.
    pub amplitude: Amplitude,
    /// The protocol's length (ms) as this stimulus sets it.
    pub total_duration: f64,
    /// Where it was defined.
    pub origin: Origin,
}

/// Where a recording is made.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordingLocation {
    /// `soma[0](0.5)`.
    Soma,
    /// `axon[0](0.5)` (BluePyEModel's `ais`).
    Ais,
    /// BluePyOpt's `NrnSomaDistanceCompLocation`: the last section of the list reaching that
    /// path distance from the soma.
    SomaDistance {
        /// Section list.
        seclist: String,
        /// Distance (µm).
        distance: f64,
    },
    /// BluePyEModel's `somadistanceapic`: that distance along the apical trunk (the branch
    /// reaching furthest from the soma).
    TrunkDistance {
        /// Section list.
        seclist: String,
        /// Distance (µm).
        distance: f64,
    },
    /// `NrnSeclistCompLocation`: section `index` of a list, at `x`.
    SeclistComp {
        /// Section list.
        seclist: String,
        /// Index in the list.
        index: usize,
        /// Position.
        x: f64,
    },
}

/// One recorded variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// Short name (`soma`, `dend1`, …); the output is `<protocol>.<name>.<var>`.
    pub name: String,
    /// NEURON variable (`v`, `cai`, `ik`, `m_NaTs2_t`, …).
    pub var: String,
    /// Where.
    pub location: RecordingLocation,
    /// Where it was defined.
    pub origin: Origin,
}

/// A protocol: stimuli and recordings.
#[derive(Debug, Clone, PartialEq)]
pub struct Protocol {
    /// Name.
    pub name: String,
    /// Stimuli.
    pub stimuli: Vec<Stimulus>,
    /// Recordings, `soma.v` first.
    pub recordings: Vec<Recording>,
    /// Where it was defined.
    pub origin: Origin,
    /// Why the protocol cannot be run (a search such as BluePyEModel's `RinHoldcurrent`), if so.
    pub unsupported: Option<ConfigError>,
}

impl Protocol {
    /// Simulated time: the longest total duration of its stimuli.
    pub fn total_duration(&self) -> f64 {
        self.stimuli.iter().map(|s| s.total_duration).fold(0.0, f64::max)
    }

    /// Output names of its recordings, `<protocol>.<name>.<var>`.
    pub fn recording_names(&self) -> Vec<String> {
        self.recordings.iter().map(|r| format!("{}.{}.{}", self.name, r.name, r.var)).collect()
    }
}

fn origin(n: &Node<'_>) -> Origin {
    Origin { file: n.file.to_string(), path: n.path.clone() }
}

fn soma_v(n: &Node<'_>) -> Recording {
    Recording { name: "soma".into(), var: "v".into(), location: RecordingLocation::Soma, origin: origin(n) }
}

/// Section arrays (`soma`, `axon`, `dend`, `apic`) name the section list of their type.
fn seclist_name(name: &str) -> String {
    match name {
        "soma" => "somatic",
        "axon" => "axonal",
        "dend" => "basal",
        "apic" => "apical",
        other => other,
    }
    .to_string()
}

fn extra_recording(r: &Node<'_>) -> Result<Recording, ConfigError> {
    let ty = r.req("type")?;
    let name = r.req("name")?.str()?.to_string();
    let var = match r.get("var").or_else(|| r.get("variable")) {
        Some(v) => v.str()?.to_string(),
        None => "v".to_string(),
    };
    let seclist = || -> Result<String, ConfigError> { Ok(seclist_name(r.req("seclist_name")?.str()?)) };
    let location = match ty.str()? {
        "somadistance" => {
            RecordingLocation::SomaDistance { seclist: seclist()?, distance: r.req("somadistance")?.f64()? }
        }
        "somadistanceapic" => {
            RecordingLocation::TrunkDistance { seclist: seclist()?, distance: r.req("somadistance")?.f64()? }
        }
        "nrnseclistcomp" => {
            let idx = r.req("sec_index")?;
            let i = idx.f64()?;
            if i < 0.0 || i.fract() != 0.0 {
                return Err(idx.error(format!("{i} is not a section index")));
            }
            let x = match r.get("comp_x") {
                Some(x) => x.f64()?,
                None => 0.5,
            };
            RecordingLocation::SeclistComp { seclist: seclist()?, index: i as usize, x }
        }
        "CompRecording" => match r.req("location")?.str()? {
            "soma" => RecordingLocation::Soma,
            "ais" => RecordingLocation::Ais,
            other => {
                return Err(r
                    .req("location")?
                    .error(format!("unknown location `{other}`"))
                    .hint("CompRecording locations: soma, ais"))
            }
        },
        other => {
            return Err(ty
                .error(format!("unknown recording type `{other}`"))
                .hint("types: somadistance, somadistanceapic, nrnseclistcomp, CompRecording"))
        }
    };
    Ok(Recording { name, var, location, origin: origin(r) })
}

fn square(s: &Node<'_>, amplitude: Amplitude) -> Result<Stimulus, ConfigError> {
    let delay = s.req("delay")?.f64()?;
    let duration = s.req("duration")?.f64()?;
    let total_duration = s.req("totduration")?.f64()?;
    if duration < 0.0 || delay < 0.0 || total_duration <= 0.0 {
        return Err(s.error("delay and duration must be ≥ 0 and totduration > 0"));
    }
    Ok(Stimulus { delay, duration, amplitude, total_duration, origin: origin(s) })
}

fn step_amplitude(s: &Node<'_>, threshold_based: bool) -> Result<Amplitude, ConfigError> {
    if threshold_based || s.get("amp").is_none() {
        if let Some(p) = s.get("thresh_perc") {
            return Ok(Amplitude::ThresholdPercent(p.f64()?));
        }
    }
    match s.get("amp") {
        Some(a) => Ok(Amplitude::Absolute(a.f64()?)),
        None => Err(s.error("the step has neither `amp` nor `thresh_perc`")),
    }
}

/// Reads every protocol of a protocols file (BluePyOpt's example format or BluePyEModel's
/// legacy format, told apart per protocol by `stimuli` being a list or an object) or of a
/// BluePyEModel features file with a `protocols` list.
pub fn read(doc: &Document) -> Result<Vec<Protocol>, ConfigError> {
    let root = doc.node();
    if let (Some(list), true) = (root.get("protocols"), root.has("efeatures")) {
        return list.items()?.iter().map(read_new).collect();
    }
    let mut out = Vec::new();
    for (name, p) in root.entries()? {
        if let Some(t) = p.get("type") {
            let ty = t.str()?;
            if !["StepProtocol", "StepThresholdProtocol"].contains(&ty) {
                // RatSSCx pre-protocols (Main, RinHoldcurrent, ThresholdDetection) are searches,
                // not protocols one can run on their own; an error only when asked for.
                out.push(Protocol {
                    name: name.to_string(),
                    stimuli: vec![],
                    recordings: vec![],
                    origin: origin(&p),
                    unsupported: Some(
                        t.error(format!("protocol type `{ty}` cannot be run directly"))
                            .hint("runnable types: StepProtocol, StepThresholdProtocol"),
                    ),
                });
                continue;
            }
        }
        let stimuli = p.req("stimuli")?;
        let mut recordings = vec![soma_v(&p)];
        if let Some(extra) = p.get("extra_recordings") {
            for r in extra.items()? {
                recordings.push(extra_recording(&r)?);
            }
        }
        let stims = match stimuli.v {
            Json::Array(_) => {
                let mut v = Vec::new();
                for s in stimuli.items()? {
                    v.push(square(&s, Amplitude::Absolute(s.req("amp")?.f64()?))?);
                }
                v
            }
            Json::Object(_) => {
                let threshold_based =
                    matches!(p.get("type").map(|t| t.str()).transpose()?, Some("StepThresholdProtocol"));
                let mut v = Vec::new();
                let step = stimuli.req("step")?;
                if matches!(step.v, Json::Array(_)) {
                    return Err(step
                        .error("a list of steps (multi-pulse SSCx protocol) is not supported")
                        .hint("BluePyEModel cannot run these either; only the legacy SSCx evaluator can"));
                }
                if let Some(h) = stimuli.get("holding") {
                    let amp = match h.get("amp") {
                        Some(a) => Amplitude::Absolute(a.f64()?),
                        None => Amplitude::HoldingCurrent,
                    };
                    v.push(square(&h, amp)?);
                }
                v.insert(0, square(&step, step_amplitude(&step, threshold_based)?)?);
                v
            }
            _ => return Err(stimuli.error("expected a list of stimuli or {\"step\", \"holding\"}")),
        };
        if stims.is_empty() {
            return Err(stimuli.error("the protocol has no stimulus"));
        }
        out.push(Protocol {
            name: name.to_string(),
            stimuli: stims,
            recordings,
            origin: origin(&p),
            unsupported: None,
        });
    }
    Ok(out)
}

fn read_new(p: &Node<'_>) -> Result<Protocol, ConfigError> {
    let name = p.req("name")?.str()?.to_string();
    let threshold_based = match p.get("protocol_type") {
        Some(t) => t.str()? != "Protocol",
        None => false,
    };
    let stimuli = p.req("stimuli")?.items()?;
    let [s] = &stimuli[..] else {
        return Err(p.req("stimuli")?.error("exactly one stimulus is supported (as in BluePyEModel)"));
    };
    let mut stims = vec![square(s, step_amplitude(s, threshold_based)?)?];
    if let Some(h) = s.get("holding_current") {
        let mut hold = square(s, Amplitude::Absolute(h.f64()?))?;
        hold.delay = 0.0;
        hold.duration = hold.total_duration;
        stims.push(hold);
    } else if threshold_based {
        let mut hold = square(s, Amplitude::HoldingCurrent)?;
        hold.delay = 0.0;
        hold.duration = hold.total_duration;
        stims.push(hold);
    }
    let recs = p.get("recordings_from_config").or_else(|| p.get("recordings"));
    let mut recordings = Vec::new();
    if let Some(list) = recs {
        for r in list.items()? {
            let mut rec = extra_recording(&r)?;
            // Names are written in full (`IDrest_150.soma.v`); keep the middle part.
            let prefix = format!("{name}.");
            let suffix = format!(".{}", rec.var);
            if let Some(s) = rec.name.strip_prefix(&prefix) {
                rec.name = s.strip_suffix(&suffix).unwrap_or(s).to_string();
            }
            recordings.push(rec);
        }
    }
    if !recordings.iter().any(|r| r.name == "soma" && r.var == "v") {
        recordings.insert(0, soma_v(p));
    }
    Ok(Protocol { name, stimuli: stims, recordings, origin: origin(p), unsupported: None })
}

/// The protocol named `name` among `all`, or an error listing the names.
pub fn find<'a>(all: &'a [Protocol], name: &str, file: &str) -> Result<&'a Protocol, ConfigError> {
    match all.iter().find(|p| p.name == name) {
        Some(p) if p.unsupported.is_some() => {
            Err(p.unsupported.clone().unwrap_or_else(|| p.origin.error("cannot be run")))
        }
        Some(p) => Ok(p),
        None => Err(ConfigError::new(file, "", format!("no protocol named `{name}`")).hint(format!(
            "protocols in this file: {}",
            all.iter()
                .filter(|p| p.unsupported.is_none())
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        Document::parse("protocols.json", text.to_string()).unwrap()
    }

    #[test]
    fn bluepyopt_example_format() {
        let d = doc(r#"{"bAP": {"stimuli": [{"delay": 295, "amp": 1.9, "duration": 5, "totduration": 600}],
            "extra_recordings": [{"var": "v", "somadistance": 660, "type": "somadistance", "name": "dend1", "seclist_name": "apical"}]},
            "Step1": {"stimuli": [{"delay": 700, "amp": 0.458, "duration": 2000, "totduration": 3000},
                                  {"delay": 0, "amp": -0.126, "duration": 3000, "totduration": 3000}]}}"#);
        let ps = read(&d).unwrap();
        assert_eq!(ps[0].recording_names(), ["bAP.soma.v", "bAP.dend1.v"]);
        assert_eq!(
            ps[0].recordings[1].location,
            RecordingLocation::SomaDistance { seclist: "apical".into(), distance: 660.0 }
        );
        assert_eq!(ps[1].stimuli.len(), 2);
        assert_eq!(ps[1].total_duration(), 3000.0);
        let e = find(&ps, "Step9", "protocols.json").unwrap_err();
        assert!(e.hint.unwrap().contains("bAP, Step1"));
    }

    #[test]
    fn bpem_legacy_format() {
        let d = doc(r#"{"Main": {"type": "RatSSCxMainProtocol"},
            "Step_150": {"type": "StepThresholdProtocol", "stimuli": {"step": {"delay": 700, "amp": null, "thresh_perc": 148.7, "duration": 2000, "totduration": 3000},
               "holding": {"delay": 0, "amp": null, "duration": 3000, "totduration": 3000}},
             "extra_recordings": [{"var": "cai", "comp_x": 0.5, "type": "nrnseclistcomp", "name": "ca_soma", "seclist_name": "soma", "sec_index": 0}]},
            "RMP": {"type": "StepProtocol", "stimuli": {"step": {"delay": 700, "amp": 0, "duration": 1000, "totduration": 1700}}}}"#);
        let ps = read(&d).unwrap();
        let s = find(&ps, "Step_150", "p").unwrap();
        assert_eq!(s.stimuli[0].amplitude, Amplitude::ThresholdPercent(148.7));
        assert_eq!(s.stimuli[1].amplitude, Amplitude::HoldingCurrent);
        assert_eq!(s.recording_names(), ["Step_150.soma.v", "Step_150.ca_soma.cai"]);
        assert_eq!(
            s.recordings[1].location,
            RecordingLocation::SeclistComp { seclist: "somatic".into(), index: 0, x: 0.5 }
        );
        assert_eq!(find(&ps, "RMP", "p").unwrap().stimuli[0].amplitude, Amplitude::Absolute(0.0));
        let e = find(&ps, "Main", "p").unwrap_err();
        assert_eq!(e.path, "Main.type");
        assert!(e.message.contains("cannot be run directly"), "{e}");
    }

    #[test]
    fn bpem_features_file_protocols() {
        let d = doc(
            r#"{"efeatures": [], "protocols": [{"name": "IDrest_150", "protocol_type": "ThresholdBasedProtocol",
            "stimuli": [{"delay": 250, "amp": 0.3, "thresh_perc": 150, "duration": 1350, "totduration": 1850, "holding_current": -0.1}],
            "recordings_from_config": [{"type": "CompRecording", "name": "IDrest_150.soma.v", "location": "soma", "variable": "v"}]}]}"#,
        );
        let ps = read(&d).unwrap();
        assert_eq!(ps[0].stimuli[0].amplitude, Amplitude::ThresholdPercent(150.0));
        assert_eq!(ps[0].stimuli[1].amplitude, Amplitude::Absolute(-0.1));
        assert_eq!(ps[0].recording_names(), ["IDrest_150.soma.v"]);
    }
}
