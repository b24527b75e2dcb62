//! Output files: traces as CSV (`t_ms,<column>`, shortest round-trip numbers) with an SVG plot
//! each, JSON documents, and sweep tables.

use super::{plot, TraceData};
use std::fmt::Write as _;
use std::path::Path;

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create `{}`: {e}", d.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

/// Writes `<name>.csv` and `<name>.svg` for every trace into `dir`; returns the number of files.
pub fn write_traces(dir: &Path, traces: &[TraceData]) -> Result<usize, String> {
    for tr in traces {
        let mut s = String::with_capacity(tr.t.len() * 24 + 16);
        let _ = writeln!(s, "t_ms,{}", tr.column);
        for (t, v) in tr.t.iter().zip(&tr.values) {
            let _ = writeln!(s, "{t},{v}");
        }
        write(&dir.join(format!("{}.csv", tr.name)), &s)?;
        let ylabel =
            if tr.unit.is_empty() { tr.column.clone() } else { format!("{} ({})", tr.column, tr.unit) };
        let svg = plot::line_plot(&tr.name, "t (ms)", &ylabel, &[(&tr.t, &tr.values)]);
        write(&dir.join(format!("{}.svg", tr.name)), &svg)?;
    }
    Ok(2 * traces.len())
}

/// Writes a JSON document (pretty, NaN and infinities as null).
pub fn write_json(path: &Path, v: &serde_json::Value) -> Result<usize, String> {
    let text = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    write(path, &(text + "\n"))?;
    Ok(1)
}

/// Writes `<stem>.csv` (the parameter, then one column per value collected in the rows) and
/// `<stem>.svg` (each column against the parameter); the stem is `sweep_<param>`, numbered for a
/// later sweep over the same parameter.
pub fn write_sweep(
    dir: &Path,
    stem: &str,
    param: &str,
    column: &str,
    unit: &str,
    rows: &[(f64, Vec<(String, f64)>)],
) -> Result<usize, String> {
    let mut cols: Vec<String> = Vec::new();
    for (_, r) in rows {
        for (n, _) in r {
            if !cols.contains(n) {
                cols.push(n.clone());
            }
        }
    }
    let mut s = String::new();
    let _ = write!(s, "{column}");
    for c in &cols {
        let _ = write!(s, ",{c}");
    }
    s.push('\n');
    for (x, r) in rows {
        let _ = write!(s, "{x}");
        for c in &cols {
            match r.iter().find(|(n, _)| n == c).map(|(_, v)| *v).filter(|v| v.is_finite()) {
                Some(v) => {
                    let _ = write!(s, ",{v}");
                }
                None => s.push(','),
            }
        }
        s.push('\n');
    }
    write(&dir.join(format!("{stem}.csv")), &s)?;
    let xs: Vec<f64> = rows.iter().map(|(x, _)| *x).collect();
    let series: Vec<(String, Vec<f64>)> = cols
        .iter()
        .map(|c| {
            (
                c.clone(),
                rows.iter()
                    .map(|(_, r)| r.iter().find(|(n, _)| n == c).map(|(_, v)| *v).unwrap_or(f64::NAN))
                    .collect(),
            )
        })
        .collect();
    let xlabel = if unit.is_empty() { param.to_string() } else { format!("{param} ({unit})") };
    let svg = plot::panels(&format!("sweep of {param}"), &xlabel, &xs, &series);
    write(&dir.join(format!("{stem}.svg")), &svg)?;
    Ok(2)
}
