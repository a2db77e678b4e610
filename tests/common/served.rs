//! A `rollplay sim serve` process for tests, and kubectl run against it as a real client.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct ServedSim {
    child: Child,
    pub url: String,
    pub kubeconfig: PathBuf,
    _dir: TempDir,
}

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("rollplay-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl ServedSim {
    /// Starts `rollplay sim serve` on a free loopback port with `extra` flags.
    pub fn start(extra: &[&str]) -> ServedSim {
        let dir = TempDir::new("serve");
        let kubeconfig = dir.0.join("kubeconfig");
        let mut child = Command::new(env!("CARGO_BIN_EXE_rollplay"))
            .args([
                "sim",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--kubeconfig-out",
            ])
            .arg(&kubeconfig)
            .args(extra)
            .current_dir(super::root())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("rollplay sim serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the server prints its URL");
        let url = line.trim().to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "unexpected first line: {url:?}"
        );
        ServedSim {
            child,
            url,
            kubeconfig,
            _dir: dir,
        }
    }

    /// `rollplay ARGS --target kube --output json` against this server; the exit code and
    /// the one JSON object printed.
    pub fn rollplay_json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let all = [args, &["--target", "kube", "--output", "json"]].concat();
        let out = rollplay_with(&self.kubeconfig, &all);
        let value = serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
                out.stdout, out.stderr
            )
        });
        (out.code, value)
    }

    /// kubectl with this server's kubeconfig.
    pub fn kubectl(&self, args: &[&str]) -> super::Outcome {
        let out = Command::new(kubectl_path())
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .current_dir(super::root())
            .output()
            .expect("kubectl runs");
        super::Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// kubectl that must succeed; its stdout.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert_eq!(
            out.code, 0,
            "kubectl {args:?} failed:\n{}\n{}",
            out.stdout, out.stderr
        );
        out.stdout
    }

    /// kubectl started in the background (a watch, a rollout status).
    pub fn kubectl_spawn(&self, args: &[&str]) -> Child {
        Command::new(kubectl_path())
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .current_dir(super::root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl starts")
    }
}

impl Drop for ServedSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `rollplay ARGS` with `KUBECONFIG` set to `kubeconfig`.
pub fn rollplay_with(kubeconfig: &std::path::Path, args: &[&str]) -> super::Outcome {
    let out = Command::new(env!("CARGO_BIN_EXE_rollplay"))
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .current_dir(super::root())
        .output()
        .expect("rollplay runs");
    super::Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// kubectl from PATH; `.ci/run` installs it where it is missing.
pub fn kubectl_path() -> String {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("kubectl").is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "kubectl is not on PATH: these tests use it as an independent client of `rollplay sim serve` (apt-get install kubernetes-client)"
    );
    "kubectl".into()
}
