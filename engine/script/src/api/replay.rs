//! Rehearsals on fresh simulators: replay a load profile against an application for one or
//! many autoscaling settings, and draw the outcome.

use rhai::plugin::*;

#[export_module]
pub mod rehearsal {
    use crate::api::host::{RhaiResult, bad_argument, from_json, host};
    use rhai::{Array, Dynamic, Map, NativeCallContext};

    /// Replays a load profile against an application on a fresh simulator (its own clock and
    /// seed; the run's simulator is untouched) and measures one autoscaling setting. `config`:
    /// `manifests` (required: what `apply` takes), `load` (req/s, or `[[at_seconds, rps], ...]`),
    /// `autoscaler` (merged into the spec of the workload's HorizontalPodAutoscaler, in API
    /// field names: `#{minReplicas: 2, maxReplicas: 20, metrics: [...], behavior: #{...}}`; one
    /// is created when the manifests have none), `duration` (default: 5 minutes past the last
    /// load point, or 30m), `slo_p99_ms` (500), `slo_error_rate` (0.01), `seed` (1), and
    /// `workload`, `service`, `namespace` when the manifests hold several. Image profiles are
    /// the run's. Returns `slo_violating_minutes` (minutes whose p99 or error rate broke the
    /// SLO), `p99_ms`, `error_rate`, `replica_minutes` (the cost), `scale_events`,
    /// `max_replicas` and `minutes` (per minute: `minute`, `rps`, `replicas`, `p99_ms`,
    /// `error_rate`, `violating`). An array of configs replays them in parallel and returns
    /// an array.
    ///
    /// Errors: a missing or unknown key; manifests without the workload or Service.
    ///
    /// ```rhai
    /// let app = `
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: shop}
    /// spec:
    ///   replicas: 2
    ///   selector: {matchLabels: {app: shop}}
    ///   template:
    ///     metadata: {labels: {app: shop}}
    ///     spec:
    ///       containers:
    ///       - {name: shop, image: "shop:1", resources: {requests: {cpu: 250m}}}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: shop}
    /// spec: {selector: {app: shop}, ports: [{port: 80}]}
    /// `;
    /// let r = sim_replay(#{
    ///     manifests: app,
    ///     load: [[0, 110], [600, 190], [900, 1100]],
    ///     autoscaler: #{ minReplicas: 2, maxReplicas: 40 },
    ///     duration: "20m",
    /// });
    /// assert(r.minutes.len() == 20 && r.max_replicas > 2);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn sim_replay(ctx: NativeCallContext, config: Dynamic) -> RhaiResult<Dynamic> {
        let h = host(&ctx)?;
        let single = config.is_map();
        let items: Array = if single {
            vec![config]
        } else if let Some(list) = config.clone().try_cast::<Array>() {
            list
        } else {
            return Err(bad_argument(
                "sim_replay",
                format!(
                    "expected a config map or an array of them, got {}",
                    config.type_name()
                ),
            ));
        };
        let mut configs = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let Some(map) = item.clone().try_cast::<Map>() else {
                return Err(bad_argument(
                    "sim_replay",
                    format!("config {}: expected a map, got {}", i + 1, item.type_name()),
                ));
            };
            configs.push(super::config(&map, &h.namespace())?);
        }
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let mut out = Array::new();
        for (i, result) in h
            .rehearsal
            .replay_all(&configs, threads)
            .into_iter()
            .enumerate()
        {
            let report = result.map_err(|e| {
                crate::api::host::runtime_error(&e, Some("sim_replay")).tap_config(i, configs.len())
            })?;
            out.push(from_json(
                &serde_json::to_value(report).expect("report serialises"),
            ));
        }
        Ok(if single {
            out.remove(0)
        } else {
            Dynamic::from_array(out)
        })
    }

    /// Draws series over time to an SVG file, one panel per entry of `panels`, sharing the x
    /// axis: `#{ title, x_label, panels: [ #{ y_label, series: [ #{ name, points: [[x, y], ...] } ] } ] }`.
    /// Returns the path.
    ///
    /// Errors: a malformed chart; the file cannot be written.
    ///
    /// ```rhai
    /// let path = chart_svg(`${tmp_dir()}/load.svg`, #{
    ///     title: "load", x_label: "minute",
    ///     panels: [#{ y_label: "req/s", series: [#{ name: "web", points: [[0, 110], [30, 1100]] }] }],
    /// });
    /// assert(path.ends_with("load.svg"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn chart_svg(path: &str, chart: Map) -> RhaiResult<String> {
        let chart = super::chart(&chart)?;
        let text = crate::chart::svg(&chart).map_err(|e| bad_argument("chart_svg", e))?;
        std::fs::write(path, text).map_err(|e| {
            crate::api::host::runtime_error(
                &rollplay_core::error::Error::bad_input(
                    format!("chart_svg(\"{path}\")"),
                    format!("cannot write the file: {e}"),
                ),
                Some("chart_svg"),
            )
        })?;
        Ok(path.to_string())
    }

    /// A directory for scratch files (the system's temporary directory).
    ///
    /// ```rhai
    /// assert(tmp_dir() != "");
    /// ```
    pub fn tmp_dir() -> String {
        std::env::temp_dir().display().to_string()
    }
}

use crate::api::host::{RhaiResult, bad_argument, duration, to_json};
use crate::chart::{Chart, Panel, Series};
use rhai::{Dynamic, EvalAltResult, Map};
use rollplay_core::backend::{Rate, ReplayConfig};
use rollplay_core::kind::Kind;

trait Tap {
    fn tap_config(self, i: usize, n: usize) -> Self;
}

impl Tap for Box<EvalAltResult> {
    /// Names the config that failed when there are several.
    fn tap_config(self, i: usize, n: usize) -> Self {
        if n <= 1 {
            return self;
        }
        match *self {
            EvalAltResult::ErrorRuntime(v, p) => {
                let mut m = v.clone().try_cast::<Map>().unwrap_or_default();
                let message = m.get("message").map(|x| x.to_string()).unwrap_or_default();
                m.insert(
                    "message".into(),
                    format!("config {}: {message}", i + 1).into(),
                );
                Box::new(EvalAltResult::ErrorRuntime(Dynamic::from_map(m), p))
            }
            other => Box::new(other),
        }
    }
}

const KEYS: &[&str] = &[
    "manifests",
    "load",
    "autoscaler",
    "duration",
    "slo_p99_ms",
    "slo_error_rate",
    "seed",
    "workload",
    "service",
    "namespace",
];

fn number(v: &Dynamic) -> Option<f64> {
    v.as_float()
        .ok()
        .or_else(|| v.as_int().ok().map(|i| i as f64))
}

fn config(map: &Map, default_namespace: &str) -> RhaiResult<ReplayConfig> {
    for k in map.keys() {
        if !KEYS.contains(&k.as_str()) {
            return Err(bad_argument(
                "sim_replay",
                format!(
                    "unknown key \"{k}\"{}; keys: {}",
                    rollplay_core::suggest::hint(k, KEYS.iter().copied()),
                    KEYS.join(", ")
                ),
            ));
        }
    }
    let text = |k: &str| map.get(k).map(|v| v.to_string());
    let Some(manifests) = map.get("manifests") else {
        return Err(bad_argument(
            "sim_replay",
            "the config needs `manifests` (a path, YAML text or maps)",
        ));
    };
    let manifests = super::objects::load_any(manifests, "sim_replay")?;
    let single = |kind: Kind, key: &str| -> RhaiResult<(String, Option<String>)> {
        if let Some(name) = text(key) {
            return Ok((name, None));
        }
        let found: Vec<_> = manifests.iter().filter(|m| m.kind() == kind).collect();
        match found.as_slice() {
            [one] => Ok((one.name().to_string(), one.namespace().map(String::from))),
            _ => Err(bad_argument(
                "sim_replay",
                format!(
                    "the manifests hold {} {}s: name the one to use with `{key}`",
                    found.len(),
                    kind.name()
                ),
            )),
        }
    };
    let (workload, workload_ns) = single(Kind::Deployment, "workload")?;
    let (service, _) = single(Kind::Service, "service")?;
    let namespace = text("namespace")
        .or(workload_ns)
        .unwrap_or_else(|| default_namespace.to_string());
    let load = match map.get("load") {
        Some(v) => super::traffic::rate(v)?,
        None => {
            return Err(bad_argument(
                "sim_replay",
                "the config needs `load` (req/s or [[at_seconds, rps], ...])",
            ));
        }
    };
    load.check()
        .map_err(|e| bad_argument("sim_replay", format!("load: {e}")))?;
    let replay_for = match map.get("duration") {
        Some(v) => duration(v, "sim_replay")?,
        None => match &load {
            Rate::Points(p) => {
                std::time::Duration::from_secs_f64(p.last().map_or(0.0, |l| l.0) + 300.0)
            }
            Rate::Constant(_) => std::time::Duration::from_secs(30 * 60),
        },
    };
    if replay_for < std::time::Duration::from_secs(60) {
        return Err(bad_argument(
            "sim_replay",
            "duration: at least a minute (replays measure whole minutes)",
        ));
    }
    let float = |k: &str, default: f64| -> RhaiResult<f64> {
        match map.get(k) {
            None => Ok(default),
            Some(v) => number(v)
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| {
                    bad_argument(
                        "sim_replay",
                        format!("{k}: expected a number of at least 0, got {v}"),
                    )
                }),
        }
    };
    let autoscaler = match map.get("autoscaler") {
        None => None,
        Some(v) if v.is_map() => Some(to_json(v, "sim_replay")?),
        Some(v) => {
            return Err(bad_argument(
                "sim_replay",
                format!(
                    "autoscaler: expected a map of HPA spec fields, got {}",
                    v.type_name()
                ),
            ));
        }
    };
    Ok(ReplayConfig {
        manifests,
        namespace,
        workload,
        service,
        autoscaler,
        load,
        duration: replay_for,
        slo_p99_ms: float("slo_p99_ms", 500.0)?,
        slo_error_rate: float("slo_error_rate", 0.01)?,
        seed: float("seed", 1.0)? as u64,
    })
}

fn chart(map: &Map) -> RhaiResult<Chart> {
    let bad = |m: String| bad_argument("chart_svg", m);
    let text = |m: &Map, k: &str| m.get(k).map(|v| v.to_string()).unwrap_or_default();
    let list = |m: &Map, k: &str| -> RhaiResult<rhai::Array> {
        m.get(k)
            .and_then(|v| v.clone().try_cast::<rhai::Array>())
            .ok_or_else(|| bad(format!("`{k}` must be an array")))
    };
    let mut panels = Vec::new();
    for p in list(map, "panels")? {
        let p = p
            .try_cast::<Map>()
            .ok_or_else(|| bad("each panel must be a map".into()))?;
        let mut series = Vec::new();
        for s in list(&p, "series")? {
            let s = s
                .try_cast::<Map>()
                .ok_or_else(|| bad("each series must be a map".into()))?;
            let mut points = Vec::new();
            for pt in list(&s, "points")? {
                let pair = pt.try_cast::<rhai::Array>().unwrap_or_default();
                match (pair.first().and_then(number), pair.get(1).and_then(number)) {
                    (Some(x), Some(y)) => points.push((x, y)),
                    _ => {
                        return Err(bad(format!(
                            "series \"{}\": points must be [x, y] numbers",
                            text(&s, "name")
                        )));
                    }
                }
            }
            series.push(Series {
                name: text(&s, "name"),
                points,
            });
        }
        panels.push(Panel {
            y_label: text(&p, "y_label"),
            series,
        });
    }
    if panels.is_empty() {
        return Err(bad("the chart needs at least one panel".into()));
    }
    Ok(Chart {
        title: text(map, "title"),
        x_label: text(map, "x_label"),
        panels,
    })
}
