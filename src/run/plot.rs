//! Hand-written SVG plots (no fonts or libraries needed: the viewer renders the text). Long
//! traces are reduced to the minimum and maximum of each pixel column, so spikes survive.

use std::fmt::Write as _;

const W: f64 = 760.0;
const H: f64 = 260.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 45.0;
const COLORS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Tick positions: a 1-2-5 step giving about 5 ticks over [lo, hi].
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = hi - lo;
    if span.is_nan() || span <= 0.0 || !span.is_finite() {
        return vec![lo];
    }
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| span / s <= 6.0).unwrap_or(10.0 * mag);
    let mut t = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while t <= hi + step * 1e-9 && out.len() < 20 {
        out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        t += step;
    }
    out
}

fn range(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for x in v.filter(|x| x.is_finite()) {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 * hi.abs().max(1.0) {
        return (lo - 1.0, hi + 1.0);
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad, hi + pad)
}

/// One panel: axes, ticks, labels and polylines, at vertical offset `y0`.
fn panel(svg: &mut String, y0: f64, title: &str, xlabel: &str, ylabel: &str, series: &[(&[f64], &[f64])]) {
    let (x0, x1) = range(series.iter().flat_map(|(x, _)| x.iter().copied()));
    let (v0, v1) = range(series.iter().flat_map(|(_, y)| y.iter().copied()));
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let sx = |x: f64| LEFT + (x - x0) / (x1 - x0) * pw;
    let sy = |y: f64| y0 + TOP + (v1 - y) / (v1 - v0) * ph;
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" font-size="14" text-anchor="middle">{}</text>"#,
        W / 2.0,
        y0 + 18.0,
        esc(title)
    );
    let _ = writeln!(
        svg,
        r##"<rect x="{LEFT}" y="{}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>"##,
        y0 + TOP
    );
    for t in ticks(x0, x1) {
        let x = sx(t);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#444"/><text x="{x:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text>"##,
            y0 + TOP + ph,
            y0 + TOP + ph + 5.0,
            y0 + TOP + ph + 18.0,
            fmt(t)
        );
    }
    for t in ticks(v0, v1) {
        let y = sy(t);
        let _ = writeln!(
            svg,
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{LEFT}" y2="{y:.1}" stroke="#444"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"##,
            LEFT - 5.0,
            LEFT - 8.0,
            y + 4.0,
            fmt(t)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text>"#,
        LEFT + pw / 2.0,
        y0 + H - 8.0,
        esc(xlabel)
    );
    let _ = writeln!(
        svg,
        r#"<text x="16" y="{}" font-size="12" text-anchor="middle" transform="rotate(-90 16 {})">{}</text>"#,
        y0 + TOP + ph / 2.0,
        y0 + TOP + ph / 2.0,
        esc(ylabel)
    );
    for (k, (xs, ys)) in series.iter().enumerate() {
        let pts = reduce(xs, ys, pw as usize, x0, x1);
        let mut d = String::with_capacity(pts.len() * 14);
        for (x, y) in pts {
            let _ = write!(d, "{:.1},{:.1} ", sx(x), sy(y));
        }
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{}" stroke-width="1.2" points="{}"/>"#,
            COLORS[k % COLORS.len()],
            d.trim_end()
        );
    }
}

fn fmt(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// At most two points (min and max, in time order) per pixel column; NaN points are dropped.
fn reduce(xs: &[f64], ys: &[f64], cols: usize, x0: f64, x1: f64) -> Vec<(f64, f64)> {
    let pts: Vec<(f64, f64)> =
        xs.iter().zip(ys).map(|(a, b)| (*a, *b)).filter(|(a, b)| a.is_finite() && b.is_finite()).collect();
    if pts.len() <= 2 * cols {
        return pts;
    }
    let mut out = Vec::with_capacity(2 * cols + 2);
    let col = |x: f64| (((x - x0) / (x1 - x0)) * cols as f64).floor() as i64;
    let mut i = 0;
    while i < pts.len() {
        let c = col(pts[i].0);
        let (mut lo, mut hi) = (i, i);
        let mut j = i;
        while j < pts.len() && col(pts[j].0) == c {
            if pts[j].1 < pts[lo].1 {
                lo = j;
            }
            if pts[j].1 > pts[hi].1 {
                hi = j;
            }
            j += 1;
        }
        let (a, b) = if lo < hi { (lo, hi) } else { (hi, lo) };
        out.push(pts[a]);
        if b != a {
            out.push(pts[b]);
        }
        i = j;
    }
    out
}

fn header(height: f64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{height}\" viewBox=\"0 0 {W} {height}\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    )
}

/// A line plot of one or more series.
pub fn line_plot(title: &str, xlabel: &str, ylabel: &str, series: &[(&[f64], &[f64])]) -> String {
    let mut svg = header(H);
    panel(&mut svg, 0.0, title, xlabel, ylabel, series);
    svg.push_str("</svg>\n");
    svg
}

/// One panel per series, sharing the x values (sweep tables).
pub fn panels(title: &str, xlabel: &str, xs: &[f64], series: &[(String, Vec<f64>)]) -> String {
    let n = series.len().max(1);
    let mut svg = header(H * n as f64);
    for (k, (name, ys)) in series.iter().enumerate() {
        let t = if k == 0 { format!("{title}: {name}") } else { name.clone() };
        panel(&mut svg, k as f64 * H, &t, xlabel, name, &[(xs, ys)]);
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plots_are_svg_and_reduced() {
        let t: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.025).collect();
        let v: Vec<f64> = t.iter().map(|x| if (x % 100.0) < 1.0 { 30.0 } else { -65.0 }).collect();
        let s = line_plot("soma <v>", "t (ms)", "v (mV)", &[(&t, &v)]);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>\n"));
        assert!(s.contains("soma &lt;v&gt;"));
        assert!(s.len() < 60_000, "{}", s.len());
        // Spikes survive the reduction.
        let pts = reduce(&t, &v, 670, 0.0, 2500.0);
        assert!(pts.iter().filter(|p| p.1 == 30.0).count() >= 25);
        assert_eq!(ticks(0.0, 1000.0), vec![0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]);
        let p = panels("sweep", "amp (nA)", &[0.1, 0.2], &[("f".into(), vec![1.0, f64::NAN])]);
        assert!(p.contains("polyline"));
    }
}
