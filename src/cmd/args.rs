//! Flags every subcommand that drives a target shares, defined once and flattened into each:
//! which target, which namespace, the simulator's seed, profiles and pace, and parameters.

use clap::Args;
use rollplay_core::duration::parse_duration;
use rollplay_core::error::{Error, Result};
use rollplay_script::{Target, TargetOptions};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Where to run.
#[derive(Args, Debug, Clone)]
pub struct TargetArgs {
    /// sim, kube[:CONTEXT] or swarm[:HOST]; the simulator when omitted.
    #[arg(long)]
    pub target: Option<String>,
    /// Namespace for objects named without one (default: `default`). When given, manifests
    /// that name another namespace are refused, as kubectl does.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Simulator seed: the same seed, playbook and profiles give the same trace.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulator image profiles (YAML: `defaults:`, `images:` and `traffic:`).
    #[arg(long, value_name = "FILE")]
    pub sim: Option<PathBuf>,
    /// Simulator only: play waits at this many virtual seconds per second (1 = real time)
    /// instead of as fast as possible, to watch a rollout unfold.
    #[arg(long, value_name = "FACTOR")]
    pub pace: Option<f64>,
    /// Real targets: where metrics() reads from, a Prometheus HTTP API such as
    /// http://127.0.0.1:9090 (the simulator measures its own traffic and ignores it).
    #[arg(long, value_name = "URL", env = "ROLLPLAY_PROMETHEUS")]
    pub prometheus: Option<String>,
    /// Real targets: PromQL overriding the default query of a metric (YAML: `step:` and
    /// `queries:` by metric name, with {{namespace}}, {{workload}}, {{selector}}, {{interval}}).
    #[arg(long = "metrics", value_name = "FILE")]
    pub metrics_queries: Option<PathBuf>,
}

impl TargetArgs {
    /// The namespace for objects named without one.
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }

    /// The target named, or the simulator.
    pub fn target(&self) -> Result<Target> {
        Target::parse(self.target.as_deref().unwrap_or("sim"))
    }

    /// The name as output shows it before a connection exists.
    pub fn target_name(&self) -> String {
        self.target.clone().unwrap_or_else(|| "sim".into())
    }

    /// The simulator's settings, checked.
    pub fn options(&self) -> Result<TargetOptions> {
        if let Some(p) = self.pace
            && !(p.is_finite() && p > 0.0)
        {
            return Err(Error::bad_input(
                format!("--pace {p}"),
                "expected a positive number of virtual seconds per second",
            ));
        }
        Ok(TargetOptions {
            seed: self.seed,
            sim_profiles: self.sim.clone(),
            pace: self.pace,
            prometheus: self.prometheus.clone().filter(|u| !u.is_empty()),
            metrics_queries: self.metrics_queries.clone(),
        })
    }
}

/// What a playbook or session reads.
#[derive(Args, Debug, Clone)]
pub struct ParamArgs {
    /// A parameter, read with param("K"); repeatable.
    #[arg(long = "set", value_name = "K=V", value_parser = parse_set)]
    pub set: Vec<(String, String)>,
    /// Answer yes to confirm() gates when there is no terminal.
    #[arg(long)]
    pub yes: bool,
}

impl ParamArgs {
    pub fn params(&self) -> BTreeMap<String, String> {
        self.set.iter().cloned().collect()
    }
}

fn parse_set(s: &str) -> std::result::Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected K=V, got \"{s}\"")),
    }
}

/// A `--timeout` value.
pub fn parse_timeout(s: &str) -> std::result::Result<std::time::Duration, String> {
    parse_duration(s).map_err(|e| e.to_string())
}
