//! "Did you mean …?": the closest known name by edit distance, for unknown mechanisms,
//! parameters, regions, locations, protocols and keys.

/// Edit distance (Levenshtein) between two names; a change of letter case costs nothing extra
/// over the lower-cased comparison plus one, so `na` is close to `NaTs2_t`'s `gNa…` only by
/// letters, not case.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a plausible typo (at most a
/// third of the name's letters differ, at least one edit allowed).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name || c.len() > 64 {
            continue;
        }
        let d = distance(name, c);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// A hint: "did you mean `x`?" when one is close, else the list of what is known (at most 12).
pub fn hint<'a>(name: &str, what: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match closest(name, candidates.clone()) {
        Some(c) => format!("did you mean `{c}`?"),
        None => {
            let all: Vec<&str> = candidates.into_iter().collect();
            if all.is_empty() {
                format!("there are no {what}")
            } else if all.len() > 12 {
                format!("{what}: {}, …", all[..12].join(", "))
            } else {
                format!("{what}: {}", all.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(closest("somatc", ["somatic", "axonal"]), Some("somatic"));
        assert_eq!(closest("xyz", ["somatic", "axonal"]), None);
        assert_eq!(closest("Hh", ["hh", "pas"]), Some("hh"));
        assert!(hint("qqqq", "regions", ["a", "b"]).contains("regions: a, b"));
    }
}
