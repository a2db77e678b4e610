//! The app's `/metrics`: requests by status code and a latency histogram, under the names the
//! default Prometheus queries read (`http_requests_total{code}`, `http_request_duration_seconds`)
//! and with the buckets `sim serve` exports, so both give the same quantiles.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The latency buckets of `sim serve`'s export, in seconds.
pub const LATENCY_BUCKETS: [f64; 25] = [
    0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25,
    0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Code {
    pub code: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<Code, Counter>,
    latency: Histogram,
}

impl Metrics {
    pub fn new(version: &str) -> Metrics {
        let mut registry = Registry::with_labels(
            [(
                std::borrow::Cow::Borrowed("version"),
                std::borrow::Cow::Owned(version.to_string()),
            )]
            .into_iter(),
        );
        let requests = Family::<Code, Counter>::default();
        registry.register(
            "http_requests",
            "Requests served, by status code",
            requests.clone(),
        );
        let latency = Histogram::new(LATENCY_BUCKETS);
        registry.register(
            "http_request_duration_seconds",
            "Latency of the requests served",
            latency.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
        }
    }

    pub fn observe(&self, code: u16, seconds: f64) {
        self.requests
            .get_or_create(&Code {
                code: code.to_string(),
            })
            .inc();
        self.latency.observe(seconds);
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String does not fail");
        out
    }
}
