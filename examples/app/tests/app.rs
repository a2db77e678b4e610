//! The demo app through its binary: what it serves, how staged variables change it, and that
//! its variables are the simulator's image-profile keys.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

const WEB: &str = env!("CARGO_BIN_EXE_web");

struct Running(Child, u16);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the app on a port it picks itself (PORT=0), read from the line it prints once it
/// listens: a port chosen by the test and freed before the app binds it could be taken by
/// a parallel test's app in between.
fn start(env: &[(&str, &str)]) -> Running {
    let mut cmd = Command::new(WEB);
    cmd.env_clear().env("PORT", "0").stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("web starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let port = lines
        .find_map(|l| l.ok()?.split_once("listening on :")?.1.trim().parse().ok())
        .expect("web prints the port it listens on");
    // Keep reading, so the app never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Running(child, port)
}

/// (status, body) of a GET.
fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").expect("request");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("response");
    let status = text[9..12].parse().expect("status code");
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

#[test]
fn serves_its_version_health_readiness_and_metrics() {
    let app = start(&[("VERSION", "1.1.0")]);
    assert_eq!(get(app.1, "/"), (200, "1.1.0\n".into()));
    assert_eq!(get(app.1, "/health").0, 200);
    assert_eq!(get(app.1, "/ready").0, 200);
    let (status, metrics) = get(app.1, "/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains("http_requests_total{version=\"1.1.0\",code=\"200\"} 1")
            || metrics.contains("http_requests_total{code=\"200\",version=\"1.1.0\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("http_request_duration_seconds_bucket{"),
        "{metrics}"
    );
    let probe = Command::new(WEB)
        .args(["probe", "/ready"])
        .env_clear()
        .env("PORT", app.1.to_string())
        .status()
        .expect("probe runs");
    assert!(probe.success());
}

#[test]
fn staged_images_fail_as_their_variables_say() {
    let never = start(&[("READY", "false")]);
    assert_eq!(get(never.1, "/ready").0, 503);
    assert_eq!(get(never.1, "/health").0, 200);
    let probe = Command::new(WEB)
        .args(["probe", "/ready"])
        .env_clear()
        .env("PORT", never.1.to_string())
        .status()
        .expect("probe runs");
    assert_eq!(probe.code(), Some(1));

    let errors = start(&[("ERROR_RATE", "1")]);
    assert_eq!(get(errors.1, "/").0, 500);

    let mut crashing = start(&[("CRASH_AFTER_SECONDS", "0.3")]);
    let status = crashing.0.wait().expect("exits");
    assert_eq!(status.code(), Some(3));
}

#[test]
fn a_bad_variable_is_named_and_exits_2() {
    let out = Command::new(WEB)
        .env_clear()
        .env("ERROR_RATE", "2")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ERROR_RATE"));
}

/// Every variable that mirrors a profile key names a key the simulator has; the profile keys
/// the app does not stage are its CPU and memory, which on a real engine are measured.
#[test]
fn variables_are_the_simulators_profile_keys() {
    let out = Command::new(WEB).arg("variables").output().expect("runs");
    let listed = String::from_utf8(out.stdout).expect("utf-8");
    let profile =
        serde_json::to_value(rollplay_sim::ImageProfile::default()).expect("profile serialises");
    let mut keys = Vec::new();
    for (k, v) in profile.as_object().expect("a map") {
        match v.as_object() {
            Some(inner) => keys.extend(inner.keys().map(|i| format!("{k}.{i}"))),
            None => keys.push(k.clone()),
        }
    }
    let mirrored: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split('\t').nth(1))
        .filter(|k| !k.is_empty())
        .collect();
    for key in &mirrored {
        assert!(keys.iter().any(|k| k == key), "{key} is not a profile key");
    }
    let mut left: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|k| !mirrored.contains(k))
        .collect();
    left.sort();
    assert_eq!(left, ["cpu_millis_per_request", "memory_mb"]);
}
