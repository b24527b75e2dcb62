//! `myelin features`: eFEL-compatible features of a voltage trace stored as CSV, printed as one
//! JSON object mapping each requested feature to its value array, or `null` where eFEL gives
//! None.

use super::{EXIT_INPUT, EXIT_USAGE};
use clap::Args;
use myelin_compiler::diag::{Diagnostic, SourceMap, Span};
use myelin_stdlib::efeatures::{Feature, FeatureExtractor, Settings, Trace};
use myelin_stdlib::trace_csv::{read_trace_csv, ReadError};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `myelin features`.
#[derive(Args, Debug)]
pub struct FeaturesArgs {
    /// Trace file: a header line, then rows whose first two columns are t (ms) and v (mV).
    pub trace: PathBuf,
    /// Stimulus start (ms).
    #[arg(long, allow_hyphen_values = true)]
    pub stim_start: f64,
    /// Stimulus end (ms); must be larger than the start.
    #[arg(long, allow_hyphen_values = true)]
    pub stim_end: f64,
    /// Spike detection threshold (mV).
    #[arg(long, default_value_t = -20.0, allow_hyphen_values = true)]
    pub threshold: f64,
    /// Interpolation step (ms), eFEL's `interp_step`.
    #[arg(long, default_value_t = 0.1)]
    pub interp_step: f64,
    /// Keep only spikes inside the stimulus window (eFEL's `strict_stiminterval`).
    #[arg(long)]
    pub strict_stiminterval: bool,
    /// Injected current (nA), needed by the input resistance features.
    #[arg(long, allow_hyphen_values = true)]
    pub stimulus_current: Option<f64>,
    /// An eFEL feature name, e.g. `AP_amplitude` (repeat the option for several).
    #[arg(long = "feature", value_name = "NAME", required = true)]
    pub features: Vec<String>,
}

/// Error codes of this command.
const E_UNKNOWN_FEATURE: &str = "E0801";
const E_TRACE_FILE: &str = "E0802";
const E_TRACE_CONTENT: &str = "E0803";
const E_SETTINGS: &str = "E0804";

/// A failed run: the exit code and what to tell the user.
struct Failure {
    code: u8,
    diagnostics: Vec<Diagnostic>,
}

impl Failure {
    fn new(code: u8, diagnostic: Diagnostic) -> Failure {
        Failure { code, diagnostics: vec![diagnostic] }
    }
}

/// Runs the command.
pub fn run(args: FeaturesArgs) -> ExitCode {
    let mut sources = SourceMap::new();
    match execute(&args, &mut sources) {
        Ok(json) => {
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(json.as_bytes()).and_then(|_| stdout.flush()).is_err() {
                return ExitCode::from(EXIT_INPUT);
            }
            ExitCode::SUCCESS
        }
        Err(f) => {
            sources.emit_stderr(&f.diagnostics);
            ExitCode::from(f.code)
        }
    }
}

/// Does the work of [`run`], returning the JSON text or the failure.
fn execute(args: &FeaturesArgs, sources: &mut SourceMap) -> Result<String, Failure> {
    let mut features: Vec<Feature> = Vec::with_capacity(args.features.len());
    let mut unknown = Vec::new();
    for name in &args.features {
        match name.parse::<Feature>() {
            Ok(f) if !features.contains(&f) => features.push(f),
            Ok(_) => {}
            Err(e) => {
                let mut d = Diagnostic::error(E_UNKNOWN_FEATURE, format!("unknown feature `{}`", e.name));
                if let Some(s) = e.suggestion {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                unknown.push(d.with_note("docs/features.md lists the supported features"));
            }
        }
    }
    if !unknown.is_empty() {
        return Err(Failure { code: EXIT_INPUT, diagnostics: unknown });
    }

    let mut settings = Settings::new(args.stim_start, args.stim_end);
    settings.threshold = args.threshold;
    settings.interp_step = args.interp_step;
    settings.strict_stiminterval = args.strict_stiminterval;
    settings.stimulus_current = args.stimulus_current;
    settings.validate().map_err(|e| {
        Failure::new(
            EXIT_USAGE,
            Diagnostic::error(E_SETTINGS, e.to_string())
                .with_hint("check --stim-start, --stim-end and --interp-step"),
        )
    })?;

    let cannot_read = |e: std::io::Error| {
        let msg = format!("cannot read trace file `{}`: {e}", args.trace.display());
        Failure::new(EXIT_INPUT, Diagnostic::error(E_TRACE_FILE, msg))
    };
    // Streamed: a long trace is never held as text. The text is read again only to show an error.
    let file = std::fs::File::open(&args.trace).map_err(cannot_read)?;
    let columns = read_trace_csv(file).map_err(|e| match e {
        ReadError::Io(e) => cannot_read(e),
        ReadError::Csv(e) => {
            let message = format!("malformed trace: {}", e.message);
            let mut d = match std::fs::read(&args.trace) {
                Ok(bytes) => {
                    let (start, end) = (lossy_offset(&bytes, e.span.start), lossy_offset(&bytes, e.span.end));
                    let id = sources.add(&args.trace, String::from_utf8_lossy(&bytes).into_owned());
                    Diagnostic::error(E_TRACE_CONTENT, message)
                        .with_primary(Span::new(id, start, end), "here")
                }
                Err(_) => Diagnostic::error(
                    E_TRACE_CONTENT,
                    format!("{}:{}: {message}", args.trace.display(), e.line),
                ),
            };
            if let Some(h) = e.hint {
                d = d.with_hint(h);
            }
            Failure::new(EXIT_INPUT, d)
        }
    })?;
    let trace = Trace::new(&columns.time, &columns.voltage).map_err(|e| {
        let msg = format!("malformed trace `{}`: {e}", args.trace.display());
        Failure::new(EXIT_INPUT, Diagnostic::error(E_TRACE_CONTENT, msg))
    })?;
    // The settings were checked above, so what can fail here is the grid the trace's span
    // needs: the trace (and the step) decide it, and the trace is the input.
    let mut extractor = FeatureExtractor::new(trace, settings).map_err(|e| {
        let msg = format!("trace `{}`: {e}", args.trace.display());
        Failure::new(
            EXIT_INPUT,
            Diagnostic::error(E_TRACE_CONTENT, msg).with_hint(format!(
                "the trace spans {} ms; check its time column, or give a larger --interp-step",
                columns.time.last().copied().unwrap_or(0.0) - columns.time.first().copied().unwrap_or(0.0)
            )),
        )
    })?;

    let mut out = String::with_capacity(64 * features.len());
    out.push('{');
    for (i, &f) in features.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "\"{}\": ", f.name());
        match extractor.get(f) {
            None => out.push_str("null"),
            Some(values) => {
                out.push('[');
                for (k, x) in values.iter().enumerate() {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    // JSON has no NaN or infinity; such elements are written as null.
                    if x.is_finite() {
                        let _ = write!(out, "{x:?}");
                    } else {
                        out.push_str("null");
                    }
                }
                out.push(']');
            }
        }
    }
    out.push_str("}\n");
    Ok(out)
}

/// Where byte `at` of `bytes` lands in `String::from_utf8_lossy(bytes)`, in which every invalid
/// sequence became U+FFFD (three bytes): the reader's spans count raw bytes, the shown text does
/// not.
fn lossy_offset(bytes: &[u8], at: usize) -> usize {
    let (mut raw, mut shown) = (0, 0);
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid().len();
        if at <= raw + valid {
            return shown + (at - raw);
        }
        raw += valid;
        shown += valid;
        let invalid = chunk.invalid().len();
        if invalid > 0 {
            if at < raw + invalid {
                return shown;
            }
            raw += invalid;
            shown += char::REPLACEMENT_CHARACTER.len_utf8();
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(trace: PathBuf, features: &[&str]) -> FeaturesArgs {
        FeaturesArgs {
            trace,
            stim_start: 20.0,
            stim_end: 80.0,
            threshold: -20.0,
            interp_step: 0.1,
            strict_stiminterval: false,
            stimulus_current: None,
            features: features.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("myelin-features-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn one_spike() -> String {
        let mut s = String::from("t_ms,v_mV\n");
        for i in 0..2000 {
            let t = i as f64 * 0.05;
            let v = if (40.0..41.0).contains(&t) { 20.0 } else { -70.0 };
            s.push_str(&format!("{t},{v}\n"));
        }
        s
    }

    #[test]
    fn byte_offsets_map_into_the_lossy_text() {
        let bytes = b"ab\xffcd\xe2\x82";
        let shown = String::from_utf8_lossy(bytes);
        assert_eq!(shown, "ab\u{fffd}cd\u{fffd}");
        assert_eq!(lossy_offset(bytes, 0), 0);
        assert_eq!(lossy_offset(bytes, 2), 2);
        assert_eq!(lossy_offset(bytes, 3), 5);
        assert_eq!(lossy_offset(bytes, 5), 7);
        assert_eq!(lossy_offset(bytes, 7), 10);
    }

    #[test]
    fn prints_values_and_nulls_in_request_order() {
        let path = write("one_spike.csv", &one_spike());
        let a = args(path, &["Spikecount", "ISI_CV", "voltage_base", "Spikecount"]);
        let json = execute(&a, &mut SourceMap::new()).ok().unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["Spikecount"], serde_json::json!([1.0]));
        assert_eq!(v["ISI_CV"], serde_json::Value::Null);
        assert_eq!(v["voltage_base"], serde_json::json!([-70.0]));
        assert!(json.starts_with("{\"Spikecount\": [1.0], \"ISI_CV\": null"), "{json}");
    }

    #[test]
    fn errors_carry_exit_codes_and_locations() {
        let path = write("good.csv", &one_spike());
        let mut sources = SourceMap::new();
        let e = execute(&args(path.clone(), &["AP_hieght"]), &mut sources).err().unwrap();
        assert_eq!(e.code, EXIT_INPUT);
        let text = sources.render(&e.diagnostics);
        assert!(
            text.contains("unknown feature `AP_hieght`") && text.contains("did you mean `AP_height`?"),
            "{text}"
        );

        let mut a = args(path, &["AP_height"]);
        a.stim_end = 10.0;
        assert_eq!(execute(&a, &mut SourceMap::new()).err().unwrap().code, EXIT_USAGE);

        let bad = write("bad.csv", "t,v\n0,1\n0.1,oops\n0.2,3\n");
        let mut sources = SourceMap::new();
        let e = execute(&args(bad, &["AP_height"]), &mut sources).err().unwrap();
        assert_eq!(e.code, EXIT_INPUT);
        let text = sources.render(&e.diagnostics);
        assert!(text.contains("bad.csv:3:5") && text.contains("voltage `oops` is not a number"), "{text}");

        // A trace whose span needs a grid too large for memory is a bad input, not bad usage.
        let long = write("long.csv", "t,v\n0,-70\n1,-70\n1e13,-70\n");
        let mut sources = SourceMap::new();
        let e = execute(&args(long, &["AP_height"]), &mut sources).err().unwrap();
        assert_eq!(e.code, EXIT_INPUT);
        let text = sources.render(&e.diagnostics);
        assert!(text.contains("the trace spans 10000000000000 ms"), "{text}");

        // A line with invalid UTF-8: the underline covers the whole line as shown (each invalid
        // byte is one replacement character of three bytes in the shown text).
        let bytes = b"t,v\n0,1 \xff\xfe\n0.1,2\n0.2,3\n";
        let bad = std::env::temp_dir().join(format!("myelin-features-{}-latin.csv", std::process::id()));
        std::fs::write(&bad, bytes).unwrap();
        let mut sources = SourceMap::new();
        let e = execute(&args(bad, &["AP_height"]), &mut sources).err().unwrap();
        let text = sources.render(&e.diagnostics);
        assert!(text.contains("2 │ 0,1 \u{fffd}\u{fffd}\n  │ ^^^^^^ here"), "{text}");

        let missing = std::env::temp_dir().join("myelin-no-such-trace.csv");
        assert_eq!(
            execute(&args(missing, &["AP_height"]), &mut SourceMap::new()).err().unwrap().code,
            EXIT_INPUT
        );
    }
}
