//! What the benchmarks share: the binary's allocator, a runtime like the CLI's, and running a
//! built-in playbook in process on a fresh simulator.

use rollplay_script::output::Silent;
use rollplay_script::{Playbook, RunOptions, RunReport, Target, TargetOptions, run};
use std::sync::Arc;

/// The same allocator as the `rollplay` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One worker thread: the script runs on a blocking thread beside it.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs `playbook` with `--set` parameters on a fresh simulator with this seed; it must succeed.
pub fn run_playbook(
    runtime: &tokio::runtime::Runtime,
    playbook: &Playbook,
    params: &[(&str, &str)],
    seed: u64,
) -> RunReport {
    let connection = Target::Sim
        .connect(
            &TargetOptions {
                seed,
                ..Default::default()
            },
            runtime.handle(),
        )
        .expect("the simulator connects");
    let options = RunOptions {
        namespace: "default".into(),
        namespace_pinned: false,
        abort_timeout: std::time::Duration::from_secs(120),
        max_operations: rollplay_script::engine::MAX_OPERATIONS,
        force_unlock: false,
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        timeout: None,
        output: Arc::new(Silent),
        assume_yes: true,
        ask: None,
        cancel: Default::default(),
        interrupt: Default::default(),
        record: None,
    };
    let report = runtime.block_on(run(connection, playbook, options));
    assert!(report.ok, "{} failed: {:?}", playbook.name, report.error);
    report
}
