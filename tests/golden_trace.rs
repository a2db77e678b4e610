//! "Byte for byte" across releases, not just within one process: fixed playbooks, seeds and
//! profiles give traces whose SHA-256 digests are committed in `tests/golden/traces.sha256`.
//! A change to the simulator that moves a trace fails here; when the change is meant, write
//! the new digests with `ROLLPLAY_BLESS=1 cargo test --test golden_trace` and say why in the
//! commit.

mod common;

use common::{rollplay, root, scratch};
use sha2::{Digest, Sha256};

/// Each golden run: a name and the `rollplay run` arguments.
const RUNS: &[(&str, &[&str])] = &[
    (
        "rolling",
        &[
            "run",
            "rolling",
            "--seed",
            "1",
            "--set",
            "manifests=examples/k8s",
            "--set",
            "image=ghcr.io/rollplay-demo/web:1.1.0",
        ],
    ),
    (
        "canary-aborts",
        &[
            "run",
            "canary",
            "--seed",
            "7",
            "--sim",
            "tests/golden/profiles.yaml",
            "--set",
            "manifests=examples/k8s",
            "--set",
            "image=ghcr.io/rollplay-demo/web:1.1.0",
        ],
    ),
];

fn digest_of(name: &str, args: &[&str]) -> String {
    let dir = scratch(&format!("golden-{name}"));
    let trace = dir.join("trace.jsonl");
    let mut all = args.to_vec();
    let path = trace.display().to_string();
    all.extend(["--trace", &path]);
    let out = rollplay(&all);
    assert!(
        out.code == 0 || out.code == 1,
        "{name}: exit {}: {}",
        out.code,
        out.stderr
    );
    let bytes = std::fs::read(&trace).expect("trace written");
    assert!(
        bytes.len() > 1000,
        "{name}: a trace of {} bytes",
        bytes.len()
    );
    format!("{:x}", Sha256::digest(&bytes))
}

#[test]
fn golden_traces_match_their_committed_digests() {
    let file = root().join("tests/golden/traces.sha256");
    let actual: String = RUNS
        .iter()
        .map(|(name, args)| format!("{}  {name}\n", digest_of(name, args)))
        .collect();
    if std::env::var_os("ROLLPLAY_BLESS").is_some() {
        std::fs::write(&file, &actual).expect("digests written");
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert_eq!(
        committed, actual,
        "a golden trace changed; if that is meant, run ROLLPLAY_BLESS=1 cargo test --test golden_trace"
    );
}
