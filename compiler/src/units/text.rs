//! Reading a unit expression such as `mA/cm2`, `10000 coulomb`, `k-mole` or `/ms` the way NEURON
//! reads it (`modlunit/units.cpp`), so that scale factors agree to the last bit.
//!
//! The rules, which are not those of ordinary arithmetic notation:
//! * an optional leading number in the database's notation: digits with an optional `.`, an
//!   optional power of ten written `+N`/`-N` directly after the digits (`1.5+2` is 150), and `|`
//!   for a fraction (`1|180`). Zero or no number means 1.
//! * then names separated by blanks, tabs or `-` (all meaning multiplication); after a `/` every
//!   later name is in the denominator (`a/b c` is a/(b·c));
//! * a digit 2–9 right after a name is an exponent (`cm2`); a `1` right after a name, or any digit
//!   after a separator, is ignored (`ms-1` is `ms`); `0` and any other character is part of a
//!   name (`1e-3` is the number 1 times the elementary charge `e`).
//!
//! Arithmetic order matches NEURON's: the factor starts at the leading number and is multiplied
//! (or divided) by each name's factor in turn, which is why `(um) (cm)` is 9.999999999999999e-05.

use super::dim::Dim;
use super::table::{Rules, UnitTable};
use super::{Unit, UnitError, UnitErrorKind};

/// Byte cursor with NEURON's one-character push-back and an endless `\n` at the end.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    pushed: Option<(u8, usize)>,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Cursor<'a> {
        Cursor { bytes: text.as_bytes(), pos: 0, pushed: None }
    }

    /// Next character and its offset; `\r` is skipped; past the end, `\n` at the end offset.
    fn get(&mut self) -> (u8, usize) {
        if let Some(c) = self.pushed.take() {
            return c;
        }
        loop {
            match self.bytes.get(self.pos) {
                Some(&c) => {
                    self.pos += 1;
                    if c != b'\r' {
                        return (c, self.pos - 1);
                    }
                }
                None => return (b'\n', self.bytes.len()),
            }
        }
    }

    fn unget(&mut self, c: (u8, usize)) {
        self.pushed = Some(c);
    }
}

/// The leading number: `digits[.digits][(+|-)digits]`, possibly `a|b|c` (= a/(b/c)).
fn read_number(cur: &mut Cursor<'_>) -> f64 {
    let mut parts = Vec::new();
    loop {
        let (d, next) = read_one_number(cur);
        parts.push(d);
        if next.0 == b'|' {
            continue;
        }
        cur.unget(next);
        break;
    }
    // NEURON evaluates `a|b` as a / (value of the rest), recursively: fold from the right.
    let mut v = parts.pop().unwrap_or(0.0);
    while let Some(d) = parts.pop() {
        v = d / v;
    }
    v
}

/// One number of a `|` chain; returns it and the character that ended it.
///
/// As NEURON 9 does it: digits and `.` are collected, a `+` or `-` becomes an exponent marker
/// (`1.5+2` is read as `1.5e+2`), and the collected text is converted by C's `atof`, which takes
/// the longest valid prefix (correctly rounded) and gives 0 when there is none.
fn read_one_number(cur: &mut Cursor<'_>) -> (f64, (u8, usize)) {
    let mut s = String::new();
    let mut c = cur.get();
    while c.0 == b' ' || c.0 == b'\t' {
        c = cur.get();
    }
    while c.0.is_ascii_digit() || c.0 == b'.' {
        s.push(char::from(c.0));
        c = cur.get();
    }
    if c.0 == b'+' || c.0 == b'-' {
        s.push('e');
        s.push(char::from(c.0));
        c = cur.get();
        while c.0.is_ascii_digit() {
            s.push(char::from(c.0));
            c = cur.get();
        }
    }
    (atof(&s), c)
}

/// C's `atof` on text made of digits, `.`, `e`, `+` and `-`: the longest prefix that is a
/// decimal number, or 0.
fn atof(s: &str) -> f64 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return 0.0;
    }
    let mantissa_end = i;
    let mut end = mantissa_end;
    if i < b.len() && b[i] == b'e' {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            end = j;
        }
    }
    // Rust's parser is correctly rounded like glibc's strtod and saturates to inf or 0.
    s[..end].parse::<f64>().unwrap_or(0.0)
}

/// Reads `text` with `table`'s names under `rules`.
pub(crate) fn read_unit(text: &str, table: &UnitTable, rules: Rules) -> Result<Unit, UnitError> {
    let mut cur = Cursor::new(text);
    let mut scale = read_number(&mut cur);
    if scale == 0.0 {
        scale = 1.0;
    }
    let mut dim = Dim::NONE;
    let mut denominator = false;
    let mut name_start: Option<usize> = None;
    loop {
        let (c, at) = cur.get();
        match c {
            b'1'..=b'9' | b'-' | b'/' | b' ' | b'\t' | b'\n' => {
                if let Some(start) = name_start.take() {
                    let name = &text[start..at];
                    let (q, qdim) = table.lookup_name(name, rules).ok_or_else(|| UnitError {
                        kind: UnitErrorKind::UnknownName { name: name.to_string() },
                        range: start..at,
                    })?;
                    // A digit 2-9 glued to the name repeats it (cm2 = cm·cm).
                    let times = if (b'2'..=b'9').contains(&c) { c - b'0' } else { 1 };
                    for _ in 0..times {
                        if denominator {
                            scale /= q;
                            dim = dim / qdim;
                        } else {
                            scale *= q;
                            dim = dim * qdim;
                        }
                    }
                }
                if c == b'/' {
                    denominator = true;
                }
                if c == b'\n' {
                    break;
                }
            }
            _ => {
                if name_start.is_none() {
                    name_start = Some(at);
                }
            }
        }
    }
    if !scale.is_finite() || scale == 0.0 {
        return Err(UnitError { kind: UnitErrorKind::OutOfRange, range: 0..text.len() });
    }
    Ok(Unit { scale, dim })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> f64 {
        read_number(&mut Cursor::new(s))
    }

    #[test]
    fn database_number_notation() {
        assert_eq!(num("2.54"), 2.54);
        assert_eq!(num("1.5+2"), 150.0);
        assert_eq!(num("1|180"), 1.0 / 180.0);
        assert_eq!(num("5|9"), 5.0 / 9.0);
        assert_eq!(num(".5"), 0.5);
        assert_eq!(num("  10000 coulomb"), 10000.0);
        assert_eq!(num("mV"), 0.0);
        assert_eq!(num("."), 0.0);
        assert_eq!(num("1.2.3"), 1.2);
        assert_eq!(num("1+"), 1.0);
        assert_eq!(num("+5"), 0.0);
        // 1|2|4 is 1 / (2 / 4) in NEURON's recursive reading.
        assert_eq!(num("1|2|4"), 2.0);
        // Huge exponents saturate.
        assert_eq!(num("1+999999999999"), f64::INFINITY);
        assert_eq!(num("1-999999999999"), 0.0);
    }

    #[test]
    fn database_constants_are_correctly_rounded() {
        assert_eq!(num("1.602176634-19"), 1.602176634e-19);
        assert_eq!(num("6.02214076+23"), 6.02214076e23);
    }
}
