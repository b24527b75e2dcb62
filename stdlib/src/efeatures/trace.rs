//! A borrowed voltage trace: time and voltage columns, checked once.

use std::fmt;

/// A voltage recording borrowed from the caller (no copy): `time` in ms, `voltage` in mV.
#[derive(Debug, Clone, Copy)]
pub struct Trace<'a> {
    time: &'a [f64],
    voltage: &'a [f64],
}

impl<'a> Trace<'a> {
    /// Wraps two columns after checking them: equal lengths, at least 3 samples (eFEL's
    /// interpolation needs more than 2), finite values, and time that never decreases (equal
    /// consecutive times are allowed, as in CVODE recordings).
    pub fn new(time: &'a [f64], voltage: &'a [f64]) -> Result<Trace<'a>, TraceError> {
        if time.len() != voltage.len() {
            return Err(TraceError::LengthMismatch { time: time.len(), voltage: voltage.len() });
        }
        if time.len() < 3 {
            return Err(TraceError::TooShort(time.len()));
        }
        if let Some(i) = time.iter().position(|x| !x.is_finite()) {
            return Err(TraceError::NonFinite { column: "time", index: i });
        }
        if let Some(i) = voltage.iter().position(|x| !x.is_finite()) {
            return Err(TraceError::NonFinite { column: "voltage", index: i });
        }
        if let Some(i) = time.windows(2).position(|w| w[1] < w[0]) {
            return Err(TraceError::TimeDecreases { index: i + 1 });
        }
        Ok(Trace { time, voltage })
    }

    /// Time column (ms).
    pub fn time(&self) -> &'a [f64] {
        self.time
    }

    /// Voltage column (mV).
    pub fn voltage(&self) -> &'a [f64] {
        self.voltage
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Always false: a valid trace has at least 3 samples.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }
}

/// Why two columns are not a usable trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceError {
    /// The columns have different lengths.
    LengthMismatch {
        /// Length of the time column.
        time: usize,
        /// Length of the voltage column.
        voltage: usize,
    },
    /// Fewer than 3 samples.
    TooShort(usize),
    /// A NaN or infinite value.
    NonFinite {
        /// `time` or `voltage`.
        column: &'static str,
        /// 0-based sample index.
        index: usize,
    },
    /// `time[index] < time[index - 1]`.
    TimeDecreases {
        /// 0-based index of the first offending sample.
        index: usize,
    },
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::LengthMismatch { time, voltage } => {
                write!(f, "time has {time} samples but voltage has {voltage}")
            }
            TraceError::TooShort(n) => write!(f, "a trace needs at least 3 samples, got {n}"),
            TraceError::NonFinite { column, index } => {
                write!(f, "{column} sample {index} is not a finite number")
            }
            TraceError::TimeDecreases { index } => {
                write!(f, "time decreases at sample {index} (time must never decrease)")
            }
        }
    }
}

impl std::error::Error for TraceError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_shape_and_values() {
        let t = [0.0, 1.0, 2.0];
        assert!(Trace::new(&t, &[1.0, 2.0, 3.0]).is_ok());
        assert_eq!(
            Trace::new(&t, &[1.0, 2.0]).unwrap_err(),
            TraceError::LengthMismatch { time: 3, voltage: 2 }
        );
        assert_eq!(Trace::new(&t[..2], &[1.0, 2.0]).unwrap_err(), TraceError::TooShort(2));
        assert_eq!(
            Trace::new(&[0.0, 2.0, 1.0], &[1.0, 2.0, 3.0]).unwrap_err(),
            TraceError::TimeDecreases { index: 2 }
        );
        assert_eq!(
            Trace::new(&t, &[1.0, f64::NAN, 3.0]).unwrap_err(),
            TraceError::NonFinite { column: "voltage", index: 1 }
        );
        assert!(Trace::new(&[0.0, 1.0, 1.0, 2.0], &[0.0; 4]).is_ok());
    }
}
