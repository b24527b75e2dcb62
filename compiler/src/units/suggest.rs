//! "Did you mean …?" for unknown unit names: the closest known spelling by edit distance.

use super::library::{NEURON_PREFIXES, SHORT_PREFIXES};
use super::table::UnitTable;

/// Names that are often meant but are not units (or not NEURON's spelling of them).
const KNOWN_MISTAKES: &[(&str, &str)] = &[
    ("celsius", "degC"),
    ("Celsius", "degC"),
    ("centigrade", "degC"),
    ("Kelvin", "kelvin"),
    ("msec", "ms"),
    ("mmol", "mM"),
    ("Siemens", "siemens"),
    ("Volt", "volt"),
    ("Ampere", "ampere"),
    ("uOhm", "uohm"),
];

/// Base names that are commonly written with a one-letter prefix.
const PREFIXED_BASES: &[&str] = &["V", "A", "S", "M", "m", "s", "F", "mol", "ohm", "mho", "g", "L"];

/// Base names that are commonly written with a spelled-out prefix.
const LONG_BASES: &[&str] =
    &["volt", "amp", "siemens", "mho", "ohm", "farad", "coulomb", "liter", "meter", "molar", "sec", "gram"];

/// Spellings to compare an unknown name with: table entries and common prefixed forms.
fn candidates(table: &UnitTable) -> Vec<String> {
    let mut v: Vec<String> = table.names().map(str::to_string).collect();
    for (p, _) in SHORT_PREFIXES {
        for b in PREFIXED_BASES {
            v.push(format!("{p}{b}"));
        }
    }
    for (p, _) in NEURON_PREFIXES {
        for b in LONG_BASES {
            v.push(format!("{p}{b}"));
        }
    }
    v
}

/// The closest known unit name to `name`, if one is close enough to be a plausible typo.
pub fn closest_unit(name: &str, table: &UnitTable) -> Option<String> {
    if name.len() > 40 {
        return None;
    }
    if let Some((_, s)) = KNOWN_MISTAKES.iter().find(|(m, _)| *m == name) {
        return Some((*s).to_string());
    }
    // Distances are doubled so that a change of letter case alone can cost half an edit.
    let len = name.chars().count();
    let limit = if len <= 1 { 1 } else { 2 * (len / 3).max(1) };
    let mut best: Option<(usize, String)> = None;
    for c in candidates(table) {
        if c == name {
            continue;
        }
        let d = distance(name, &c);
        let better = match &best {
            None => true,
            Some((bd, bs)) => d < *bd || (d == *bd && c.as_str() < bs.as_str()),
        };
        if d <= limit && better {
            best = Some((d, c));
        }
    }
    best.map(|(_, s)| s)
}

/// A known spelling that differs from `name` only in letter case (`mv` → `mV`), choosing the
/// one with the fewest case changes; None when there is none or the choice is ambiguous.
pub fn case_variant(name: &str, table: &UnitTable) -> Option<String> {
    if name.len() > 40 {
        return None;
    }
    let lower = name.to_lowercase();
    let mut best: Option<(usize, String)> = None;
    let mut tie = false;
    for c in candidates(table) {
        if c == name || c.to_lowercase() != lower || c.len() != name.len() {
            continue;
        }
        let changes = c.chars().zip(name.chars()).filter(|(a, b)| a != b).count();
        match &best {
            Some((n, s)) if changes == *n && *s != c => tie = true,
            Some((n, _)) if changes >= *n => {}
            _ => {
                best = Some((changes, c));
                tie = false;
            }
        }
    }
    if tie {
        None
    } else {
        best.map(|(_, s)| s)
    }
}

/// Twice the Levenshtein distance, except that a change of letter case alone costs 1.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for p in prev.iter_mut() {
        *p *= 2;
    }
    for i in 1..=a.len() {
        cur[0] = 2 * i;
        for j in 1..=b.len() {
            let cost = if a[i - 1] == b[j - 1] {
                0
            } else if a[i - 1].to_lowercase().eq(b[j - 1].to_lowercase()) {
                1
            } else {
                2
            };
            cur[j] = (prev[j] + 2).min(cur[j - 1] + 2).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let t = UnitTable::neuron_default();
        assert_eq!(closest_unit("celsius", &t).as_deref(), Some("degC"));
        assert_eq!(closest_unit("milivolt", &t).as_deref(), Some("millivolt"));
        assert_eq!(closest_unit("coulomd", &t).as_deref(), Some("coulomb"));
        assert_eq!(closest_unit("mv", &t).as_deref(), Some("mV"));
        assert_eq!(closest_unit("zzzzzzzz", &t), None);
        assert_eq!(case_variant("mv", &t).as_deref(), Some("mV"));
        assert_eq!(case_variant("MS", &t), None);
        assert_eq!(case_variant("zz", &t), None);
    }
}
