//! A real Prometheus (Debian's `prometheus`) for tests: its own port, config and storage,
//! scraping the given targets every second; stopped and removed when dropped.

#![allow(dead_code)]

use super::served::TempDir;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RealPrometheus {
    child: Child,
    pub url: String,
    address: String,
    _dir: TempDir,
}

/// `prometheus` from PATH; `.ci/run` installs Debian's package where it is missing.
pub fn prometheus_path() -> String {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("prometheus").is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "prometheus is not on PATH: these tests check metrics() against a real Prometheus (apt-get install prometheus)"
    );
    "prometheus".into()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl RealPrometheus {
    /// Starts Prometheus scraping `/metrics` of each `host:port` every second; returns once
    /// it answers queries.
    pub fn scraping(targets: &[&str]) -> RealPrometheus {
        let dir = TempDir::new("prometheus");
        let list: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n- job_name: rollplay-sim\n  metrics_path: /metrics\n  static_configs:\n  - targets: [{}]\n",
            list.join(", ")
        );
        let config_path = dir.0.join("prometheus.yml");
        std::fs::write(&config_path, config).expect("prometheus config");
        let address = format!("127.0.0.1:{}", free_port());
        let child = Command::new(prometheus_path())
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.0.join("data").display()
            ))
            .arg(format!("--web.listen-address={address}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts");
        let prometheus = RealPrometheus {
            child,
            url: format!("http://{address}"),
            address,
            _dir: dir,
        };
        let started = Instant::now();
        while prometheus.get("/-/ready").map(|(code, _)| code) != Some(200) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "prometheus did not become ready at {}",
                prometheus.url
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        prometheus
    }

    /// A GET on the API: the status code and the body.
    pub fn get(&self, path_and_query: &str) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(&self.address).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        write!(
            stream,
            "GET {path_and_query} HTTP/1.0\r\nHost: {}\r\n\r\n",
            self.address
        )
        .ok()?;
        let mut text = String::new();
        stream.read_to_string(&mut text).ok()?;
        let code = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
        Some((code, body))
    }

    /// The number of series an instant query returns.
    pub fn series(&self, query: &str) -> usize {
        let encoded: String = query
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        self.get(&format!("/api/v1/query?query={encoded}"))
            .and_then(|(_, body)| serde_json::from_str::<serde_json::Value>(&body).ok())
            .and_then(|v| v["data"]["result"].as_array().map(Vec::len))
            .unwrap_or(0)
    }

    /// Waits until `query` returns a series (the first scrapes after pods start).
    pub fn wait_for(&self, query: &str, within: Duration) {
        let started = Instant::now();
        while self.series(query) == 0 {
            assert!(
                started.elapsed() < within,
                "no series for {query} within {within:?} at {}",
                self.url
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for RealPrometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
