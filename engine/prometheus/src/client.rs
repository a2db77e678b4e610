//! Prometheus's HTTP API (`/api/v1/query`, `/api/v1/query_range`): one request, its JSON
//! answer read into series, and its errors (400 bad_data, 422 execution, 503 unavailable,
//! `warnings`) kept as Prometheus states them, for messages that name the metric and query.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use std::time::Duration;

/// How long one query may take before it counts as unreachable.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// One series' points: (Unix seconds, value); NaN and infinities are dropped (no data).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: serde_json::Map<String, serde_json::Value>,
    pub points: Vec<(f64, f64)>,
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    pub series: Vec<Series>,
    pub warnings: Vec<String>,
}

/// Why a query has no answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// No connection, or no answer in time.
    Unreachable(String),
    /// Prometheus answered with an error: the HTTP status, `errorType` and `error`.
    Refused {
        status: u16,
        error_type: String,
        error: String,
    },
    /// The answer was not Prometheus's JSON.
    Garbled(String),
}

impl Failure {
    /// Whether asking again may help (an outage, not a bad query).
    pub fn transient(&self) -> bool {
        match self {
            Failure::Unreachable(_) => true,
            Failure::Refused { status, .. } => *status == 503 || *status >= 500,
            Failure::Garbled(_) => false,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreachable(why) => write!(f, "unreachable: {why}"),
            Failure::Refused {
                status,
                error_type,
                error,
            } => write!(f, "answered {status} {error_type}: {error}"),
            Failure::Garbled(why) => write!(f, "answered something that is not its API: {why}"),
        }
    }
}

enum Transport {
    Http(Client<HttpConnector, Full<Bytes>>),
    Https(Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>),
}

/// A connection pool to one Prometheus.
pub struct Api {
    /// The URL without its credentials: what requests go to.
    base: String,
    /// The URL as rollplay shows it: a password in it reads `<redacted>`.
    shown: String,
    /// `Authorization: Basic ...` from credentials in the URL (`http://user:pass@host`).
    authorization: Option<String>,
    transport: Transport,
}

/// Splits `scheme://user:password@rest` into the URL without credentials, the URL with the
/// password redacted, and the Basic authorization header the credentials make.
pub(crate) fn credentials(url: &str) -> (String, String, Option<String>) {
    use base64::Engine as _;
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.into(), url.into(), None);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (url.into(), url.into(), None);
    };
    let (userinfo, host) = (&rest[..at], &rest[at + 1..]);
    let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
    let token = base64::engine::general_purpose::STANDARD.encode(userinfo);
    (
        format!("{scheme}://{host}"),
        format!("{scheme}://{user}:<redacted>@{host}"),
        Some(format!("Basic {token}")),
    )
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

impl Api {
    /// A client of the Prometheus at `base` (`http://HOST:PORT`, optionally with a path
    /// prefix, or `https://...` checked against the system's roots).
    pub fn new(base: &str) -> Result<Api, String> {
        let (base, shown, authorization) = credentials(base.trim_end_matches('/'));
        let transport = if base.starts_with("https://") {
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_native_roots()
                .map_err(|e| format!("no system certificates to check https with: {e}"))?
                .https_only()
                .enable_http1()
                .build();
            Transport::Https(Client::builder(TokioExecutor::new()).build(connector))
        } else if base.starts_with("http://") {
            Transport::Http(Client::builder(TokioExecutor::new()).build_http())
        } else {
            return Err("expected a URL like http://127.0.0.1:9090".into());
        };
        Ok(Api {
            base,
            shown,
            authorization,
            transport,
        })
    }

    /// The URL as it may be shown: without a password.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    /// `GET /api/v1/query?query=..&time=..`.
    pub async fn instant(&self, query: &str, at: f64) -> Result<Answer, Failure> {
        let params = [("query", query.to_string()), ("time", format!("{at:.3}"))];
        self.get("/api/v1/query", &params).await
    }

    /// `GET /api/v1/query_range?query=..&start=..&end=..&step=..`.
    pub async fn range(
        &self,
        query: &str,
        start: f64,
        end: f64,
        step: Duration,
    ) -> Result<Answer, Failure> {
        let params = [
            ("query", query.to_string()),
            ("start", format!("{start:.3}")),
            ("end", format!("{end:.3}")),
            ("step", format!("{}", step.as_secs_f64())),
        ];
        self.get("/api/v1/query_range", &params).await
    }

    async fn get(&self, path: &str, params: &[(&str, String)]) -> Result<Answer, Failure> {
        let query =
            serde_urlencoded::to_string(params).map_err(|e| Failure::Garbled(e.to_string()))?;
        let uri = format!("{}{path}?{query}", self.base);
        let mut request = hyper::Request::get(&uri).header("accept", "application/json");
        if let Some(authorization) = &self.authorization {
            request = request.header("authorization", authorization);
        }
        let request = request
            .body(Full::new(Bytes::new()))
            .map_err(|e| Failure::Unreachable(format!("{}{path}: {e}", self.shown)))?;
        let sent = match &self.transport {
            Transport::Http(c) => c.request(request),
            Transport::Https(c) => c.request(request),
        };
        let response = tokio::time::timeout(QUERY_TIMEOUT, sent)
            .await
            .map_err(|_| {
                Failure::Unreachable(format!("no answer within {} s", QUERY_TIMEOUT.as_secs()))
            })?
            .map_err(|e| Failure::Unreachable(chain(&e)))?;
        let status = response.status().as_u16();
        let body = tokio::time::timeout(QUERY_TIMEOUT, response.into_body().collect())
            .await
            .map_err(|_| Failure::Unreachable("the answer stopped arriving".into()))?
            .map_err(|e| Failure::Unreachable(chain(&e)))?
            .to_bytes();
        parse(status, &body)
    }
}

/// An error with its causes, as `connection refused` only shows in the innermost.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Reads an answer: `success` with a vector, matrix or scalar, or an error.
pub fn parse(status: u16, body: &[u8]) -> Result<Answer, Failure> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        Failure::Garbled(format!("HTTP {status}, {e}: {text}"))
    })?;
    if envelope.status != "success" {
        return Err(Failure::Refused {
            status,
            error_type: envelope.error_type.unwrap_or_else(|| "error".into()),
            error: envelope.error.unwrap_or_default(),
        });
    }
    let data = envelope
        .data
        .ok_or_else(|| Failure::Garbled("a success without data".into()))?;
    let series = match data.result_type.as_str() {
        "matrix" | "vector" => {
            let items: Vec<RawSeries> = serde_json::from_value(data.result)
                .map_err(|e| Failure::Garbled(format!("{} result: {e}", data.result_type)))?;
            items.into_iter().map(RawSeries::into_series).collect()
        }
        "scalar" => {
            let point: (f64, String) = serde_json::from_value(data.result)
                .map_err(|e| Failure::Garbled(format!("scalar result: {e}")))?;
            vec![Series {
                labels: Default::default(),
                points: finite(vec![point]),
            }]
        }
        other => {
            return Err(Failure::Garbled(format!(
                "a {other} result, where a number was expected"
            )));
        }
    };
    Ok(Answer {
        series,
        warnings: envelope.warnings,
    })
}

#[derive(Deserialize)]
struct RawSeries {
    #[serde(default)]
    metric: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    values: Vec<(f64, String)>,
    #[serde(default)]
    value: Option<(f64, String)>,
}

impl RawSeries {
    fn into_series(self) -> Series {
        let mut points = self.values;
        points.extend(self.value);
        Series {
            labels: self.metric,
            points: finite(points),
        }
    }
}

fn finite(points: Vec<(f64, String)>) -> Vec<(f64, f64)> {
    points
        .into_iter()
        .filter_map(|(t, v)| {
            v.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(|v| (t, v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_url_is_sent_as_basic_auth_and_never_shown() {
        let (base, shown, authorization) = credentials("https://ops:hunter2@prom.example/p");
        assert_eq!(base, "https://prom.example/p");
        assert_eq!(shown, "https://ops:<redacted>@prom.example/p");
        assert_eq!(authorization.as_deref(), Some("Basic b3BzOmh1bnRlcjI="));
        let plain = credentials("http://127.0.0.1:9090");
        assert_eq!((plain.0.as_str(), plain.2), ("http://127.0.0.1:9090", None));
    }

    #[test]
    fn answers_are_read_as_the_http_api_documents_them() {
        let matrix = br#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[100,"1.5"],[105,"NaN"],[110,"2"]]}]}}"#;
        let a = parse(200, matrix).unwrap();
        assert_eq!(a.series[0].points, vec![(100.0, 1.5), (110.0, 2.0)]);
        let vector = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"a"},"value":[100,"3"]}]},"warnings":["PromQL info: x"]}"#;
        let a = parse(200, vector).unwrap();
        assert_eq!(a.series[0].points, vec![(100.0, 3.0)]);
        assert_eq!(a.warnings, vec!["PromQL info: x".to_string()]);
        let bad = br#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected <EOF>"}"#;
        let e = parse(400, bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "answered 400 bad_data: 1:5: parse error: unexpected <EOF>"
        );
        assert!(!e.transient());
        assert!(matches!(
            parse(502, b"<html>bad gateway</html>"),
            Err(Failure::Garbled(_))
        ));
    }
}
