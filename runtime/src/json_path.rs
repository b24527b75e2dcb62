//! Locating a path such as `cells[0].mechanisms[2].parameters.gnabar` in JSON text, so that
//! errors found after parsing (unknown mechanism, bad section name, …) can point at the file,
//! line and column of the offending value.

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut key = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !key.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut key)));
                }
            }
            '[' => {
                if !key.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut key)));
                }
                let mut num = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    num.push(d);
                }
                match num.parse() {
                    Ok(i) => steps.push(Step::Index(i)),
                    Err(_) => return steps,
                }
            }
            ' ' => break, // free text after the path (e.g. "(section `x`)")
            _ => key.push(c),
        }
    }
    if !key.is_empty() {
        steps.push(Step::Key(key));
    }
    steps
}

struct Scan<'a> {
    s: &'a [u8],
}

impl<'a> Scan<'a> {
    fn ws(&self, mut i: usize) -> usize {
        while i < self.s.len() && self.s[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    }

    /// End of the string starting at `i` (which is a quote); returns the index after the closing
    /// quote and the decoded-enough key (escapes kept verbatim except `\"`).
    fn string(&self, i: usize) -> Option<(usize, String)> {
        let mut j = i + 1;
        let mut out = Vec::new();
        while j < self.s.len() {
            match self.s[j] {
                b'"' => return Some((j + 1, String::from_utf8_lossy(&out).into_owned())),
                b'\\' if j + 1 < self.s.len() => {
                    out.push(self.s[j + 1]);
                    j += 2;
                }
                c => {
                    out.push(c);
                    j += 1;
                }
            }
        }
        None
    }

    /// Index after the value starting at `i`.
    fn value_end(&self, i: usize) -> Option<usize> {
        let i = self.ws(i);
        match *self.s.get(i)? {
            b'"' => self.string(i).map(|(e, _)| e),
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut j = i;
                while j < self.s.len() {
                    match self.s[j] {
                        b'"' => {
                            j = self.string(j)?.0;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(j + 1);
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                None
            }
            _ => {
                let mut j = i;
                while j < self.s.len()
                    && !matches!(self.s[j], b',' | b'}' | b']')
                    && !self.s[j].is_ascii_whitespace()
                {
                    j += 1;
                }
                Some(j)
            }
        }
    }

    /// Start of the value of `key` in the object starting at `i`.
    fn member(&self, i: usize, key: &str) -> Option<usize> {
        let mut j = self.ws(i);
        if self.s.get(j) != Some(&b'{') {
            return None;
        }
        j += 1;
        loop {
            j = self.ws(j);
            match self.s.get(j)? {
                b'}' => return None,
                b',' => {
                    j += 1;
                    continue;
                }
                b'"' => {
                    let (e, k) = self.string(j)?;
                    j = self.ws(e);
                    if self.s.get(j) != Some(&b':') {
                        return None;
                    }
                    let v = self.ws(j + 1);
                    if k == key {
                        return Some(v);
                    }
                    j = self.value_end(v)?;
                }
                _ => return None,
            }
        }
    }

    /// Start of element `n` of the array starting at `i`.
    fn element(&self, i: usize, n: usize) -> Option<usize> {
        let mut j = self.ws(i);
        if self.s.get(j) != Some(&b'[') {
            return None;
        }
        j += 1;
        let mut k = 0;
        loop {
            j = self.ws(j);
            match self.s.get(j)? {
                b']' => return None,
                b',' => {
                    j += 1;
                    continue;
                }
                _ => {
                    if k == n {
                        return Some(j);
                    }
                    k += 1;
                    j = self.value_end(j)?;
                }
            }
        }
    }
}

/// Byte range of the value at `path` in `text`, or of the deepest part of the path that exists.
/// `None` when not even the first step is found.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let sc = Scan { s: text.as_bytes() };
    let mut at = sc.ws(0);
    let mut found = None;
    for step in parse_path(path) {
        let next = match &step {
            Step::Key(k) => sc.member(at, k),
            Step::Index(n) => sc.element(at, *n),
        };
        match next {
            Some(v) => {
                at = v;
                found = Some((v, sc.value_end(v).unwrap_or(v + 1)));
            }
            None => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values() {
        let text = r#"{"cells": [ {"name": "a"}, {"name": "b", "mechanisms": [{"mechanism": "hhx", "x": [1, 2]}]} ],
                       "run": {"dt": 0.1}}"#;
        let (s, e) = locate(text, "cells[1].mechanisms[0].mechanism").unwrap();
        assert_eq!(&text[s..e], "\"hhx\"");
        let (s, e) = locate(text, "run.dt").unwrap();
        assert_eq!(&text[s..e], "0.1");
        let (s, e) = locate(text, "cells[1].mechanisms[0].x[1]").unwrap();
        assert_eq!(&text[s..e], "2");
        // The deepest existing part of the path.
        let (s, e) = locate(text, "cells[1].nothing").unwrap();
        assert!(text[s..e].starts_with("{\"name\": \"b\""));
        let (s, _) = locate(text, "cells[0].morphology (section `soma`)").unwrap();
        assert_eq!(&text[s..s + 1], "{");
        assert!(locate(text, "nothing").is_none());
        assert_eq!(locate("{\"a\\\"b\": 3}", "a\"b").map(|(s, e)| e - s), Some(1));
    }
}
