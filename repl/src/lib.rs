//! `rollplay repl`: the line editor (history, completion, multi-line input, Ctrl-C and Ctrl-D)
//! around the engine's interactive session.

mod helper;
mod output;

use helper::ReplHelper;
use parking_lot::Mutex;
use rollplay_script::session::{Reply, Session, SessionOptions};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{Config, Editor};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::signal::unix::{SignalKind, signal};

/// How to start the REPL.
pub struct ReplOptions {
    pub target: String,
    pub session: SessionOptions,
    /// Where the input history is kept (None: not kept).
    pub history: Option<PathBuf>,
}

/// The history file: `$XDG_DATA_HOME/rollplay/history`, else `~/.local/share/rollplay/history`.
pub fn default_history_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("rollplay").join("history"))
}

/// The REPL's output: logs and wait progress as plain lines (a wait is interrupted with Ctrl-C).
pub fn output() -> Arc<dyn rollplay_script::output::Output> {
    Arc::new(output::Lines)
}

pub fn run(options: ReplOptions) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let session = match Session::new(&options.target, options.session, runtime.handle().clone()) {
        Ok(s) => Arc::new(Mutex::new(s)),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };

    // Ctrl-C while an entry runs cancels it; at the prompt the editor reads it as a key. The
    // handler is installed before the editor first runs: the editor swaps in its own handler
    // while it reads and puts back whatever was there before, so a handler installed
    // concurrently with the first read would be lost and Ctrl-C would kill the session.
    let busy = Arc::new(AtomicBool::new(false));
    let interrupter = session.lock().interrupter();
    let watching = busy.clone();
    let mut sigint = match runtime.block_on(async { signal(SignalKind::interrupt()) }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot handle Ctrl-C: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.spawn(async move {
        while sigint.recv().await.is_some() {
            if watching.load(Ordering::SeqCst) {
                interrupter.interrupt();
            }
        }
    });

    let config = Config::builder()
        .auto_add_history(false)
        .max_history_size(5000)
        .map(|b| b.build())
        .unwrap_or_default();
    let mut editor: Editor<ReplHelper, FileHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return ExitCode::from(1);
        }
    };
    editor.set_helper(Some(ReplHelper::new(session.clone())));
    if let Some(path) = &options.history {
        let _ = editor.load_history(path);
    }
    println!(
        "rollplay {} — help() lists the primitives, :help the commands, Ctrl-D leaves",
        env!("CARGO_PKG_VERSION")
    );

    loop {
        let prompt = session.lock().prompt();
        let line = match editor.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(line.as_str());
        if let Some(path) = &options.history {
            save_history(&mut editor, path);
        }
        match line.trim() {
            ":quit" | ":q" | ":exit" => break,
            ":history" => {
                for (i, entry) in editor.history().iter().enumerate() {
                    println!("{:>4}  {}", i + 1, entry.replace('\n', "\n      "));
                }
                continue;
            }
            _ => {}
        }
        busy.store(true, Ordering::SeqCst);
        let reply = session.lock().submit(&line);
        busy.store(false, Ordering::SeqCst);
        match reply {
            Reply::Value(v) | Reply::Text(v) => {
                if !v.is_empty() {
                    println!("{v}");
                }
            }
            Reply::Error(e) => eprint!("{e}"),
        }
    }
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    ExitCode::SUCCESS
}

fn save_history(editor: &mut Editor<ReplHelper, FileHistory>, path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = editor.save_history(path) {
        eprintln!(
            "warning: cannot save the history to {}: {e}",
            path.display()
        );
    }
}
