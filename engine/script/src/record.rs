//! `rollplay run --record FILE`: every metrics report the run read, one JSON object per line,
//! with where it came from (the target, the source and its queries) and what was asked (the
//! workload, the window), so an analysis can be judged again later from what it saw.

use crate::api::host::{Host, to_json};
use parking_lot::Mutex;
use rhai::{Dynamic, Map};
use rollplay_core::backend::{MetricsFilter, MetricsReport};
use rollplay_core::error::{Error, Result};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct MetricsRecord {
    path: PathBuf,
    file: Mutex<std::io::BufWriter<std::fs::File>>,
}

impl MetricsRecord {
    /// Creates (or truncates) the file; a path that cannot be written is bad input.
    pub fn create(path: &Path) -> Result<MetricsRecord> {
        let file = std::fs::File::create(path).map_err(|e| {
            Error::bad_input(
                format!("--record {}", path.display()),
                format!("cannot write the metrics record: {e}"),
            )
        })?;
        Ok(MetricsRecord {
            path: path.to_path_buf(),
            file: Mutex::new(std::io::BufWriter::new(file)),
        })
    }

    /// Appends one report as `metrics()` returned it to the script; a failed write is a
    /// warning, not the run's failure.
    pub fn write(
        &self,
        host: &Host,
        filter: &MetricsFilter,
        window: Duration,
        report: &MetricsReport,
        seen: &Map,
    ) {
        let (namespace, workload) = match filter {
            MetricsFilter::Workload(w) => (w.namespace.clone(), json!(w.short())),
            MetricsFilter::Selector { namespace, labels } => {
                (namespace.clone(), json!({ "selector": labels }))
            }
        };
        let line = json!({
            "at": host.backend.now(),
            "target": host.backend.target(),
            "source": report.source,
            "namespace": namespace,
            "workload": workload,
            "window_seconds": window.as_secs_f64(),
            "queries": report.queries,
            "report": to_json(&Dynamic::from_map(seen.clone()), "metrics").unwrap_or_default(),
        });
        let mut file = self.file.lock();
        let written = writeln!(file, "{line}").and_then(|_| file.flush());
        if let Err(e) = written {
            host.log(
                crate::output::Level::Warn,
                &format!(
                    "cannot write the metrics record {}: {e}",
                    self.path.display()
                ),
            );
        }
    }
}
