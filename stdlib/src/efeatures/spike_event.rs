//! Spike timing features (eFEL's `SpikeEvent` family and the spike counts).

use super::feature::Feature;
use super::intermediates::Ctx;

/// Computes a spike timing feature; `None` where eFEL gives None.
pub(crate) fn compute(cx: &mut Ctx<'_>, f: Feature) -> Option<Vec<f64>> {
    use Feature::*;
    cx.ensure_peaks();
    let (t, s) = (cx.t, cx.s);
    let peaks = cx.c().peaks();
    if let Spikecount | SpikeCount = f {
        return Some(vec![peaks.map_or(0, |p| p.len()) as f64]);
    }
    if let SpikecountStimint | SpikeCountStimint = f {
        let n =
            peaks.map_or(0, |p| p.iter().filter(|&&i| s.stim_start <= t[i] && t[i] <= s.stim_end).count());
        return Some(vec![n as f64]);
    }
    let pt: Vec<f64> = peaks?.iter().map(|&i| t[i]).collect();
    let s0 = s.stim_start;
    match f {
        PeakTime => Some(pt),
        TimeToFirstSpike => Some(vec![pt[0] - s0]),
        InvTimeToFirstSpike => Some(vec![1000.0 / (pt[0] - s0)]),
        TimeToSecondSpike => (pt.len() >= 2).then(|| vec![pt[1] - s0]),
        TimeToLastSpike => Some(vec![pt[pt.len() - 1] - s0]),
        DoubletIsi => (pt.len() >= 2).then(|| vec![pt[1] - pt[0]]),
        AllIsiValues => all_isi(&pt),
        MeanFrequency => mean_frequency(&pt, s0, s.stim_end),
        AdaptationIndex2 => adaptation_index2(&pt, s0, s.stim_end, s.offset),
        _ => None,
    }
}

/// Inter-spike intervals; fails with fewer than two peaks.
pub(crate) fn all_isi(pt: &[f64]) -> Option<Vec<f64>> {
    (pt.len() >= 2).then(|| pt.windows(2).map(|w| w[1] - w[0]).collect())
}

/// `mean_frequency`: peaks in [s0, s1] divided by (time of the last of them − s0), in Hz. With
/// peaks but none in the window the last time stays 0, giving 0 (or −0) unless s0 is 0.
fn mean_frequency(pt: &[f64], s0: f64, s1: f64) -> Option<Vec<f64>> {
    let mut last = 0.0;
    let mut count = 0u32;
    for &x in pt {
        if x >= s0 && x <= s1 {
            last = x;
            count += 1;
        }
    }
    if last == s0 {
        return None;
    }
    Some(vec![f64::from(count * 1000) / (last - s0)])
}

/// `adaptation_index2`: needs 4 peaks overall and 4 in [s0 − offset, s1 + offset]; drops the
/// first of those and averages (ISI_i − ISI_{i−1}) / (ISI_i + ISI_{i−1}).
fn adaptation_index2(pt: &[f64], s0: f64, s1: f64, offset: f64) -> Option<Vec<f64>> {
    if pt.len() < 4 {
        return None;
    }
    let inside: Vec<f64> = pt.iter().copied().filter(|&x| x >= s0 - offset && x <= s1 + offset).collect();
    if inside.len() < 4 {
        return None;
    }
    let isi: Vec<f64> = inside[1..].windows(2).map(|w| w[1] - w[0]).collect();
    let mut adi = 0.0;
    for i in 1..isi.len() {
        adi += (isi[i] - isi[i - 1]) / (isi[i] + isi[i - 1]);
    }
    Some(vec![adi / (isi.len() - 1) as f64])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_counts_window_and_divides_by_time_to_last() {
        let pt = [5.0, 20.0, 40.0, 60.0, 130.0];
        // In [10, 110]: 20, 40, 60 -> 3 spikes over 50 ms.
        assert_eq!(mean_frequency(&pt, 10.0, 110.0), Some(vec![60.0]));
        // Peaks but none inside: 0 / (0 - 10).
        assert_eq!(mean_frequency(&[1.0], 10.0, 20.0).unwrap()[0], 0.0);
        assert_eq!(mean_frequency(&[1.0], 0.0, 0.5), None);
    }

    #[test]
    fn adaptation_index2_of_accelerating_train() {
        let pt = [0.0, 10.0, 30.0, 40.0, 45.0];
        // After dropping the first: ISIs 20, 10, 5 -> (-10/30 + -5/15) / 2 = -1/3.
        let a = adaptation_index2(&pt, 0.0, 100.0, 0.0).unwrap()[0];
        assert!((a + 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(adaptation_index2(&pt[..3], 0.0, 100.0, 0.0), None);
    }
}
