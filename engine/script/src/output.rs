//! Where a running playbook's logs and wait progress go: the CLI prints them (a spinner on a
//! terminal, plain lines in pipes), the REPL shows them, tests collect them.

use parking_lot::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warn,
}

/// Receives what a running script reports.
pub trait Output: Send + Sync {
    /// A `log`/`info`/`warn`/`print` line; `at` is the target's clock (`+00:01:05` on the simulator).
    fn log(&self, level: Level, message: &str, at: &str);
    /// A new `kubectl rollout status` line while waiting on `object`.
    fn progress(&self, object: &str, line: &str, at: &str);
    /// A wait ended (the terminal spinner, if any, stops).
    fn progress_done(&self) {}
}

/// Keeps everything, for tests and the JSON output.
#[derive(Default)]
pub struct Collect {
    pub lines: Mutex<Vec<String>>,
}

impl Output for Collect {
    fn log(&self, level: Level, message: &str, at: &str) {
        self.lines.lock().push(format!(
            "[{at}] {}: {message}",
            if level == Level::Warn { "warn" } else { "info" }
        ));
    }
    fn progress(&self, object: &str, line: &str, at: &str) {
        self.lines.lock().push(format!("[{at}] {object}: {line}"));
    }
}

/// Discards everything (benchmarks).
pub struct Silent;

impl Output for Silent {
    fn log(&self, _: Level, _: &str, _: &str) {}
    fn progress(&self, _: &str, _: &str, _: &str) {}
}
