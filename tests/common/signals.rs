//! A paced run on the simulator that a test signals (Ctrl-C, SIGTERM) once a line appears.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A playbook on the simulator at `pace` virtual seconds per second, its stderr lines sent on.
pub fn paced(playbook: &str, pace: &str, extra: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let image = super::new_image_arg();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollplay"))
        .args(super::playbook_args(playbook, &image, &[]))
        .args(["--pace", pace, "--output", "json"])
        .args(extra)
        .current_dir(super::root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rollplay starts");
    let (lines, received) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    (child, received)
}

/// Waits for a stderr line containing `text`; every line seen so far, for messages.
pub fn wait_for(lines: &mpsc::Receiver<String>, seen: &mut Vec<String>, text: &str) {
    loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                let found = line.contains(text);
                seen.push(line);
                if found {
                    return;
                }
            }
            Err(_) => panic!("no line with {text:?} in:\n{}", seen.join("\n")),
        }
    }
}

pub fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{name}");
}

/// Exit code and the one JSON object, once the run ended.
pub fn finished(
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: &mut Vec<String>,
) -> (i32, Value) {
    let out = child.wait_with_output().expect("rollplay ends");
    seen.extend(lines.try_iter());
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            seen.join("\n")
        )
    });
    (out.status.code().unwrap_or(-1), report)
}
