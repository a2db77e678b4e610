//! Primitives that compare a canary's samples with its baseline's: the statistics of
//! `crate::stats` as script values. What to compare and what verdict follows is policy, and
//! stays in scripts (`rollplay/analysis`).

use crate::api::host::{RhaiResult, bad_argument};
use crate::stats::{Alternative, Direction, EffectMeasure, Kayenta, MannWhitney, Options};
use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};

#[export_module]
pub mod statistics {
    use crate::api::host::RhaiResult;
    use rhai::{Array, Map};

    /// Compares two samples with the Mann-Whitney U test (Wilcoxon rank-sum): is
    /// `experiment` shifted from `control`? Returns `#{u, z, p_value, estimate, lower,
    /// upper, confidence, achieved_confidence, exact, ties, control_n, experiment_n}`:
    /// `estimate` is the Hodges-Lehmann shift (the median of all differences experiment -
    /// control) and `lower`..`upper` its 95% confidence interval. As R's
    /// `wilcox.test(experiment, control, conf.int = TRUE)`: exact when both samples have fewer
    /// than 50 values and no ties, else the normal approximation with tie and continuity
    /// corrections. `achieved_confidence` is below 0.95 when there are too few values for a
    /// 95% interval (3 against 3 reach 90%).
    ///
    /// Errors: an empty sample, or an item that is not a finite number (the message names the
    /// argument and the item).
    ///
    /// ```rhai
    /// let stable = [201.0, 198.5, 205.2, 199.1, 202.3, 200.7, 197.9, 203.4];
    /// let canary = [240.2, 251.7, 238.9, 245.0, 249.3, 243.8, 252.1, 247.6];
    /// let t = mann_whitney(stable, canary);
    /// assert(t.p_value < 0.001 && t.lower > 30.0);
    /// print(`canary is ${t.estimate} ms slower (${t.lower} to ${t.upper}), p=${t.p_value}`);
    /// ```
    #[rhai_fn(name = "mann_whitney", return_raw)]
    pub fn mann_whitney(control: Array, experiment: Array) -> RhaiResult<Map> {
        super::mann_whitney_with(control, experiment, Map::new())
    }

    /// `mann_whitney` with options: `confidence` of the interval (0.95) and `alternative`:
    /// `"two-sided"` (the default), `"greater"` (experiment shifted up; the interval's upper
    /// end is then infinite) or `"less"`.
    ///
    /// Errors: as `mann_whitney`; an unknown option or a value out of range.
    ///
    /// ```rhai
    /// let t = mann_whitney([12, 15, 11, 14, 13], [16, 18, 17, 20, 19],
    ///     #{ confidence: 0.9, alternative: "greater" });
    /// assert(t.exact && t.p_value < 0.01);
    /// ```
    #[rhai_fn(name = "mann_whitney", return_raw)]
    pub fn mann_whitney_options(
        control: Array,
        experiment: Array,
        options: Map,
    ) -> RhaiResult<Map> {
        super::mann_whitney_with(control, experiment, options)
    }

    /// Classifies one metric of a canary (`experiment`) against its baseline (`control`) as
    /// Kayenta's judge does: `"High"` or `"Low"` when the confidence interval of the shift
    /// clears a band of ±`tolerance` × the estimate and the effect size passes its gate,
    /// `"Pass"` otherwise, `"Nodata"` when a side has no values or too few to reach the
    /// confidence (`"NodataFailMetric"` with `must_have_data`). Returns `#{classification,
    /// reason, critical, p_value, estimate, lower, upper, band, effect, cles, control_n,
    /// experiment_n, control_mean, experiment_mean, control_median, experiment_median,
    /// confidence, achieved_confidence}`; `effect` is `()` when undefined (a zero baseline
    /// mean), test fields are `()` when no test was needed (no data, identical data).
    ///
    /// Errors: an item that is not a finite number.
    ///
    /// ```rhai
    /// let k = classify([10, 11, 12, 11, 10, 12, 11, 10, 11, 12], [10, 12, 11, 11, 10, 12, 10, 11, 12, 11]);
    /// assert(k.classification == "Pass");
    /// ```
    #[rhai_fn(name = "classify", return_raw)]
    pub fn classify(control: Array, experiment: Array) -> RhaiResult<Map> {
        super::classify_with(control, experiment, Map::new())
    }

    /// `classify` with Kayenta's settings (defaults in brackets): `confidence` (0.95),
    /// `tolerance` (0.25), `direction`: `"increase"`, `"decrease"` or `"either"` (either),
    /// `effect_measure`: `"mean_ratio"` (canary mean / baseline mean, the default) or
    /// `"cles"` (the share of pairs where the canary is higher), `allowed_increase` and
    /// `allowed_decrease` (the no-change value: 1 for the ratio, 0.5 for CLES), `critical`
    /// (false) with `critical_increase` and `critical_decrease`, `must_have_data` (false).
    ///
    /// Errors: an item that is not a finite number; an unknown setting or a value out of
    /// range.
    ///
    /// ```rhai
    /// let stable = [0.001, 0.0, 0.002, 0.001, 0.0, 0.001, 0.002, 0.0, 0.001, 0.001];
    /// let canary = [0.05, 0.04, 0.06, 0.05, 0.055, 0.045, 0.05, 0.06, 0.04, 0.05];
    /// let k = classify(stable, canary, #{ direction: "increase", allowed_increase: 1.25 });
    /// assert(k.classification == "High" && k.effect > 40.0);
    /// print(k.reason);
    /// ```
    #[rhai_fn(name = "classify", return_raw)]
    pub fn classify_options(control: Array, experiment: Array, options: Map) -> RhaiResult<Map> {
        super::classify_with(control, experiment, options)
    }
}

fn mann_whitney_with(control: Array, experiment: Array, options: Map) -> RhaiResult<Map> {
    const P: &str = "mann_whitney";
    let mut o = Options::default();
    let mut opts = Settings::new(P, options, &["confidence", "alternative"])?;
    if let Some(c) = opts.number("confidence")? {
        o.confidence = c;
    }
    if let Some(a) = opts.choice("alternative", &["two-sided", "greater", "less"])? {
        o.alternative = match a {
            "greater" => Alternative::Greater,
            "less" => Alternative::Less,
            _ => Alternative::TwoSided,
        };
    }
    let c = numbers(&control, "control", P)?;
    let e = numbers(&experiment, "experiment", P)?;
    let t =
        crate::stats::mann_whitney(&c, &e, o).map_err(|err| bad_argument(P, err.to_string()))?;
    let mut m = Map::new();
    put_test(&mut m, Some(&t));
    m.insert("confidence".into(), t.confidence.into());
    m.insert("z".into(), t.z.into());
    m.insert("exact".into(), t.exact.into());
    m.insert("ties".into(), t.ties.into());
    m.insert("control_n".into(), (t.control_n as i64).into());
    m.insert("experiment_n".into(), (t.experiment_n as i64).into());
    Ok(m)
}

fn classify_with(control: Array, experiment: Array, options: Map) -> RhaiResult<Map> {
    const P: &str = "classify";
    const KEYS: &[&str] = &[
        "confidence",
        "tolerance",
        "direction",
        "effect_measure",
        "allowed_increase",
        "allowed_decrease",
        "critical",
        "critical_increase",
        "critical_decrease",
        "must_have_data",
    ];
    let mut opts = Settings::new(P, options, KEYS)?;
    let mut k = Kayenta::default();
    if let Some(m) = opts.choice("effect_measure", &["mean_ratio", "cles"])? {
        k.effect_measure = match m {
            "cles" => EffectMeasure::Cles,
            _ => EffectMeasure::MeanRatio,
        };
    }
    let neutral = k.effect_measure.neutral();
    let or = |v: Option<f64>| v.unwrap_or(neutral);
    k.allowed_increase = or(opts.number("allowed_increase")?);
    k.allowed_decrease = or(opts.number("allowed_decrease")?);
    k.critical_increase = or(opts.number("critical_increase")?);
    k.critical_decrease = or(opts.number("critical_decrease")?);
    k.confidence = opts.number("confidence")?.unwrap_or(k.confidence);
    k.tolerance = opts.number("tolerance")?.unwrap_or(k.tolerance);
    k.critical = opts.flag("critical")?.unwrap_or(k.critical);
    k.must_have_data = opts.flag("must_have_data")?.unwrap_or(k.must_have_data);
    if let Some(d) = opts.choice("direction", &["increase", "decrease", "either"])? {
        k.direction = match d {
            "increase" => Direction::Increase,
            "decrease" => Direction::Decrease,
            _ => Direction::Either,
        };
    }
    let c = numbers(&control, "control", P)?;
    let e = numbers(&experiment, "experiment", P)?;
    let j = k
        .classify(&c, &e)
        .map_err(|err| bad_argument(P, err.to_string()))?;
    let mut m = Map::new();
    m.insert("classification".into(), j.classification.as_str().into());
    m.insert("reason".into(), j.reason.into());
    m.insert("critical".into(), j.critical.into());
    put_test(&mut m, j.test.as_ref());
    let cles = j
        .test
        .as_ref()
        .map(|t| t.u / (t.control_n * t.experiment_n) as f64);
    m.insert("band".into(), j.band.into());
    m.insert("effect".into(), opt(j.effect));
    m.insert("cles".into(), opt(cles));
    m.insert("confidence".into(), k.confidence.into());
    for (prefix, side) in [("control", &j.control), ("experiment", &j.experiment)] {
        m.insert(format!("{prefix}_n").into(), (side.n as i64).into());
        m.insert(format!("{prefix}_mean").into(), opt(side.mean));
        m.insert(format!("{prefix}_median").into(), opt(side.median));
    }
    Ok(m)
}

/// The fields a test gives, `()` each when there was none.
fn put_test(m: &mut Map, t: Option<&MannWhitney>) {
    let field = |f: fn(&MannWhitney) -> f64| opt(t.map(f));
    m.insert("u".into(), field(|t| t.u));
    m.insert("p_value".into(), field(|t| t.p_value));
    m.insert("estimate".into(), field(|t| t.estimate));
    m.insert("lower".into(), field(|t| t.lower));
    m.insert("upper".into(), field(|t| t.upper));
    m.insert(
        "achieved_confidence".into(),
        field(|t| t.achieved_confidence),
    );
}

fn opt(v: Option<f64>) -> Dynamic {
    v.map(Dynamic::from_float).unwrap_or(Dynamic::UNIT)
}

/// A script array as numbers; anything else is an error naming the argument and the item.
fn numbers(values: &Array, argument: &str, primitive: &str) -> RhaiResult<Vec<f64>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_float()
                .ok()
                .or_else(|| v.as_int().ok().map(|n| n as f64))
                .ok_or_else(|| {
                    bad_argument(
                        primitive,
                        format!(
                            "`{argument}` must be an array of numbers; item {i} is {} ({v}): \
                             drop missing values first, e.g. `.filter(|v| v != ())`",
                            v.type_name()
                        ),
                    )
                })
        })
        .collect()
}

/// An options map, read key by key; unknown keys are refused up front, with a hint.
struct Settings {
    primitive: &'static str,
    map: Map,
}

impl Settings {
    fn new(primitive: &'static str, map: Map, known: &[&str]) -> RhaiResult<Settings> {
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            let hint = rollplay_core::suggest::hint(unknown, known.iter().copied());
            return Err(bad_argument(
                primitive,
                format!(
                    "unknown option `{unknown}`{hint}; known: {}",
                    known.join(", ")
                ),
            ));
        }
        Ok(Settings { primitive, map })
    }

    fn get(&mut self, key: &str) -> Option<Dynamic> {
        self.map.remove(key).filter(|v| !v.is_unit())
    }

    fn wrong(&self, key: &str, expected: &str, v: &Dynamic) -> Box<EvalAltResult> {
        bad_argument(
            self.primitive,
            format!(
                "option `{key}` must be {expected}; got {v} ({})",
                v.type_name()
            ),
        )
    }

    fn number(&mut self, key: &str) -> RhaiResult<Option<f64>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        v.as_float()
            .ok()
            .or_else(|| v.as_int().ok().map(|n| n as f64))
            .map(Some)
            .ok_or_else(|| self.wrong(key, "a number", &v))
    }

    fn flag(&mut self, key: &str) -> RhaiResult<Option<bool>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        v.as_bool()
            .map(Some)
            .map_err(|_| self.wrong(key, "true or false", &v))
    }

    fn choice<'a>(&mut self, key: &str, allowed: &[&'a str]) -> RhaiResult<Option<&'a str>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let text = v.clone().into_string().unwrap_or_default();
        match allowed.iter().find(|a| **a == text) {
            Some(a) => Ok(Some(a)),
            None => {
                let expected = format!(
                    "one of {}{}",
                    allowed.join(", "),
                    rollplay_core::suggest::hint(&text, allowed.iter().copied())
                );
                Err(self.wrong(key, &expected, &v))
            }
        }
    }
}
