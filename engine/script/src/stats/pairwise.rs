//! Order statistics of the n·m pairwise differences x_i - y_j without forming them. The
//! Hodges-Lehmann shift and its confidence bounds are such order statistics, and two samples
//! of 1000 would otherwise mean a million differences, sorted, per comparison.
//!
//! With both samples sorted, the differences form a matrix whose rows and columns are sorted,
//! so how many differences lie below a value is counted in O(n + m) by walking its boundary.
//! Selection narrows each row's range of candidates around pivots drawn from them (in the
//! manner of Monahan's algorithm for the one-sample Hodges-Lehmann estimator, ACM TOMS 616),
//! then selects directly among the few candidates left.

/// The pairwise differences of two ascending samples.
pub struct Differences<'a> {
    x: &'a [f64],
    y: &'a [f64],
}

/// Below this many candidates, collecting them beats another round.
const DIRECT: usize = 4096;

/// Candidates drawn per round to place the pivots.
const SAMPLE: usize = 256;

impl<'a> Differences<'a> {
    pub fn new(x_sorted: &'a [f64], y_sorted: &'a [f64]) -> Self {
        Differences {
            x: x_sorted,
            y: y_sorted,
        }
    }

    pub fn len(&self) -> usize {
        self.x.len() * self.y.len()
    }

    /// Row i, column c: rows follow x upwards, columns follow y downwards, so both ascend.
    /// Floating-point subtraction is monotone in each operand, so the computed values keep
    /// the order the exact ones have.
    fn at(&self, i: usize, c: usize) -> f64 {
        self.x[i] - self.y[self.y.len() - 1 - c]
    }

    /// Per row, how many differences are below `pivot` and how many are not above it, in
    /// one walk along both boundaries; returns the two totals.
    fn count(&self, pivot: f64, below: &mut [usize], not_above: &mut [usize]) -> (usize, usize) {
        let (mut lt, mut le) = (self.y.len(), self.y.len());
        let (mut total_lt, mut total_le) = (0, 0);
        for i in 0..self.x.len() {
            while lt > 0 && self.at(i, lt - 1) >= pivot {
                lt -= 1;
            }
            while le > 0 && self.at(i, le - 1) > pivot {
                le -= 1;
            }
            below[i] = lt;
            not_above[i] = le;
            total_lt += lt;
            total_le += le;
        }
        (total_lt, total_le)
    }

    /// The k-th smallest difference, k in 1..=len, as R's `sort(outer(x, y, "-"))[k]`.
    ///
    /// Each round draws a sample of the remaining candidates and takes two pivots from it
    /// just either side of where the k-th should fall (as Floyd and Rivest's selection does),
    /// which leaves about a tenth of the candidates; a million differences take three or four
    /// rounds.
    pub fn kth(&self, k: usize) -> f64 {
        let (n, m) = (self.x.len(), self.y.len());
        assert!((1..=n * m).contains(&k), "k = {k} outside 1..={}", n * m);
        // Columns below lo[i] rank before the answer, columns from hi[i] on rank after it.
        let mut lo = vec![0usize; n];
        let mut hi = vec![m; n];
        let (mut below, mut not_above) = (vec![0usize; n], vec![0usize; n]);
        let mut starts = vec![0usize; n + 1];
        let mut sample = Vec::with_capacity(SAMPLE);
        let mut rng = SplitMix(0x9e37_79b9_7f4a_7c15 ^ (k as u64));
        loop {
            let mut before = 0;
            for i in 0..n {
                before += lo[i];
                starts[i + 1] = starts[i] + hi[i] - lo[i];
            }
            let left = starts[n];
            if left <= DIRECT {
                let mut rest = Vec::with_capacity(left);
                for i in 0..n {
                    rest.extend((lo[i]..hi[i]).map(|c| self.at(i, c)));
                }
                let (_, v, _) = rest.select_nth_unstable_by(k - before - 1, f64::total_cmp);
                return *v;
            }
            sample.clear();
            for _ in 0..SAMPLE {
                let r = (rng.next() % left as u64) as usize;
                let i = starts.partition_point(|&s| s <= r) - 1;
                sample.push(self.at(i, lo[i] + r - starts[i]));
            }
            sample.sort_unstable_by(f64::total_cmp);
            let at = (k - before) as f64 / left as f64 * SAMPLE as f64;
            let spread = (SAMPLE as f64).sqrt();
            let index = |v: f64| (v.max(0.0) as usize).min(SAMPLE - 1);
            for pivot in [sample[index(at - spread)], sample[index(at + spread)]] {
                let (lt, le) = self.count(pivot, &mut below, &mut not_above);
                if k <= lt {
                    for (h, &b) in hi.iter_mut().zip(&below) {
                        *h = (*h).min(b);
                    }
                    break;
                } else if k <= le {
                    return pivot;
                }
                for (l, &b) in lo.iter_mut().zip(&not_above) {
                    *l = (*l).max(b);
                }
            }
        }
    }

    /// The k-th and (k+1)-th smallest differences, k in 1..len: the second costs one count
    /// more, not another selection.
    pub fn kth_and_next(&self, k: usize) -> (f64, f64) {
        let v = self.kth(k);
        let n = self.x.len();
        let (mut below, mut not_above) = (vec![0usize; n], vec![0usize; n]);
        let (_, le) = self.count(v, &mut below, &mut not_above);
        if le > k {
            return (v, v);
        }
        // The next is the smallest difference above v: the first past each row's boundary.
        let next = (0..n)
            .filter(|&i| not_above[i] < self.y.len())
            .map(|i| self.at(i, not_above[i]))
            .min_by(f64::total_cmp)
            .expect("k < len leaves a difference above the k-th");
        (v, next)
    }

    /// The median of the differences: the Hodges-Lehmann estimate of the shift x - y.
    pub fn median(&self) -> f64 {
        let len = self.len();
        if len % 2 == 1 {
            self.kth(len / 2 + 1)
        } else {
            let (a, b) = self.kth_and_next(len / 2);
            (a + b) / 2.0
        }
    }
}

/// A tiny fixed-seed generator for pivots: the result does not depend on them, only the time.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut v: Vec<f64>) -> Vec<f64> {
        v.sort_by(f64::total_cmp);
        v
    }

    fn brute(x: &[f64], y: &[f64]) -> Vec<f64> {
        let mut d: Vec<f64> = x
            .iter()
            .flat_map(|a| y.iter().map(move |b| a - b))
            .collect();
        d.sort_by(f64::total_cmp);
        d
    }

    #[test]
    fn stats_kth_difference_matches_sorting_all_of_them() {
        let mut g = SplitMix(7);
        for (n, m, levels) in [
            (1, 1, 0),
            (3, 5, 0),
            (70, 90, 0),
            (150, 120, 7),
            (200, 60, 0),
        ] {
            let draw = |g: &mut SplitMix| {
                let u = (g.next() >> 11) as f64 / (1u64 << 53) as f64;
                // With `levels`, values repeat: ties within and across the samples.
                if levels > 0 {
                    (u * levels as f64).floor()
                } else {
                    u * 100.0 - 50.0
                }
            };
            let x = sorted((0..n).map(|_| draw(&mut g)).collect());
            let y = sorted((0..m).map(|_| draw(&mut g)).collect());
            let all = brute(&x, &y);
            let d = Differences::new(&x, &y);
            for k in [
                1,
                2,
                all.len() / 3,
                all.len() / 2 + 1,
                all.len() - 1,
                all.len(),
            ] {
                if (1..=all.len()).contains(&k) {
                    assert_eq!(d.kth(k), all[k - 1], "n={n} m={m} k={k}");
                    if k < all.len() {
                        assert_eq!(d.kth_and_next(k), (all[k - 1], all[k]), "n={n} m={m} k={k}");
                    }
                }
            }
        }
    }
}
