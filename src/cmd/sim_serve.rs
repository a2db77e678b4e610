//! `rollplay sim serve`: the simulator behind the Kubernetes API on this machine, for kubectl,
//! `--target kube` and a team's own tools, until interrupted.

use anyhow::{Context, Result, anyhow};
use clap::Args;
use rollplay_sim::serve::{FaultOptions, ServeOptions, Served};
use rollplay_sim::{Sim, SimBackend};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free one; the URL is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:6443")]
    listen: SocketAddr,
    /// Virtual seconds per wall-clock second (60 = a minute of rollout per second).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Simulator image profiles (YAML: `defaults:`, `images:` and `traffic:`).
    #[arg(long, value_name = "FILE")]
    sim: Option<PathBuf>,
    /// Simulator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Writes a kubeconfig for this server (context `rollplay-sim`) to FILE.
    #[arg(long, value_name = "FILE")]
    kubeconfig_out: Option<PathBuf>,
    /// Requests must carry `Authorization: Bearer TOKEN` (the kubeconfig carries it).
    #[arg(long)]
    token: Option<String>,
    /// Faults to inject: `5xx=0.05,429=0.02,drop-watch=10s,seed=7`; `410=1` answers resumed
    /// watches 410 Gone, `forbid=patch:deployments/scale` answers those requests 403,
    /// `watch-lag=300ms` writes watch events that long after their change.
    #[arg(long, value_name = "SPEC")]
    faults: Option<String>,
    /// Writes one JSON line per request (verb, group, resource, namespace, code, bytes).
    #[arg(long, value_name = "FILE")]
    request_log: Option<PathBuf>,
}

pub fn main(args: ServeArgs) -> ExitCode {
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn serve(args: ServeArgs) -> Result<()> {
    if !(args.speed.is_finite() && args.speed > 0.0) {
        return Err(anyhow!(
            "--speed {}: expected a positive number of virtual seconds per second",
            args.speed
        ));
    }
    let faults = match &args.faults {
        Some(spec) => FaultOptions::parse(spec).map_err(|e| anyhow!("--faults: {e}"))?,
        None => FaultOptions::default(),
    };
    let profiles = rollplay_script::load_profiles(args.sim.as_ref())?;
    let sim: Sim = SimBackend::new(args.seed, profiles).into_sim();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async {
        let served = Served::start(
            sim,
            ServeOptions {
                listen: args.listen,
                speed: args.speed,
                faults,
                token: args.token.clone(),
                request_log: args.request_log.clone(),
            },
        )
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
        if let Some(path) = &args.kubeconfig_out {
            std::fs::write(path, served.kubeconfig("default"))
                .with_context(|| format!("cannot write the kubeconfig to {}", path.display()))?;
            eprintln!("kubeconfig written to {} (context rollplay-sim)", path.display());
        }
        println!("{}", served.url());
        eprintln!(
            "serving the simulator at {} ({}× speed); Ctrl-C stops it",
            served.url(),
            args.speed
        );
        let stop = tokio_util::sync::CancellationToken::new();
        let on_signal = stop.clone();
        tokio::spawn(async move {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
            }
            on_signal.cancel();
        });
        served.run_until(stop).await;
        Ok(())
    })
}
