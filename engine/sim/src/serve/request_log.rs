//! `--request-log FILE`: one JSON line per request as RBAC names it (verb, API group,
//! resource, subresource, namespace, name) with its status code and body size, so a test can
//! hold a client's requests against a Role and a benchmark can count what a run costs.

use super::query;
use super::routes::{Route, route};
use axum::body::HttpBody;
use axum::http::{Method, Uri};
use axum::response::Response;
use parking_lot::Mutex;
use serde_json::json;
use std::io::Write;
use std::path::Path;

pub struct RequestLog {
    file: Mutex<std::io::BufWriter<std::fs::File>>,
}

impl RequestLog {
    pub fn create(path: &Path) -> std::io::Result<RequestLog> {
        Ok(RequestLog {
            file: Mutex::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        })
    }

    pub fn record(&self, method: &Method, uri: &Uri, response: &Response) {
        let bytes = response.body().size_hint().exact();
        let code = response.status().as_u16();
        let line = match route(uri.path()) {
            Route::Object(t) => {
                let params = query::parse(uri.query());
                let watching = t.watch_path || query::flag(&params, "watch");
                let verb = match (method.as_str(), t.name.is_some()) {
                    ("GET", _) if watching => "watch",
                    ("GET", true) => "get",
                    ("GET", false) => "list",
                    ("POST", _) => "create",
                    ("PUT", _) => "update",
                    ("PATCH", _) => "patch",
                    ("DELETE", true) => "delete",
                    ("DELETE", false) => "deletecollection",
                    (other, _) => other,
                };
                json!({
                    "verb": verb,
                    "group": t.kind.group(),
                    "resource": t.kind.plural(),
                    "subresource": t.subresource,
                    "namespace": t.namespace,
                    "name": t.name,
                    "code": code,
                    "bytes": bytes,
                })
            }
            _ => json!({
                "verb": method.as_str().to_ascii_lowercase(),
                "path": uri.path(),
                "code": code,
                "bytes": bytes,
            }),
        };
        let mut file = self.file.lock();
        let _ = writeln!(file, "{line}");
        let _ = file.flush();
    }
}
