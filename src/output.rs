//! How a run shows itself while it works: log lines and wait progress on stderr, a spinner on a
//! terminal, plain lines in pipes and CI.

use indicatif::{ProgressBar, ProgressStyle};
use parking_lot::Mutex;
use rollplay_script::output::{Level, Output};
use std::io::IsTerminal;
use std::time::Duration;

pub struct Console {
    terminal: bool,
    spinner: Mutex<Option<ProgressBar>>,
    last_line: Mutex<String>,
    /// The last (object, line) shown: a wait resumed in steps repeats its line; show it once.
    last_shown: Mutex<(String, String)>,
}

impl Console {
    pub fn new() -> Console {
        Console {
            terminal: std::io::stderr().is_terminal(),
            spinner: Mutex::new(None),
            last_line: Mutex::new(String::new()),
            last_shown: Mutex::new(Default::default()),
        }
    }

    fn print(&self, line: &str) {
        match self.spinner.lock().as_ref() {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }
}

impl Output for Console {
    fn log(&self, level: Level, message: &str, at: &str) {
        let tag = match level {
            Level::Info => "info",
            Level::Warn => "warn",
        };
        self.print(&format!("[{at}] {tag}: {message}"));
        // A log line between two waits makes the next wait's first line worth repeating.
        *self.last_shown.lock() = Default::default();
    }

    fn progress(&self, object: &str, line: &str, at: &str) {
        {
            let mut shown = self.last_shown.lock();
            if shown.0 == object && shown.1 == line {
                return;
            }
            *shown = (object.to_string(), line.to_string());
        }
        let text = format!("[{at}] {object}: {line}");
        *self.last_line.lock() = text.clone();
        if !self.terminal {
            eprintln!("{text}");
            return;
        }
        let mut spinner = self.spinner.lock();
        let bar = spinner.get_or_insert_with(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        bar.set_message(text);
    }

    fn progress_done(&self) {
        if let Some(bar) = self.spinner.lock().take() {
            bar.finish_and_clear();
            let last = self.last_line.lock().clone();
            if !last.is_empty() {
                eprintln!("{last}");
            }
        }
    }
}

/// Asks yes/no questions on the terminal (stderr for the question, stdin for the answer), or
/// None when stdin is not a terminal.
pub fn terminal_asker() -> Option<rollplay_script::api::host::Asker> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    Some(std::sync::Arc::new(|question: &str| {
        eprint!("{question} [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).ok()?;
        Some(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    }))
}
