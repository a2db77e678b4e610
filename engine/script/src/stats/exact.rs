//! The exact null distribution of the Mann-Whitney statistic, for small samples without ties
//! where the normal approximation is coarse. R's `wilcox.test` uses it when both samples have
//! fewer than 50 values; so do we, which keeps p-values and intervals comparable with R's.

/// Sizes up to which the exact distribution is used (exclusive), as in R.
pub const EXACT_BELOW: usize = 50;

/// The distribution of U (the number of pairs with x > y) for samples of m and n values.
pub struct Exact {
    /// `counts[u]`: how many of the C(m+n, n) orderings give U = u.
    counts: Vec<i128>,
    total: i128,
}

impl Exact {
    /// The counts are the coefficients of the Gaussian binomial
    /// [m+n choose n]_q = Π_{i=1..n} (1 - q^(m+i)) / (1 - q^i), built one factor at a time.
    /// Integers keep them exact: the largest, C(98, 49) ≈ 2.5e28, fits an i128 with room.
    pub fn new(m: usize, n: usize) -> Exact {
        debug_assert!(m < EXACT_BELOW && n < EXACT_BELOW);
        let max = m * n;
        let mut c = vec![0i128; max + 1];
        c[0] = 1;
        for i in 1..=n {
            let k = m + i;
            for j in (k..=max).rev() {
                c[j] -= c[j - k];
            }
            for j in i..=max {
                c[j] += c[j - i];
            }
        }
        let total = c.iter().sum();
        Exact { counts: c, total }
    }

    fn max(&self) -> usize {
        self.counts.len() - 1
    }

    /// P(U ≤ u).
    pub fn cdf(&self, u: f64) -> f64 {
        if u < 0.0 {
            return 0.0;
        }
        let u = (u.floor() as usize).min(self.max());
        // Sum the shorter side: the distribution is symmetric about m·n/2.
        if u <= self.max() / 2 {
            self.counts[..=u].iter().sum::<i128>() as f64 / self.total as f64
        } else {
            1.0 - self.counts[u + 1..].iter().sum::<i128>() as f64 / self.total as f64
        }
    }

    /// P(U ≥ u).
    pub fn sf(&self, u: f64) -> f64 {
        // By symmetry, P(U ≥ u) = P(U ≤ m·n - u).
        self.cdf(self.max() as f64 - u)
    }

    /// R's `qwilcox(p, m, n)` for p ≤ ½: the smallest u with P(U ≤ u) ≥ p (less a few ulps,
    /// as R allows, so that p landing on a step is not missed to rounding).
    pub fn quantile(&self, p: f64) -> usize {
        let target = p - 10.0 * f64::EPSILON;
        let mut cum = 0i128;
        for (u, &c) in self.counts.iter().enumerate() {
            cum += c;
            if cum as f64 / self.total as f64 >= target {
                return u;
            }
        }
        self.max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_exact_counts_are_the_known_tables() {
        // m = n = 2: the orderings give U = 0, 1, 2, 2, 3, 4.
        assert_eq!(Exact::new(2, 2).counts, vec![1, 1, 2, 1, 1]);
        let e = Exact::new(49, 49);
        // C(98, 49)
        assert_eq!(e.total, 25477612258980856902730428600);
        assert!(e.counts.iter().all(|&c| c > 0));
        assert_eq!(e.counts[0], 1);
        assert_eq!(e.counts[1], 1);
        assert_eq!(e.counts[2], 2);
    }

    #[test]
    fn stats_exact_quantiles_match_r() {
        // qwilcox(0.025, 10, 5) = 9 and qwilcox(0.025, 10, 10) = 24 in R.
        assert_eq!(Exact::new(10, 5).quantile(0.025), 9);
        assert_eq!(Exact::new(10, 10).quantile(0.025), 24);
    }
}
