//! The PromQL behind each metric of a report: defaults written against the conventional
//! names (an app's `http_requests_total{code}` and `http_request_duration_seconds` histogram,
//! cAdvisor's `container_*`, kube-state-metrics' `kube_pod_container_resource_requests`),
//! overridden per metric from a `--metrics FILE`, with `{{namespace}}`, `{{workload}}`,
//! `{{selector}}` and `{{interval}}` filled in per query.

use rollplay_core::backend::MetricsScope;
use rollplay_core::duration::parse_duration;
use rollplay_core::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The metrics a report is made of, in the order they are checked and shown.
pub const METRICS: [&str; 8] = [
    "rps",
    "error_rate",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "cpu_utilization",
    "memory_utilization",
    "pods",
];

/// Metrics the default analysis (error rate and p99 against stable) and the smoke checks
/// cannot do without: a workload without their series cannot be judged.
pub const NEEDED: [&str; 3] = ["rps", "error_rate", "p99_ms"];

const PLACEHOLDERS: [&str; 4] = ["namespace", "workload", "selector", "interval"];

fn default_query(metric: &str) -> &'static str {
    match metric {
        "rps" => "sum(rate(http_requests_total{{{selector}}}[{{interval}}]))",
        "error_rate" => {
            "(sum(rate(http_requests_total{{{selector}},code=~\"5..\"}[{{interval}}])) or vector(0)) / sum(rate(http_requests_total{{{selector}}}[{{interval}}]))"
        }
        "p50_ms" => {
            "1000 * histogram_quantile(0.50, sum by (le) (rate(http_request_duration_seconds_bucket{{{selector}}}[{{interval}}])))"
        }
        "p95_ms" => {
            "1000 * histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{{{selector}}}[{{interval}}])))"
        }
        "p99_ms" => {
            "1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{{selector}}}[{{interval}}])))"
        }
        "cpu_utilization" => {
            "100 * sum(rate(container_cpu_usage_seconds_total{{{selector}},container!=\"\"}[{{interval}}])) / sum(avg_over_time(kube_pod_container_resource_requests{{{selector}},resource=\"cpu\"}[{{interval}}]))"
        }
        "memory_utilization" => {
            "100 * sum(avg_over_time(container_memory_working_set_bytes{{{selector}},container!=\"\"}[{{interval}}])) / sum(avg_over_time(kube_pod_container_resource_requests{{{selector}},resource=\"memory\"}[{{interval}}]))"
        }
        "pods" => {
            "count(sum by (pod) (count_over_time(http_requests_total{{{selector}}}[{{interval}}])))"
        }
        _ => "",
    }
}

/// The queries of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Queries {
    /// The length of one sample: range queries step by it and `{{interval}}` is it.
    pub step: Duration,
    templates: BTreeMap<String, String>,
    /// Where each overridden query came from, for messages (`--metrics FILE`,
    /// `metrics_query()`).
    overridden: BTreeMap<String, String>,
}

impl Default for Queries {
    fn default() -> Queries {
        Queries {
            step: Duration::from_secs(5),
            templates: METRICS
                .iter()
                .map(|m| (m.to_string(), default_query(m).to_string()))
                .collect(),
            overridden: BTreeMap::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    step: Option<String>,
    #[serde(default)]
    queries: BTreeMap<String, String>,
}

impl Queries {
    /// The defaults with a metrics file's overrides:
    ///
    /// ```yaml
    /// step: 15s             # one sample per step; at least twice the scrape interval
    /// queries:
    ///   error_rate: sum(rate(http_server_requests_seconds_count{ {{selector}},status=~"5.." }[{{interval}}])) / sum(rate(http_server_requests_seconds_count{ {{selector}} }[{{interval}}]))
    /// ```
    pub fn from_yaml(text: &str, origin: &str) -> Result<Queries> {
        let what = format!("--metrics {origin}");
        let file: File = serde_saphyr::from_str(text)
            .map_err(|e| Error::bad_input(&what, format!("not a metrics file: {e}")))?;
        let mut queries = Queries::default();
        if let Some(step) = file.step {
            queries.step =
                parse_duration(&step).map_err(|e| Error::bad_input(&what, format!("step: {e}")))?;
            if queries.step < Duration::from_secs(1) {
                return Err(Error::bad_input(
                    &what,
                    format!(
                        "step: {step} is under a second; Prometheus steps are whole seconds or more"
                    ),
                ));
            }
        }
        for (metric, template) in file.queries {
            queries
                .set(&metric, &template, &what)
                .map_err(|e| match e {
                    Error::BadInput { what: w, message } => {
                        Error::bad_input(format!("{what}: {w}"), message)
                    }
                    other => other,
                })?;
        }
        Ok(queries)
    }

    /// Where `metric`'s query was set, when it is not the default.
    pub fn overridden(&self, metric: &str) -> Option<&str> {
        self.overridden.get(metric).map(String::as_str)
    }

    /// Replaces one metric's query (set in `origin`), checking its name and placeholders.
    pub fn set(&mut self, metric: &str, template: &str, origin: &str) -> Result<()> {
        if !METRICS.contains(&metric) {
            return Err(Error::bad_input(
                format!("queries.{metric}"),
                format!(
                    "no such metric; known: {}{}",
                    METRICS.join(", "),
                    metric_hint(metric)
                ),
            ));
        }
        if template.trim().is_empty() {
            return Err(Error::bad_input(
                format!("queries.{metric}"),
                "an empty query",
            ));
        }
        let mut rest = template;
        while let Some(open) = rest.find("{{") {
            let after = &rest[open + 2..];
            // `{{{selector}}}`: the label braces around a placeholder.
            let after = after.trim_start_matches('{');
            let Some(close) = after.find("}}") else {
                break;
            };
            let name = after[..close].trim();
            if !PLACEHOLDERS.contains(&name) {
                return Err(Error::bad_input(
                    format!("queries.{metric}"),
                    format!(
                        "unknown placeholder {{{{{name}}}}}; known: {}{}",
                        PLACEHOLDERS.map(|p| format!("{{{{{p}}}}}")).join(", "),
                        rollplay_core::suggest::hint(name, PLACEHOLDERS)
                    ),
                ));
            }
            rest = &after[close + 2..];
        }
        self.templates.insert(metric.into(), template.into());
        self.overridden.insert(metric.into(), origin.into());
        Ok(())
    }

    /// The query of `metric` for `scope`, its rates over `interval`.
    pub fn render(&self, metric: &str, scope: &MetricsScope, interval: Duration) -> String {
        let template = self.templates.get(metric).map_or("", String::as_str);
        let selector = format!(
            "namespace=\"{}\",pod=~\"{}\"",
            promql_string(&scope.namespace),
            promql_string(&scope.pods)
        );
        let mut out = template.to_string();
        for (name, value) in [
            ("selector", selector),
            ("namespace", promql_string(&scope.namespace)),
            ("workload", promql_string(&scope.workload)),
            ("interval", promql_duration(interval)),
        ] {
            for spelling in [format!("{{{{{name}}}}}"), format!("{{{{ {name} }}}}")] {
                out = out.replace(&spelling, &value);
            }
        }
        out
    }
}

/// "did you mean" for a metric, also when only its unit is missing (`p99` for `p99_ms`).
fn metric_hint(word: &str) -> String {
    match METRICS
        .iter()
        .find(|m| !word.is_empty() && m.starts_with(word))
    {
        Some(m) => format!(" (did you mean \"{m}\"?)"),
        None => rollplay_core::suggest::hint(word, METRICS),
    }
}

/// A value inside a PromQL double-quoted string.
fn promql_string(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `30s`, `5m`, `1500ms`: PromQL's duration syntax.
fn promql_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        format!("{ms}ms")
    } else if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else {
        format!("{}s", ms / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_for_the_scope() {
        let q = Queries::default();
        let scope = MetricsScope::deployment("demo", "web");
        assert_eq!(
            q.render("rps", &scope, Duration::from_secs(30)),
            "sum(rate(http_requests_total{namespace=\"demo\",pod=~\"web-[a-z0-9]+-[a-z0-9]+\"}[30s]))"
        );
        let dotted = MetricsScope::deployment("demo", "web.v2");
        assert!(
            q.render("rps", &dotted, Duration::from_secs(60))
                .contains("pod=~\"web\\\\.v2-[a-z0-9]+-[a-z0-9]+\"}[1m]")
        );
    }

    #[test]
    fn a_metrics_file_overrides_checked_queries() {
        let q = Queries::from_yaml(
            "step: 10s\nqueries:\n  rps: sum(rate(requests{ {{ selector }} }[{{interval}}]))\n",
            "m.yaml",
        )
        .unwrap();
        assert_eq!(q.step, Duration::from_secs(10));
        let scope = MetricsScope::deployment("demo", "web");
        assert!(
            q.render("rps", &scope, Duration::from_secs(10))
                .starts_with("sum(rate(requests{ namespace=\"demo\"")
        );
        let e = Queries::from_yaml("queries:\n  p99: x\n", "m.yaml").unwrap_err();
        assert!(e.to_string().contains("did you mean \"p99_ms\""), "{e}");
        let e = Queries::from_yaml("queries:\n  rps: up{ {{selectr}} }\n", "m.yaml").unwrap_err();
        assert!(
            e.to_string().contains("unknown placeholder {{selectr}}"),
            "{e}"
        );
        assert!(e.to_string().contains("did you mean \"selector\""), "{e}");
        assert!(Queries::from_yaml("stepp: 5s\n", "m.yaml").is_err());
    }
}
