//! `rollplay run`: connects to the target, runs the playbook with Ctrl-C and `--timeout` wired
//! to cancellation, and reports with the right exit code.

use super::args::{ParamArgs, TargetArgs, parse_timeout};
use crate::OutputFormat;
use crate::output::Console;
use clap::Args;
use rollplay_script::output::Output;
use rollplay_script::record::MetricsRecord;
use rollplay_script::{Playbook, RunOptions, run};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Args)]
pub struct RunArgs {
    /// A built-in playbook (`rollplay playbooks list`) or a path to a .rhai file.
    playbook: String,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    params: ParamArgs,
    /// text: progress and a summary; json: exactly one JSON object on stdout at the end.
    #[arg(long, value_enum, default_value = "text")]
    output: OutputFormat,
    /// The most the run may take ("10m"); on the simulator this is virtual time.
    #[arg(long, value_parser = parse_timeout)]
    timeout: Option<std::time::Duration>,
    /// Once --timeout expired, how long the playbook's abort path (the built-in playbooks roll
    /// back) may take before the run stops where it is.
    #[arg(long, value_parser = parse_timeout, default_value = "2m")]
    abort_timeout: std::time::Duration,
    /// The most operations the script may run before it is stopped as a loop that never ends.
    #[arg(long, value_name = "N", default_value_t = rollplay_script::engine::MAX_OPERATIONS, value_parser = clap::value_parser!(u64).range(1..))]
    max_operations: u64,
    /// Takes the run lock on the workloads even while another run holds it: for a run that is
    /// known to be gone before its lock expired (a minute after its last renewal).
    #[arg(long)]
    force_unlock: bool,
    /// Writes the simulator's trace (one JSON object per line) to FILE.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Writes every metrics report the run reads (one JSON object per line: the target, the
    /// source and its queries, the workload, the window and the report) to FILE.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
}

/// Exit code 2 with a message: bad input, nothing changed. With `--output json` the message is
/// also the one JSON object on stdout.
fn bad_input(args: &RunArgs, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    if args.output == OutputFormat::Json {
        let value = serde_json::json!({
            "ok": false,
            "playbook": args.playbook,
            "target": args.target.target_name(),
            "namespace": args.target.namespace(),
            "seed": args.target.seed,
            "result": null,
            "error": {"message": message.to_string(), "kind": "bad_input", "file": null, "line": null, "column": null},
            "duration_ms": 0,
            "target_duration_ms": 0,
            "actions": [],
            "state": [],
            "warnings": [],
        });
        println!("{value}");
    }
    ExitCode::from(2)
}

pub fn main(args: RunArgs) -> ExitCode {
    let target = match args.target.target() {
        Ok(t) => t,
        Err(e) => return bad_input(&args, e),
    };
    let options = match args.target.options() {
        Ok(o) => o,
        Err(e) => return bad_input(&args, e),
    };
    let playbook = match Playbook::resolve(&args.playbook) {
        Ok(p) => p,
        Err(e) => return bad_input(&args, e),
    };
    let record = match args
        .record
        .as_deref()
        .map(MetricsRecord::create)
        .transpose()
    {
        Ok(r) => r.map(Arc::new),
        Err(e) => return bad_input(&args, e),
    };
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
    let connection = match target.connect(&options, runtime.handle()) {
        Ok(c) => c,
        Err(e) => return bad_input(&args, e),
    };
    if args.target.target.is_none() {
        eprintln!(
            "rollplay: no --target given: running on the simulator (virtual time, seed {})",
            args.target.seed
        );
    }
    let backend = connection.backend.clone();
    if args.trace.is_some()
        && let Some(sim) = backend.simulator()
    {
        sim.enable_trace();
    }
    let cancel = CancellationToken::new();
    let interrupt = CancellationToken::new();
    let output: Arc<dyn Output> = Arc::new(Console::new());
    let report = runtime.block_on(async {
        tokio::spawn(super::signals::escalate(interrupt.clone(), cancel.clone()));
        let options = RunOptions {
            namespace: args.target.namespace().to_string(),
            namespace_pinned: args.target.namespace.is_some(),
            params: args.params.params(),
            timeout: args.timeout,
            abort_timeout: args.abort_timeout,
            max_operations: args.max_operations,
            force_unlock: args.force_unlock,
            output: output.clone(),
            assume_yes: args.params.yes,
            ask: crate::output::terminal_asker(),
            cancel: cancel.clone(),
            interrupt: interrupt.clone(),
            record: record.clone(),
        };
        run(connection, &playbook, options).await
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));

    if let Some(path) = &args.trace {
        let lines = backend.simulator().map(|s| s.trace()).unwrap_or_default();
        // One JSON object per line; no lines at all when nothing happened.
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("warning: cannot write the trace to {}: {e}", path.display());
        }
    }
    match args.output {
        OutputFormat::Json => {
            let value = crate::report::json(
                &report,
                &playbook.name,
                backend.target(),
                args.target.namespace(),
                Some(args.target.seed),
                backend.client_report(),
            );
            println!(
                "{}",
                serde_json::to_string(&value).expect("report serialises")
            );
        }
        OutputFormat::Text => crate::report::text(
            &report,
            &playbook.name,
            backend.target(),
            backend.virtual_time(),
        ),
    }
    ExitCode::from(report.exit_code as u8)
}
