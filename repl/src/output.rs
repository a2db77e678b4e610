//! What the REPL shows while an entry runs: log lines and wait progress, one per line.

use parking_lot::Mutex;
use rollplay_script::output::{Level, Output};

pub struct Lines;

static LAST: Mutex<(String, String)> = Mutex::new((String::new(), String::new()));

impl Output for Lines {
    fn log(&self, level: Level, message: &str, at: &str) {
        let tag = if level == Level::Warn { "warn" } else { "info" };
        eprintln!("[{at}] {tag}: {message}");
        *LAST.lock() = Default::default();
    }

    fn progress(&self, object: &str, line: &str, at: &str) {
        let mut last = LAST.lock();
        if last.0 == object && last.1 == line {
            return;
        }
        *last = (object.to_string(), line.to_string());
        eprintln!("[{at}] {object}: {line}");
    }
}
