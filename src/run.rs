//! `rollplay run`: picks the target, reads the simulator profiles, runs the playbook with
//! Ctrl-C and `--timeout` wired to cancellation, and reports with the right exit code.

use crate::OutputFormat;
use crate::output::Console;
use clap::Args;
use rollplay_engine::backend::ClusterBackend;
use rollplay_engine::backend::sim::SimBackend;
use rollplay_engine::duration::parse_duration;
use rollplay_engine::script::output::Output;
use rollplay_engine::script::{Playbook, RunOptions, run};
use rollplay_engine::sim::Profiles;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Args)]
pub struct RunArgs {
    /// A built-in playbook (`rollplay playbooks list`) or a path to a .rhai file.
    playbook: String,
    /// sim, kube[:CONTEXT] or swarm[:HOST]; the simulator when omitted.
    #[arg(long)]
    target: Option<String>,
    /// Namespace for objects named without one.
    #[arg(short = 'n', long, default_value = "default")]
    namespace: String,
    /// A playbook parameter, read with param("K"); repeatable.
    #[arg(long = "set", value_name = "K=V", value_parser = parse_set)]
    set: Vec<(String, String)>,
    /// text: progress and a summary; json: exactly one JSON object on stdout at the end.
    #[arg(long, value_enum, default_value = "text")]
    output: OutputFormat,
    /// The most the run may take ("10m"); on the simulator this is virtual time.
    #[arg(long, value_parser = parse_timeout)]
    timeout: Option<std::time::Duration>,
    /// Simulator seed: the same seed, playbook and profiles give the same trace.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulator image profiles (YAML: `defaults:` and `images:`).
    #[arg(long, value_name = "FILE")]
    sim: Option<PathBuf>,
    /// Writes the simulator's trace (one JSON object per line) to FILE.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Answer yes to confirm() gates when there is no terminal.
    #[arg(long)]
    yes: bool,
    /// Simulator only: play waits at this many virtual seconds per second (1 = real time)
    /// instead of as fast as possible, to watch a rollout unfold.
    #[arg(long, value_name = "FACTOR")]
    pace: Option<f64>,
}

pub fn parse_set(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected K=V, got \"{s}\"")),
    }
}

/// The simulator profiles of `--sim FILE` (defaults when there is none).
pub fn load_profiles(path: Option<&std::path::Path>) -> Result<Profiles, String> {
    let Some(path) = path else {
        return Ok(Profiles::default());
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{}: cannot read the simulator profiles: {e}",
            path.display()
        )
    })?;
    Profiles::from_yaml(&text, &path.display().to_string()).map_err(|e| e.to_string())
}

/// A `--pace` value: a positive, finite number of virtual seconds per second.
pub fn check_pace(pace: Option<f64>) -> Result<(), String> {
    match pace {
        Some(p) if !(p.is_finite() && p > 0.0) => Err(format!(
            "--pace {p}: expected a positive number of virtual seconds per second"
        )),
        _ => Ok(()),
    }
}

fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    parse_duration(s).map_err(|e| e.to_string())
}

/// Exit code 2 with a message: bad input, nothing changed. With `--output json` the message is
/// also the one JSON object on stdout.
fn bad_input(args: &RunArgs, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    if args.output == OutputFormat::Json {
        let value = serde_json::json!({
            "ok": false,
            "playbook": args.playbook,
            "target": args.target.clone().unwrap_or_else(|| "sim".into()),
            "namespace": args.namespace,
            "seed": args.seed,
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
    let target = args.target.clone().unwrap_or_else(|| "sim".into());
    let (kind, detail) = target
        .split_once(':')
        .map(|(k, d)| (k, Some(d)))
        .unwrap_or((target.as_str(), None));
    match kind {
        "sim" if detail.is_none() => {}
        "kube" | "swarm" => {
            return bad_input(
                &args,
                format!(
                    "--target {target}: this build of rollplay drives the simulator only; the {kind} backend is not available yet (use --target sim to rehearse)"
                ),
            );
        }
        _ => {
            return bad_input(
                &args,
                format!("--target {target}: expected sim, kube[:CONTEXT] or swarm[:HOST]"),
            );
        }
    }
    if args.target.is_none() {
        eprintln!(
            "rollplay: no --target given: running on the simulator (virtual time, seed {})",
            args.seed
        );
    }
    let profiles = match load_profiles(args.sim.as_deref()) {
        Ok(p) => p,
        Err(e) => return bad_input(&args, e),
    };
    let playbook = match Playbook::resolve(&args.playbook) {
        Ok(p) => p,
        Err(e) => return bad_input(&args, e),
    };
    let mut params = BTreeMap::new();
    for (k, v) in &args.set {
        params.insert(k.clone(), v.clone());
    }

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
    if let Err(e) = check_pace(args.pace) {
        return bad_input(&args, e);
    }
    let backend = Arc::new(SimBackend::new(args.seed, profiles).with_pace(args.pace));
    if args.trace.is_some() {
        backend.enable_trace();
    }
    let cancel = CancellationToken::new();
    let output: Arc<dyn Output> = Arc::new(Console::new());
    let report = runtime.block_on(async {
        let ctrl_c = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nrollplay: interrupted; stopping (press Ctrl-C again to quit at once)");
                ctrl_c.cancel();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        });
        let options = RunOptions {
            namespace: args.namespace.clone(),
            params,
            timeout: args.timeout,
            output: output.clone(),
            assume_yes: args.yes,
            ask: crate::output::terminal_asker(),
            cancel: cancel.clone(),
        };
        run(
            backend.clone() as Arc<dyn ClusterBackend>,
            &playbook,
            options,
        )
        .await
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));

    if let Some(path) = &args.trace {
        let lines = backend.trace().unwrap_or_default();
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
                &args.namespace,
                Some(args.seed),
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
