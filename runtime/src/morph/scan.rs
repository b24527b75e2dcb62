//! C `scanf("%lf")`-style number scanning on bytes.
//!
//! NEURON's readers tokenise with `sscanf`, so what counts as a number (and where it ends) must
//! follow C's rules, not Rust's `str::parse`: leading white space is skipped, `1e5`, `.5`, `+3`,
//! `inf` and `nan` are numbers, and `1e` is not (glibc consumes the `e` and then fails). Hex
//! floats are not accepted (they never occur in morphology files).

/// C's `isspace` in the "C" locale.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Scans one number at `pos` (after optional white space), as `%lf` does.
///
/// Returns the value and the index just past it, or `None` when there is no number there.
pub(crate) fn scan_f64(s: &[u8], pos: usize) -> Option<(f64, usize)> {
    let mut i = pos;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    let start = i;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    // inf / infinity / nan, case-insensitive.
    for word in [&b"infinity"[..], &b"inf"[..], &b"nan"[..]] {
        if s.len() >= i + word.len() && s[i..i + word.len()].eq_ignore_ascii_case(word) {
            let end = i + word.len();
            let text = std::str::from_utf8(&s[start..end]).ok()?;
            let v: f64 = text.to_ascii_lowercase().parse().ok()?;
            return Some((v, end));
        }
    }
    let mut digits = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        // glibc commits to the exponent once it has read the `e`: `1e` or `1e+` is a failure.
        let mut j = i + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        if j == exp_start {
            return None;
        }
        i = j;
    }
    let text = std::str::from_utf8(&s[start..i]).ok()?;
    let v: f64 = text.parse().ok()?;
    Some((v, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sc(s: &str) -> Option<(f64, usize)> {
        scan_f64(s.as_bytes(), 0)
    }

    #[test]
    fn numbers_as_scanf_reads_them() {
        assert_eq!(sc("  12.5 x"), Some((12.5, 6)));
        assert_eq!(sc("-3"), Some((-3.0, 2)));
        assert_eq!(sc(".5"), Some((0.5, 2)));
        assert_eq!(sc("5."), Some((5.0, 2)));
        assert_eq!(sc("1e3)"), Some((1000.0, 3)));
        assert_eq!(sc("2E-2"), Some((0.02, 4)));
        assert_eq!(sc("1-1"), Some((1.0, 1)));
        assert_eq!(sc("1e"), None);
        assert_eq!(sc("."), None);
        assert_eq!(sc("+"), None);
        assert_eq!(sc("abc"), None);
        assert!(sc("inf").unwrap().0.is_infinite());
        assert!(sc("-NaN").unwrap().0.is_nan());
    }
}
