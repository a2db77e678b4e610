//! Statistics for canary analysis: the Mann-Whitney test, the Hodges-Lehmann shift with its
//! confidence interval, and Kayenta's classification of one metric built on them. The policy
//! that turns classifications into a verdict lives in Rhai (`rollplay/analysis`).

mod exact;
pub mod kayenta;
mod mann_whitney;
pub mod normal;
mod pairwise;

pub use kayenta::{Classification, Direction, EffectMeasure, Judgement, Kayenta};
pub use mann_whitney::{Alternative, MannWhitney, Options, mann_whitney};

/// Why a statistic cannot be computed from its inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    #[error("`{sample}` is empty")]
    Empty { sample: &'static str },
    #[error("`{sample}` item {index} is {value}, not a finite number")]
    NotFinite {
        sample: &'static str,
        index: usize,
        value: f64,
    },
    #[error("`{name}` must be {expected}; got {value}")]
    OutOfRange {
        name: &'static str,
        expected: &'static str,
        value: f64,
    },
}

/// A sample checked for use: finite values, `-0.0` folded into `0.0` so that it ties with
/// `0.0` under every comparison, sorted ascending.
fn sorted_sample(values: &[f64], sample: &'static str) -> Result<Vec<f64>, StatsError> {
    if values.is_empty() {
        return Err(StatsError::Empty { sample });
    }
    let mut out = Vec::with_capacity(values.len());
    for (index, &v) in values.iter().enumerate() {
        if !v.is_finite() {
            return Err(StatsError::NotFinite {
                sample,
                index,
                value: v,
            });
        }
        out.push(v + 0.0);
    }
    out.sort_unstable_by(f64::total_cmp);
    Ok(out)
}

fn mean(sorted: &[f64]) -> f64 {
    sorted.iter().sum::<f64>() / sorted.len() as f64
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests;
