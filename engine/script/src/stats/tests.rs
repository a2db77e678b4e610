//! Known values: p-values cross-checked with scipy.stats.mannwhitneyu 1.17 and intervals with
//! R's wilcox.test algorithm (its uniroot replaced by a tight brentq), plus the behaviours a
//! canary judge relies on at the edges: ties, tiny, identical, constant and empty samples.

use super::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

fn test(control: &[f64], experiment: &[f64], options: Options) -> MannWhitney {
    mann_whitney(control, experiment, options).unwrap()
}

fn two_sided(confidence: f64) -> Options {
    Options {
        confidence,
        ..Options::default()
    }
}

fn with(alternative: Alternative, confidence: f64) -> Options {
    Options {
        confidence,
        alternative,
        exact: None,
    }
}

/// R's ?wilcox.test example (Hollander & Wolfe): x = experiment, y = control.
const HW_X: [f64; 10] = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const HW_Y: [f64; 5] = [1.15, 0.88, 0.90, 0.74, 1.21];

#[test]
fn stats_exact_test_matches_r_and_scipy() {
    let t = test(&HW_Y, &HW_X, two_sided(0.95));
    assert!(t.exact && !t.ties);
    assert_eq!(t.u, 35.0);
    assert!(close(t.p_value, 0.2544122544122544, 1e-12), "{t:?}");
    assert!(close(t.estimate, 0.305, 1e-12));
    assert!(
        close(t.lower, -0.15, 1e-12) && close(t.upper, 0.76, 1e-12),
        "{t:?}"
    );
    assert!(t.achieved_confidence >= 0.95);

    let g = test(&HW_Y, &HW_X, with(Alternative::Greater, 0.95));
    assert!(close(g.p_value, 0.1272061272061272, 1e-12));
    assert!(close(g.lower, -0.08, 1e-12) && g.upper == f64::INFINITY);
    let l = test(&HW_Y, &HW_X, with(Alternative::Less, 0.95));
    assert!(close(l.p_value, 0.8967698967698968, 1e-12));
    assert!(l.lower == f64::NEG_INFINITY && close(l.upper, 0.72, 1e-12));
}

#[test]
fn stats_normal_approximation_matches_r_and_scipy() {
    let forced = Options {
        exact: Some(false),
        ..Options::default()
    };
    let t = test(&HW_Y, &HW_X, forced);
    assert!(!t.exact);
    assert!(close(t.p_value, 0.24462360512698333, 1e-12), "{t:?}");
    assert!(
        close(t.lower, -0.15, 1e-12) && close(t.upper, 0.76, 1e-12),
        "{t:?}"
    );

    let (x, y) = (large_x(), large_y());
    let t = test(&y, &x, two_sided(0.95));
    assert!(!t.exact, "60 and 80 values use the approximation");
    assert_eq!(t.u, 2617.0);
    assert!(close(t.p_value, 0.3619638115990783, 1e-12), "{t:?}");
    assert!(close(t.estimate, 1.436642, 1e-9));
    assert!(
        close(t.lower, -1.920662, 1e-9) && close(t.upper, 4.501131, 1e-9),
        "{t:?}"
    );
    let l = test(&y, &x, with(Alternative::Less, 0.90));
    assert!(close(l.p_value, 0.8201246460420895, 1e-12));
    assert!(close(l.upper, 3.512043, 1e-9), "{l:?}");
}

#[test]
fn stats_ties_use_midranks_and_the_tie_correction() {
    let x = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0, 6.0, 7.0, 7.0];
    let y = [0.0, 1.0, 1.0, 2.0, 3.0, 3.0, 4.0, 4.0];
    let t = test(&y, &x, two_sided(0.95));
    assert!(t.ties && !t.exact, "ties rule out the exact test");
    assert_eq!(t.u, 69.0);
    assert!(close(t.p_value, 0.04115991862649254, 1e-12), "{t:?}");
    assert_eq!((t.estimate, t.lower, t.upper), (2.0, 0.0, 4.0));
    let t90 = test(&y, &x, two_sided(0.90));
    assert_eq!((t90.lower, t90.upper), (1.0, 4.0));
    let g = test(&y, &x, with(Alternative::Greater, 0.95));
    assert!(close(g.p_value, 0.02057995931324627, 1e-12));
    assert_eq!(g.lower, 1.0);
}

#[test]
fn stats_tiny_identical_and_constant_samples() {
    // One value each: nothing to test, and nothing breaks.
    let t = test(&[1.0], &[2.0], two_sided(0.95));
    assert_eq!(
        (t.u, t.p_value, t.estimate, t.lower, t.upper),
        (1.0, 1.0, 1.0, 1.0, 1.0)
    );

    let same = [3.0, 1.0, 2.0, 5.0, 4.0];
    let t = test(&same, &same, two_sided(0.95));
    assert_eq!((t.u, t.estimate), (12.5, 0.0));
    assert!(t.p_value > 0.99 && t.lower < 0.0 && t.upper > 0.0, "{t:?}");

    // No variance at all: p = 1 rather than 0/0.
    let flat = [7.0; 20];
    let t = test(&flat, &flat, two_sided(0.95));
    assert_eq!(
        (t.z, t.p_value, t.estimate, t.lower, t.upper),
        (0.0, 1.0, 0.0, 0.0, 0.0)
    );

    // Each side constant, at different values: the tie-corrected variance is not zero.
    let t = test(&[0.0; 12], &[0.05; 12], two_sided(0.95));
    assert!(t.p_value < 1e-5, "{t:?}");
    assert!(close(t.estimate, 0.05, 1e-12) && close(t.lower, 0.05, 1e-12));
}

#[test]
fn stats_bad_inputs_are_errors_not_nan() {
    let e = mann_whitney(&[], &[1.0], Options::default()).unwrap_err();
    assert_eq!(e, StatsError::Empty { sample: "control" });
    assert_eq!(e.to_string(), "`control` is empty");
    let e = mann_whitney(&[1.0], &[1.0, f64::NAN], Options::default()).unwrap_err();
    assert!(e.to_string().contains("`experiment` item 1"), "{e}");
    let e = mann_whitney(&[1.0], &[2.0], two_sided(95.0)).unwrap_err();
    assert!(e.to_string().contains("confidence"), "{e}");

    let k = Kayenta::default().classify(&[], &[1.0, 2.0]).unwrap();
    assert_eq!(k.classification, Classification::Nodata);
    assert_eq!(k.reason, "no baseline data");
    let must = Kayenta {
        must_have_data: true,
        ..Kayenta::default()
    };
    let k = must.classify(&[1.0], &[]).unwrap();
    assert_eq!(k.classification, Classification::NodataFailMetric);
}

/// A deterministic normal-ish stream (sum of uniforms), so the data need no dependency.
fn noise(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            (0..12)
                .map(|_| {
                    s = s
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (s >> 11) as f64 / (1u64 << 53) as f64
                })
                .sum::<f64>()
                - 6.0
        })
        .collect()
}

#[test]
fn stats_kayenta_flags_a_latency_regression() {
    let stable: Vec<f64> = noise(1, 60).iter().map(|z| 200.0 + 15.0 * z).collect();
    let canary: Vec<f64> = noise(2, 60).iter().map(|z| 300.0 + 20.0 * z).collect();
    let k = Kayenta {
        direction: Direction::Increase,
        ..Kayenta::default()
    };
    let j = k.classify(&stable, &canary).unwrap();
    assert_eq!(j.classification, Classification::High, "{j:?}");
    let t = j.test.as_ref().unwrap();
    assert!(
        t.p_value < 1e-10 && t.lower > j.band && j.effect.unwrap() > 1.4,
        "{j:?}"
    );
    assert!(
        j.reason.starts_with("higher: the 95% interval"),
        "{}",
        j.reason
    );

    // A decrease is not judged when only increases count.
    let j = k.classify(&canary, &stable).unwrap();
    assert_eq!(j.classification, Classification::Pass, "{j:?}");
    // With a critical gate, a 50% increase is critical.
    let critical = Kayenta {
        critical: true,
        critical_increase: 1.3,
        ..k
    };
    let j = critical.classify(&stable, &canary).unwrap();
    assert!(j.critical && j.reason.ends_with("(critical)"), "{j:?}");
    // An effect gate above the change lets it pass, saying why.
    let gated = Kayenta {
        allowed_increase: 2.0,
        ..k
    };
    let j = gated.classify(&stable, &canary).unwrap();
    assert_eq!(j.classification, Classification::Pass);
    assert!(j.reason.contains("small effect"), "{}", j.reason);
}

/// Documented behaviour (a): the canary's latency is three times as spread out around the same
/// median. The rank test looks for a shift, sees none, and the metric passes: an erratic but
/// not slower canary is for thresholds (a p99 limit) to catch, not for this test.
#[test]
fn stats_variance_only_regression_is_not_a_shift() {
    let stable: Vec<f64> = noise(3, 120).iter().map(|z| 200.0 + 10.0 * z).collect();
    let canary: Vec<f64> = noise(4, 120).iter().map(|z| 200.0 + 30.0 * z).collect();
    let t = test(&stable, &canary, two_sided(0.95));
    assert!(t.p_value > 0.05, "{t:?}");
    assert!(t.lower < 0.0 && t.upper > 0.0, "{t:?}");
    let j = Kayenta::default().classify(&stable, &canary).unwrap();
    assert_eq!(j.classification, Classification::Pass, "{j:?}");
    assert!(j.reason.starts_with("no significant shift"), "{}", j.reason);
}

/// Documented behaviour (b): three values against three, the canary's all higher. The exact
/// test cannot go below p = 0.1 with so few, and the widest interval there is has only 90%
/// confidence: too little to decide, which the classifier says as `Nodata`.
#[test]
fn stats_three_against_three_cannot_decide() {
    let t = test(
        &[100.0, 101.0, 102.0],
        &[150.0, 160.0, 170.0],
        two_sided(0.95),
    );
    assert!(t.exact);
    assert!(close(t.p_value, 0.1, 1e-12), "{t:?}");
    assert!(close(t.achieved_confidence, 0.9, 1e-12), "{t:?}");
    assert_eq!((t.lower, t.upper), (48.0, 70.0));
    let j = Kayenta::default()
        .classify(&[100.0, 101.0, 102.0], &[150.0, 160.0, 170.0])
        .unwrap();
    assert_eq!(j.classification, Classification::Nodata, "{j:?}");
    assert!(
        j.reason.starts_with("too few values to decide"),
        "{}",
        j.reason
    );
}

#[test]
fn stats_kayenta_shortcuts_for_identical_and_constant_data() {
    let k = Kayenta::default();
    let j = k.classify(&[1.0, 2.0, 3.0], &[3.0, 1.0, 2.0]).unwrap();
    assert_eq!(j.classification, Classification::Pass);
    assert_eq!(j.reason, "the canary and baseline data are identical");
    assert_eq!(j.effect, Some(1.0));
    let j = k.classify(&[0.0; 30], &[0.0; 10]).unwrap();
    assert_eq!(j.reason, "every canary and baseline value is 0");
    // A baseline without errors and a canary with some: the mean ratio is undefined, the
    // interval decides alone (Kayenta's guide, example A).
    let canary: Vec<f64> = (0..30)
        .map(|i| if i % 3 == 0 { 0.0 } else { 0.05 })
        .collect();
    let j = k.classify(&[0.0; 30], &canary).unwrap();
    assert_eq!(j.classification, Classification::High, "{j:?}");
    assert_eq!(j.effect, None);
    assert!(j.reason.contains("undefined"), "{}", j.reason);
    let cles = Kayenta {
        effect_measure: EffectMeasure::Cles,
        allowed_increase: 0.5,
        ..k
    };
    let j = cles.classify(&[0.0; 30], &canary).unwrap();
    assert!(close(j.effect.unwrap(), 0.8333333333333334, 1e-12), "{j:?}");
}

fn large_x() -> Vec<f64> {
    vec![
        103.341928, 116.597475, 115.247211, 97.896929, 100.020305, 97.726158, 108.697264,
        102.439356, 110.468856, 84.526752, 118.665488, 102.035678, 109.803785, 101.634337,
        99.209014, 107.631102, 111.245135, 100.974701, 101.472138, 109.856986, 94.296594,
        87.856165, 106.949819, 96.294342, 83.796594, 94.859463, 98.324024, 91.067975, 88.075361,
        103.366378, 111.972493, 100.668679, 95.56404, 106.849938, 110.172358, 99.999894,
        108.446678, 113.428755, 100.930436, 94.864845, 106.476506, 105.475457, 113.988128,
        90.154192, 96.383871, 94.61833, 85.659852, 104.264346, 108.278042, 95.6121, 116.856471,
        111.219243, 109.273765, 107.017071, 112.556696, 89.680202, 109.139297, 109.027768,
        85.322814, 106.470301,
    ]
}

fn large_y() -> Vec<f64> {
    vec![
        97.495787, 107.815227, 95.609378, 99.817591, 103.428515, 91.237383, 105.985966, 98.950368,
        104.924826, 94.781625, 110.862015, 106.05202, 98.21975, 106.319572, 112.597552, 117.911755,
        84.264236, 108.831318, 104.650685, 99.061392, 89.933351, 112.571886, 87.38262, 105.669455,
        113.01868, 84.003307, 96.974822, 86.907832, 102.440541, 115.143751, 120.23556, 82.218856,
        94.25051, 107.035451, 115.793727, 104.212106, 92.53848, 102.971315, 99.833808, 97.962593,
        92.655289, 103.872598, 103.078796, 99.070159, 97.783121, 87.150834, 95.138243, 112.064497,
        98.094417, 85.603027, 113.344428, 105.302654, 121.08087, 100.625122, 95.386154, 85.523553,
        113.238384, 125.695115, 91.790651, 93.529124, 105.961888, 91.696546, 97.294416, 96.501623,
        101.919589, 110.948184, 100.220676, 109.189101, 95.801111, 103.277985, 78.617744,
        85.500519, 107.959134, 94.098506, 105.799149, 105.423443, 113.222789, 108.118591,
        110.169914, 98.883287,
    ]
}
