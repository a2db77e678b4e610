//! Kayenta's classification of one canary metric against its baseline: `High`, `Low` or
//! `Pass` from where the Mann-Whitney confidence interval of the shift lies relative to a
//! band around the Hodges-Lehmann estimate, gated by an effect size; `Nodata` when a side has
//! no values. Reproduces `MannWhitneyClassifier.classify` of Netflix's ACA judge
//! (spinnaker/kayenta, now spinnaker/spinnaker: kayenta-judge/src/main/scala/com/netflix/
//! kayenta/judge/classifiers/metric/MannWhitneyClassifier.scala) and the Spinnaker guide
//! "How canary judgment works" (spinnaker.io, guides/user/canary/judge).
//!
//! Where it departs from Kayenta, and why:
//! - Samples arrive clean: missing values are dropped by the caller (Kayenta's `nanStrategy`
//!   "remove") and there is no outlier removal (an optional step of the judge, not of the
//!   classifier).
//! - When each side is constant, Kayenta adds Gaussian noise so its interval can be computed;
//!   the tie-corrected normal approximation here has a variance then already, so the same
//!   decision comes without randomness.
//! - Kayenta always uses the normal approximation and finds the bounds with a root finder;
//!   this follows R's `wilcox.test`, which Kayenta ported: exact for small samples without
//!   ties, otherwise the same normal bounds, found exactly rather than to a tolerance.
//! - A mean ratio with a zero control mean is undefined: the effect is reported as unknown and
//!   its gates are skipped, as the guide describes (the classifier's code reports 1.0, which
//!   decides the same with the default thresholds).
//! - Samples too small to reach the confidence asked (3 against 3 values reach at most 90%)
//!   are `Nodata`, "insufficient data" in Kayenta's own table of labels: Kayenta would take
//!   the widest interval there is for a 95% one and could call three values `High`.
//! - The two-sided p-value is reported alongside; the decision, as in Kayenta, is the
//!   interval's.

use super::mann_whitney::{Alternative, MannWhitney, Options, mann_whitney};
use super::{StatsError, mean, median, sorted_sample};

/// The direction of change that counts against the canary (Kayenta's `direction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Increase,
    Decrease,
    Either,
}

/// How the size of a change is measured for the effect-size gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectMeasure {
    /// Canary mean / baseline mean; 1 is no change. Kayenta's default.
    MeanRatio,
    /// The share of (canary, baseline) pairs where the canary is higher, ties counted half
    /// (the common-language effect size); ½ is no change. Defined when means are zero.
    Cles,
}

impl EffectMeasure {
    /// The value that means "no change", the default of the gates.
    pub fn neutral(self) -> f64 {
        match self {
            EffectMeasure::MeanRatio => 1.0,
            EffectMeasure::Cles => 0.5,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classification {
    Pass,
    High,
    Low,
    /// A side had no data; counted neither way.
    Nodata,
    /// A side had no data and the metric must have data: a failure.
    NodataFailMetric,
}

impl Classification {
    /// Kayenta's label.
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Pass => "Pass",
            Classification::High => "High",
            Classification::Low => "Low",
            Classification::Nodata => "Nodata",
            Classification::NodataFailMetric => "NodataFailMetric",
        }
    }
}

/// The classifier's settings, Kayenta's names and defaults.
#[derive(Debug, Clone, Copy)]
pub struct Kayenta {
    /// Of the interval: 0.95 is the classifier's default (NetflixACAJudge passes 0.98).
    pub confidence: f64,
    /// The band is ±tolerance × |estimate|: the interval must clear it, not just zero.
    pub tolerance: f64,
    pub direction: Direction,
    pub effect_measure: EffectMeasure,
    /// `High` also needs effect ≥ allowed_increase; `Low` needs effect ≤ allowed_decrease.
    pub allowed_increase: f64,
    pub allowed_decrease: f64,
    /// A critical metric's `High`/`Low` beyond these fails the whole canary in Kayenta.
    pub critical: bool,
    pub critical_increase: f64,
    pub critical_decrease: f64,
    /// No data is then `NodataFailMetric` rather than `Nodata` (unless critical, as Kayenta).
    pub must_have_data: bool,
}

impl Default for Kayenta {
    fn default() -> Self {
        Kayenta {
            confidence: 0.95,
            tolerance: 0.25,
            direction: Direction::Either,
            effect_measure: EffectMeasure::MeanRatio,
            allowed_increase: 1.0,
            allowed_decrease: 1.0,
            critical: false,
            critical_increase: 1.0,
            critical_decrease: 1.0,
            must_have_data: false,
        }
    }
}

/// Count, mean and median of one side (mean and median absent without data).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: Option<f64>,
    pub median: Option<f64>,
}

/// A classification with what it was decided from.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub classification: Classification,
    /// One sentence a person can check against the numbers.
    pub reason: String,
    /// Kayenta's critical failure: a critical metric High or Low beyond its critical gate.
    pub critical: bool,
    /// The test, when one was needed (not for missing, identical or constant data).
    pub test: Option<MannWhitney>,
    /// The effect size by `effect_measure`; None when undefined (a zero control mean).
    pub effect: Option<f64>,
    /// Half-width of the band around zero the interval must clear.
    pub band: f64,
    pub control: Summary,
    pub experiment: Summary,
}

impl Kayenta {
    /// Classifies `experiment` (the canary) against `control` (the baseline). Errors only for
    /// values that are not finite numbers and for settings out of range.
    pub fn classify(&self, control: &[f64], experiment: &[f64]) -> Result<Judgement, StatsError> {
        self.check()?;
        let side = |values: &[f64], name| -> Result<(Vec<f64>, Summary), StatsError> {
            if values.is_empty() {
                return Ok((
                    Vec::new(),
                    Summary {
                        n: 0,
                        mean: None,
                        median: None,
                    },
                ));
            }
            let s = sorted_sample(values, name)?;
            let summary = Summary {
                n: s.len(),
                mean: Some(mean(&s)),
                median: Some(median(&s)),
            };
            Ok((s, summary))
        };
        let (y, control) = side(control, "control")?;
        let (x, experiment) = side(experiment, "experiment")?;
        let mut out = Judgement {
            classification: Classification::Pass,
            reason: String::new(),
            critical: false,
            test: None,
            effect: Some(self.effect_measure.neutral()),
            band: 0.0,
            control,
            experiment,
        };

        if x.is_empty() || y.is_empty() {
            let missing = match (x.is_empty(), y.is_empty()) {
                (true, true) => "canary and baseline",
                (true, false) => "canary",
                _ => "baseline",
            };
            out.effect = None;
            if self.must_have_data && !self.critical {
                out.classification = Classification::NodataFailMetric;
                out.reason = format!("no {missing} data, and the metric must have data");
            } else {
                out.classification = Classification::Nodata;
                out.critical = self.critical;
                out.reason = format!("no {missing} data");
            }
            return Ok(out);
        }
        if x == y {
            out.reason = "the canary and baseline data are identical".into();
            return Ok(out);
        }
        if x[0] == x[x.len() - 1] && y[0] == y[y.len() - 1] && x[0] == y[0] {
            out.reason = format!("every canary and baseline value is {}", num(x[0]));
            return Ok(out);
        }

        let options = Options {
            confidence: self.confidence,
            alternative: Alternative::TwoSided,
            exact: None,
        };
        let test = mann_whitney(&y, &x, options)?;
        if test.achieved_confidence + 1e-9 < self.confidence {
            out.classification = Classification::Nodata;
            out.critical = self.critical;
            out.reason = format!(
                "too few values to decide: {} canary and {} baseline values reach at most {}% \
                 confidence, not {}%",
                x.len(),
                y.len(),
                num(test.achieved_confidence * 100.0),
                num(self.confidence * 100.0)
            );
            out.effect = None;
            out.test = Some(test);
            return Ok(out);
        }
        let effect = match self.effect_measure {
            EffectMeasure::MeanRatio => {
                let (c, e) = (mean(&y), mean(&x));
                (c != 0.0).then(|| e / c)
            }
            EffectMeasure::Cles => Some(test.u / (x.len() * y.len()) as f64),
        };
        let band = self.tolerance * test.estimate.abs();
        let wants_high = matches!(self.direction, Direction::Increase | Direction::Either);
        let wants_low = matches!(self.direction, Direction::Decrease | Direction::Either);
        let at_least = |limit: f64| effect.is_none_or(|e| e >= limit);
        let at_most = |limit: f64| effect.is_none_or(|e| e <= limit);
        let above = test.lower > band;
        let below = test.upper < -band;

        let interval = format!(
            "the {}% interval of the shift [{}, {}]",
            num(self.confidence * 100.0),
            num(test.lower),
            num(test.upper)
        );
        let band_text = format!(
            "the band ±{} ({}% of the estimate {})",
            num(band),
            num(self.tolerance * 100.0),
            num(test.estimate)
        );
        let effect_text = match effect {
            Some(e) => format!("{} {}", self.effect_name(), num(e)),
            None => format!("{} undefined (zero baseline mean)", self.effect_name()),
        };
        (out.classification, out.reason, out.critical) = if wants_high
            && above
            && at_least(self.allowed_increase)
        {
            let critical = self.critical && at_least(self.critical_increase);
            let reason = format!("higher: {interval} lies above {band_text}; {effect_text}");
            (Classification::High, reason, critical)
        } else if wants_low && below && at_most(self.allowed_decrease) {
            let critical = self.critical && at_most(self.critical_decrease);
            let reason = format!("lower: {interval} lies below {band_text}; {effect_text}");
            (Classification::Low, reason, critical)
        } else if (wants_high && above) || (wants_low && below) {
            let reason = format!(
                "a significant shift but a small effect: {effect_text}, within {}..{}",
                num(self.allowed_decrease),
                num(self.allowed_increase)
            );
            (Classification::Pass, reason, false)
        } else {
            let reason = match (above, below) {
                (false, false) => format!("no significant shift: {interval} reaches {band_text}"),
                _ => format!("a shift in the direction that is not judged ({interval})"),
            };
            (Classification::Pass, reason, false)
        };
        if out.critical {
            out.reason.push_str(" (critical)");
        }
        out.effect = effect;
        out.band = band;
        out.test = Some(test);
        Ok(out)
    }

    fn effect_name(&self) -> &'static str {
        match self.effect_measure {
            EffectMeasure::MeanRatio => "mean ratio",
            EffectMeasure::Cles => "CLES",
        }
    }

    fn check(&self) -> Result<(), StatsError> {
        let finite = |name, value: f64, min: f64| {
            if value.is_finite() && value >= min {
                Ok(())
            } else {
                Err(StatsError::OutOfRange {
                    name,
                    expected: "a finite number ≥ 0",
                    value,
                })
            }
        };
        finite("tolerance", self.tolerance, 0.0)?;
        finite("allowed_increase", self.allowed_increase, 0.0)?;
        finite("allowed_decrease", self.allowed_decrease, 0.0)?;
        finite("critical_increase", self.critical_increase, 0.0)?;
        finite("critical_decrease", self.critical_decrease, 0.0)
    }
}

/// Four significant digits: enough to check a reason against the numbers, short to read.
fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}
