//! ISI features that eFEL computes in Python (`isi.py`, `pyfeatures.py`): they use numpy's
//! summation and may return an empty array instead of failing.

use super::feature::Feature;
use super::intermediates::Ctx;
use super::numeric::{numpy_mean, numpy_std_ddof1};
use super::spike_event::all_isi;

/// Computes an ISI feature; `None` where eFEL gives None.
pub(crate) fn compute(cx: &mut Ctx<'_>, f: Feature) -> Option<Vec<f64>> {
    use Feature::*;
    cx.ensure_peaks();
    let t = cx.t;
    let ignore_first = cx.s.ignore_first_isi;
    let pt: Option<Vec<f64>> = cx.c().peaks().map(|p| p.iter().map(|&i| t[i]).collect());
    let all = pt.as_deref().and_then(all_isi);
    let nth_inverse = |k: usize| all.as_ref().and_then(|a| a.get(k)).map(|isi| vec![1000.0 / isi]);
    match f {
        IsiValues => all.map(|a| trimmed(&a, ignore_first).to_vec()),
        IsiCv => {
            let a = all?;
            let isi = trimmed(&a, ignore_first);
            (isi.len() >= 2).then(|| vec![numpy_std_ddof1(isi) / numpy_mean(isi)])
        }
        InvFirstIsi => nth_inverse(0),
        InvSecondIsi => nth_inverse(1),
        InvThirdIsi => nth_inverse(2),
        InvFourthIsi => nth_inverse(3),
        InvFifthIsi => nth_inverse(4),
        InvLastIsi => all.as_ref().and_then(|a| a.last()).map(|isi| vec![1000.0 / isi]),
        BurstNumber => {
            let n = match (pt.as_deref(), all.as_deref()) {
                (Some(pt), Some(a)) => burst_count(pt, trimmed(a, ignore_first), cx.s.burst_factor),
                _ => 0,
            };
            Some(vec![n as f64])
        }
        _ => None,
    }
}

fn trimmed(isi: &[f64], ignore_first: bool) -> &[f64] {
    if ignore_first {
        &isi[1.min(isi.len())..]
    } else {
        isi
    }
}

/// numpy's median of a small slice (sort; middle or mean of the two middle values).
fn np_median(x: &[f64]) -> f64 {
    let mut s = x.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Number of bursts as eFEL's `burst_number` counts them: burst starts are ISI indices `i + 1`
/// where ISI_i exceeds `burst_factor` × the median of the ISIs since the previous start and
/// the next ISI is shorter than ISI_i / `burst_factor` (needs ≥ 4 ISIs, else no bursts). The
/// count is one plus the number of gaps between consecutive starts (the last peak closing the
/// list) that are not exactly one ISI.
fn burst_count(pt: &[f64], isi: &[f64], factor: f64) -> usize {
    if isi.len() < 4 {
        return 0;
    }
    let mut starts: Vec<usize> = Vec::new();
    let mut count: isize = -1;
    for i in 1..isi.len() - 1 {
        let from = (count + 1) as usize;
        if from >= i {
            continue;
        }
        let median = np_median(&isi[from..i]);
        if isi[i] > factor * median && isi[i + 1] < isi[i] / factor {
            starts.push(i + 1);
            count = i as isize - 1;
        }
    }
    if starts.is_empty() {
        return 0;
    }
    starts.push(pt.len() - 1);
    1 + starts.windows(2).filter(|w| w[1] as isize - w[0] as isize != 1).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_matches_numpy() {
        assert_eq!(np_median(&[3.0, 1.0]), 2.0);
        assert_eq!(np_median(&[5.0, 1.0, 3.0]), 3.0);
    }

    #[test]
    fn bursts_of_three_spikes() {
        // Bursts of 3 spikes 5 ms apart, bursts 100 ms apart.
        let mut pt = vec![];
        for b in 0..4 {
            for k in 0..3 {
                pt.push(b as f64 * 100.0 + k as f64 * 5.0);
            }
        }
        let isi: Vec<f64> = pt.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(burst_count(&pt, &isi[1..], 1.5), 4);
        assert_eq!(burst_count(&pt[..4], &isi[1..3], 1.5), 0);
    }
}
