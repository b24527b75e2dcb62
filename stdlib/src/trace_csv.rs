//! Reading voltage traces from CSV: a header line, then rows whose first two columns are time
//! (ms) and voltage (mV). Further columns are ignored, blank lines are skipped.
//!
//! Problems are reported with the 1-based line and the byte range of the offending field in the
//! file, so that callers can point at the exact spot. The reader streams through a fixed buffer
//! (a large trace is never held as text), and rows of plain decimals are scanned in a single
//! pass. Numbers are exact: always the correctly rounded value of the decimal text, as
//! `str::parse` gives.

use std::fmt;
use std::io::{self, Read};
use std::ops::Range;

/// The two columns of a trace file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceColumns {
    /// Time (ms), non-decreasing.
    pub time: Vec<f64>,
    /// Voltage (mV).
    pub voltage: Vec<f64>,
}

/// A problem in a trace file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// 1-based line number.
    pub line: usize,
    /// Byte range in the file (the field, or the whole line).
    pub span: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for CsvError {}

/// Why a trace could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The reader failed.
    Io(io::Error),
    /// The content is malformed.
    Csv(CsvError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Csv(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// Parses CSV text held in memory (see [`read_trace_csv`]).
pub fn parse_trace_csv(text: &str) -> Result<TraceColumns, CsvError> {
    match read_trace_csv(text.as_bytes()) {
        Ok(c) => Ok(c),
        Err(ReadError::Csv(e)) => Err(e),
        Err(ReadError::Io(e)) => unreachable!("reading from memory cannot fail: {e}"),
    }
}

/// Reads a trace from `reader`: skips the header line and blank lines, reads time and voltage
/// from the first two columns, and checks that both are finite and that time never decreases.
pub fn read_trace_csv(mut reader: impl Read) -> Result<TraceColumns, ReadError> {
    let mut buf = vec![0u8; 1 << 18];
    let mut filled = 0usize;
    let mut rows = Rows::default();
    loop {
        if filled == buf.len() {
            // A single line longer than the buffer: grow it.
            buf.resize(buf.len() * 2, 0);
        }
        let n = match reader.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e)),
        };
        filled += n;
        let eof = n == 0;
        // Hand over complete lines only; the tail waits for the next read.
        let complete = if eof {
            filled
        } else {
            match buf[..filled].iter().rposition(|&b| b == b'\n') {
                Some(p) => p + 1,
                None => continue,
            }
        };
        rows.feed(&buf[..complete]).map_err(ReadError::Csv)?;
        buf.copy_within(complete..filled, 0);
        filled -= complete;
        if eof {
            return Ok(rows.cols);
        }
    }
}

/// Row parser state carried across buffer refills.
#[derive(Default)]
struct Rows {
    cols: TraceColumns,
    /// Lines seen so far.
    line: usize,
    /// File offset of the chunk being fed.
    offset: usize,
    prev: Option<f64>,
}

impl Rows {
    /// Parses a chunk made of complete lines (the last one may lack its `\n` at end of file).
    fn feed(&mut self, chunk: &[u8]) -> Result<(), CsvError> {
        let base = self.offset;
        self.offset += chunk.len();
        let mut pos = 0usize;
        while pos < chunk.len() {
            self.line += 1;
            let start = pos;
            if self.line > 1 {
                // Common case: `number,number` rows of plain decimals in one pass.
                if let Some((time, voltage, end)) = fast_row(chunk, start) {
                    self.push(time, voltage, base + start..base + content_end(chunk, start, end))?;
                    pos = end + 1;
                    continue;
                }
            }
            let end = line_end(chunk, start);
            pos = end + 1;
            let content = content_end(chunk, start, end);
            let text = std::str::from_utf8(&chunk[start..content]).map_err(|_| CsvError {
                line: self.line,
                span: base + start..base + content,
                message: "the line is not valid UTF-8 text".into(),
                hint: Some("trace files must be plain text".into()),
            })?;
            if self.line == 1 {
                // The header must not start with a number (a missing header would lose a row).
                if parse_number(trim(text.split(',').next().unwrap_or(""))).is_some() {
                    return Err(CsvError {
                        line: 1,
                        span: base + start..base + content,
                        message: "the first line must be a header, found numbers".into(),
                        hint: Some("add a header line such as `t_ms,v_mV`".into()),
                    });
                }
                continue;
            }
            if trim(text).is_empty() {
                continue;
            }
            let (time, voltage) = self.general_row(text, base + start)?;
            self.push(time, voltage, base + start..base + content)?;
        }
        Ok(())
    }

    /// Any row the fast path declines: fields are split, trimmed and parsed in full; every
    /// problem becomes an error pointing at the field.
    fn general_row(&self, text: &str, start: usize) -> Result<(f64, f64), CsvError> {
        let mut fields = text.splitn(3, ',');
        let mut field_start = start;
        let mut values = [0.0f64; 2];
        for (col, value) in values.iter_mut().enumerate() {
            let Some(raw) = fields.next() else {
                return Err(CsvError {
                    line: self.line,
                    span: start..start + text.len(),
                    message: format!("expected 2 columns (time, voltage), found {col}"),
                    hint: Some("each row needs `time,voltage` separated by a comma".into()),
                });
            };
            let span = field_start..field_start + raw.len();
            field_start += raw.len() + 1;
            let field = trim(raw);
            let name = if col == 0 { "time" } else { "voltage" };
            match parse_number(field) {
                Some(x) if x.is_finite() => *value = x,
                parsed => {
                    let (message, hint) = match parsed {
                        Some(_) => {
                            (format!("{name} is not a finite number"), "remove NaN or infinite samples")
                        }
                        None => (
                            format!("{name} `{field}` is not a number"),
                            "columns must be plain numbers such as `12.5` or `-6.5e1`",
                        ),
                    };
                    return Err(CsvError { line: self.line, span, message, hint: Some(hint.into()) });
                }
            }
        }
        Ok((values[0], values[1]))
    }

    fn push(&mut self, time: f64, voltage: f64, span: Range<usize>) -> Result<(), CsvError> {
        if let Some(prev) = self.prev {
            if time < prev {
                return Err(CsvError {
                    line: self.line,
                    span,
                    message: format!("time goes backwards ({time} after {prev})"),
                    hint: Some("rows must be sorted by time".into()),
                });
            }
        }
        self.prev = Some(time);
        self.cols.time.push(time);
        self.cols.voltage.push(voltage);
        Ok(())
    }
}

/// Reads a row of two plain decimals (`number,number`, optionally followed by more columns)
/// starting at `start`; returns the values and the index of the line's `\n` (or the chunk
/// length). `None` sends the row to the general path, which also reports errors.
fn fast_row(bytes: &[u8], start: usize) -> Option<(f64, f64, usize)> {
    let (time, i) = scan_decimal(bytes, start)?;
    if bytes.get(i) != Some(&b',') {
        return None;
    }
    let (voltage, j) = scan_decimal(bytes, i + 1)?;
    let end = match bytes.get(j) {
        None => bytes.len(),
        Some(b'\n') => j,
        Some(b'\r') if bytes.get(j + 1) == Some(&b'\n') => j + 1,
        Some(b',') => line_end(bytes, j),
        Some(_) => return None,
    };
    Some((time, voltage, end))
}

/// Scans `[+-]digits[.digits]` at `i` and converts it exactly; returns the value and the index
/// after it. Declines (None) numbers with more than 19 digits, a mantissa above 2^53 or more
/// than 22 decimals, where the exact conversion below would not apply.
fn scan_decimal(bytes: &[u8], mut i: usize) -> Option<(f64, usize)> {
    let negative = match bytes.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let (mantissa, int_digits) = digits(bytes.get(i..)?, 0);
    i += int_digits;
    let mut mantissa = mantissa;
    let mut fraction = 0usize;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        (mantissa, fraction) = digits(bytes.get(i..)?, mantissa);
        i += fraction;
    }
    // At most 19 digits cannot overflow u64, so the wrapping arithmetic in `digits` was exact.
    if int_digits + fraction == 0 || int_digits + fraction > 19 {
        return None;
    }
    exact_decimal(mantissa, fraction).map(|v| (if negative { -v } else { v }, i))
}

/// Accumulates the leading ASCII digits of `s` onto `acc` (wrapping); returns the value and the
/// number of digits.
fn digits(s: &[u8], mut acc: u64) -> (u64, usize) {
    let mut n = 0;
    for &b in s {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        acc = acc.wrapping_mul(10).wrapping_add(u64::from(d));
        n += 1;
    }
    (acc, n)
}

/// `mantissa / 10^fraction` when both are exact in binary64 (mantissa ≤ 2^53, fraction ≤ 22):
/// one correctly rounded division of exact operands is the correctly rounded decimal value.
fn exact_decimal(mantissa: u64, fraction: usize) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
        1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    if mantissa > 1 << 53 || fraction > 22 {
        return None;
    }
    Some(mantissa as f64 / POW10[fraction])
}

/// Parses a whole field: plain decimals exactly through [`scan_decimal`], anything else (exponents,
/// long mantissas, `inf`, `NaN`) with `str::parse`.
fn parse_number(s: &str) -> Option<f64> {
    match scan_decimal(s.as_bytes(), 0) {
        Some((v, end)) if end == s.len() => Some(v),
        _ => s.parse::<f64>().ok(),
    }
}

/// Index of the `\n` ending the line that starts at `from` (or the slice length).
fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| from + p)
}

/// End of a line's content, without a trailing `\r`.
fn content_end(bytes: &[u8], start: usize, end: usize) -> usize {
    if end > start && bytes[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_are_correctly_rounded() {
        for s in [
            "0.025",
            "-65.091776",
            "733.2885024488405",
            "-0",
            "12",
            "0.1",
            "123456789.012345",
            "9007199254740993",
            "0.30000000000000004",
        ] {
            let expected: f64 = s.parse().unwrap();
            assert_eq!(parse_number(s).unwrap().to_bits(), expected.to_bits(), "{s}");
        }
        for s in ["1e-3", "-64.99925450000000123", "123456789012345678901234567890", "+5", "inf"] {
            assert_eq!(parse_number(s).map(f64::to_bits), s.parse::<f64>().ok().map(f64::to_bits), "{s}");
        }
        for s in ["abc", "1.2.3", "", ".", "-", "1,5"] {
            assert_eq!(parse_number(s), None, "{s}");
        }
    }

    #[test]
    fn reads_two_columns_after_header() {
        let c = parse_trace_csv("t_ms,v_mV,extra\n0.0,-65,1\r\n0.025,-64.9,2\n\n0.05,-64.8,3").unwrap();
        assert_eq!(c.time, vec![0.0, 0.025, 0.05]);
        assert_eq!(c.voltage, vec![-65.0, -64.9, -64.8]);
    }

    #[test]
    fn long_and_exponent_numbers_take_the_general_path() {
        let text = "t,v\n0.1234567890123456789,-1e2\n 7 , 8 \n123456789012345678901234567890,+5\n";
        let c = parse_trace_csv(text).unwrap();
        let long: f64 = "0.1234567890123456789".parse().unwrap();
        assert_eq!(c.time, vec![long, 7.0, 1.2345678901234568e29]);
        assert_eq!(c.voltage, vec![-100.0, 8.0, 5.0]);
    }

    #[test]
    fn reports_line_and_span() {
        let text = "t,v\n0,1\n1,x1\n";
        let e = parse_trace_csv(text).unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(&text[e.span.clone()], "x1");
        assert!(e.message.contains("voltage `x1` is not a number"));

        let e = parse_trace_csv("t,v\n0,1\n5\n").unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (3, "expected 2 columns (time, voltage), found 1"));

        let e = parse_trace_csv("t,v\n1,1\n0.5,1\n").unwrap_err();
        assert!(e.message.contains("time goes backwards"));

        let e = parse_trace_csv("t,v\n0,nan\n").unwrap_err();
        assert_eq!(e.message, "voltage is not a finite number");

        let e = parse_trace_csv("0,1\n1,2\n").unwrap_err();
        assert_eq!(e.line, 1);
    }

    /// A reader that returns a few bytes at a time, to exercise lines split across refills.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn streaming_gives_the_same_rows_and_file_offsets() {
        let mut text = String::from("time,voltage\n");
        for i in 0..5000 {
            text.push_str(&format!("{},{}\n", i as f64 * 0.025, -65.0 + (i % 7) as f64 * 0.125));
        }
        let whole = parse_trace_csv(&text).unwrap();
        let streamed = read_trace_csv(Trickle(text.as_bytes(), 7)).unwrap();
        assert_eq!(whole, streamed);
        let bad = format!("{text}125.0,oops\n");
        let Err(ReadError::Csv(e)) = read_trace_csv(Trickle(bad.as_bytes(), 1000)) else { panic!() };
        assert_eq!((e.line, &bad[e.span.clone()]), (5002, "oops"));
    }
}
