//! Prometheus as a real target's metrics source: `metrics(workload, window)` becomes one range
//! query per metric (a sample per step, its rates over the step) and one instant query per
//! window total, run together, and read into the report the simulator gives, so the canary
//! judge and the playbooks read the same shape on every target.

mod client;
mod queries;
mod report;

pub use client::{Answer, Api, Failure, Series};
pub use queries::{METRICS, NEEDED, Queries};

use async_trait::async_trait;
use parking_lot::RwLock;
use rollplay_core::backend::{MetricsReport, MetricsScope, MetricsSource};
use rollplay_core::error::{Error, Result, Retry};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How far back `check` looks for a workload's series.
const CHECK_WINDOW: Duration = Duration::from_secs(60);

/// A Prometheus server and the queries to ask it.
pub struct Prometheus {
    api: Api,
    /// A playbook may replace queries as it runs (`metrics_query()`).
    queries: RwLock<Queries>,
    /// Queries sent, for benchmarks.
    sent: AtomicU64,
}

impl Prometheus {
    /// A source reading `url` (`--prometheus`); nothing is sent until the first query.
    pub fn new(url: &str, queries: Queries) -> Result<Prometheus> {
        let api = Api::new(url).map_err(|e| {
            let (_, shown, _) = client::credentials(url);
            Error::bad_input(format!("--prometheus {shown}"), e)
        })?;
        Ok(Prometheus {
            api,
            queries: RwLock::new(queries),
            sent: AtomicU64::new(0),
        })
    }

    /// The queries as they are now.
    pub fn queries(&self) -> Queries {
        self.queries.read().clone()
    }

    /// Queries sent so far.
    pub fn queries_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// The error of a query that got no answer, naming the metric, the query and the fix.
    fn failure(&self, metric: &str, query: &str, failure: &Failure) -> Error {
        let place = match self.queries.read().overridden(metric) {
            Some(origin) => format!("the query of {metric} in {origin}"),
            None => format!(
                "the default query of {metric} (override it with --metrics FILE or metrics_query())"
            ),
        };
        let fix = match failure {
            Failure::Unreachable(_) => {
                "check --prometheus (or ROLLPLAY_PROMETHEUS) and that Prometheus is up".to_string()
            }
            Failure::Refused { status: 400, .. } => format!("fix {place}"),
            Failure::Refused { status: 422, .. } => {
                format!("{place} cannot be evaluated; simplify it or raise Prometheus's limits")
            }
            _ => "try again when Prometheus is healthy".into(),
        };
        let message = format!("{failure}; query: {query}; {fix}");
        if failure.transient() {
            Error::cluster(
                self.describe(),
                format!("metric {metric}: {message}"),
                Retry::Transient,
                None,
            )
        } else {
            Error::bad_input(format!("metric {metric} from {}", self.describe()), message)
        }
    }

    async fn instant(&self, metric: &str, query: String, at: f64) -> Result<Answer> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let answer = self
            .api
            .instant(&query, at)
            .await
            .map_err(|f| self.failure(metric, &query, &f))?;
        self.one_series(metric, &query, answer)
    }

    async fn range(
        &self,
        metric: &str,
        query: String,
        (start, end, step): (f64, f64, Duration),
    ) -> Result<Answer> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let answer = self
            .api
            .range(&query, start, end, step)
            .await
            .map_err(|f| self.failure(metric, &query, &f))?;
        self.one_series(metric, &query, answer)
    }

    /// A report's metric is one number per instant: a query that splits into series (no
    /// `sum`) cannot be read as one.
    fn one_series(&self, metric: &str, query: &str, answer: Answer) -> Result<Answer> {
        for w in &answer.warnings {
            tracing::warn!("metric {metric}: Prometheus warns: {w} (query: {query})");
        }
        if answer.series.len() > 1 {
            return Err(Error::bad_input(
                format!("metrics from {}", self.describe()),
                format!(
                    "metric {metric}: the query gives {} series where one number is needed; aggregate it (sum(...)); query: {query}",
                    answer.series.len()
                ),
            ));
        }
        Ok(answer)
    }
}

#[async_trait]
impl MetricsSource for Prometheus {
    fn describe(&self) -> String {
        format!("Prometheus at {}", self.api.shown_url())
    }

    async fn check(&self, scope: &MetricsScope, wait: Duration) -> Result<Vec<String>> {
        let started = std::time::Instant::now();
        loop {
            match self.check_once(scope).await {
                Err(Missing(error)) if started.elapsed() < wait => {
                    tracing::info!("{error}; waiting for the series to appear");
                    let left = wait.saturating_sub(started.elapsed());
                    let step = self.queries.read().step;
                    tokio::time::sleep(left.min(step)).await;
                }
                Err(Missing(error)) => return Err(error),
                Ok(checked) => return checked,
            }
        }
    }

    async fn report(
        &self,
        scope: &MetricsScope,
        window: Duration,
        now: f64,
    ) -> Result<MetricsReport> {
        report::build(self, scope, window, now).await
    }

    fn set_query(&self, metric: &str, query: &str) -> Result<()> {
        self.queries.write().set(metric, query, "metrics_query()")
    }
}

/// A needed metric without series: the one check failure that waiting can cure.
struct Missing(Error);

impl Prometheus {
    /// One round of the check: Ok(the check's outcome), or Err when a needed series is
    /// missing.
    async fn check_once(
        &self,
        scope: &MetricsScope,
    ) -> std::result::Result<Result<Vec<String>>, Missing> {
        let now = unix_now();
        let queries = self.queries();
        let asked = METRICS.iter().map(|metric| {
            let query = queries.render(metric, scope, CHECK_WINDOW);
            async move {
                let answer = self.instant(metric, query.clone(), now).await?;
                Ok::<_, Error>((*metric, query, answer))
            }
        });
        let answers = match futures_util::future::try_join_all(asked).await {
            Ok(a) => a,
            // Nothing has changed yet: an unreachable Prometheus is bad input here (exit 2).
            Err(Error::Cluster { message, .. }) => {
                return Ok(Err(Error::bad_input(
                    format!("metrics from {}", self.describe()),
                    message,
                )));
            }
            Err(e) => return Ok(Err(e)),
        };
        let mut warnings = Vec::new();
        for (metric, query, answer) in answers {
            warnings.extend(
                answer
                    .warnings
                    .iter()
                    .map(|w| format!("metric {metric}: Prometheus warns: {w}")),
            );
            // A series without a number (a latency of no requests) is there: only no series
            // at all means the names or labels do not match.
            if answer.series.is_empty() {
                let missing = format!(
                    "metric {metric}: the query returned no series for {} in namespace {} over the last {} s (does Prometheus scrape its pods, and do the query's names and labels match theirs?); query: {query}",
                    scope.workload,
                    scope.namespace,
                    CHECK_WINDOW.as_secs()
                );
                if NEEDED.contains(&metric) {
                    return Err(Missing(Error::bad_input(
                        format!("metrics from {}", self.describe()),
                        missing,
                    )));
                }
                warnings.push(missing);
            }
        }
        Ok(Ok(warnings))
    }
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
