//! Targets as flags and `:target` name them (`sim`, `sim:swarm`, `kube[:CONTEXT]`,
//! `swarm[:HOST]`), and
//! the one place a target is constructed (the only file of this crate that names a target
//! crate): everything else in the script layer sees only `ClusterBackend` and `Rehearsal`.

use rollplay_core::backend::{ClusterBackend, MetricsSource, Rehearsal};
use rollplay_core::error::{Error, Result};
use rollplay_kube::KubeBackend;
use rollplay_prometheus::{Prometheus, Queries};
use rollplay_sim::{Profiles, SimBackend};
use rollplay_swarm::SwarmBackend;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A target to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The built-in simulator of a Kubernetes cluster.
    Sim,
    /// The simulator's Docker Swarm flavour.
    SimSwarm,
    /// A Kubernetes cluster; the context from the kubeconfig (None: its current one).
    Kube(Option<String>),
    /// A Docker engine in swarm mode; the host (None: DOCKER_HOST or the local socket).
    Swarm(Option<String>),
}

impl Target {
    /// Parses `sim`, `kube`, `kube:CONTEXT`, `swarm` or `swarm:HOST`.
    pub fn parse(text: &str) -> Result<Target> {
        let (kind, detail) = match text.split_once(':') {
            Some((k, d)) => (k, Some(d.to_string()).filter(|d| !d.is_empty())),
            None => (text, None),
        };
        match (kind, detail) {
            ("sim", None) => Ok(Target::Sim),
            ("sim", Some(flavour)) if flavour == "swarm" => Ok(Target::SimSwarm),
            ("kube", context) => Ok(Target::Kube(context)),
            ("swarm", host) => Ok(Target::Swarm(host)),
            _ => Err(Error::bad_input(
                format!("--target {text}"),
                format!(
                    "expected sim, sim:swarm, kube[:CONTEXT] or swarm[:HOST]{}",
                    rollplay_core::suggest::hint(kind, ["sim", "kube", "swarm"])
                ),
            )),
        }
    }

    /// Connects (a real target on `runtime`, whose tasks then follow it); a target that
    /// cannot be reached or this build cannot drive is bad input (exit 2), found before
    /// anything runs.
    pub fn connect(
        &self,
        options: &TargetOptions,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Connection> {
        match self {
            Target::Sim => {
                let profiles = load_profiles(options.sim_profiles.as_ref())?;
                let sim = Arc::new(SimBackend::new(options.seed, profiles).with_pace(options.pace));
                Ok(Connection {
                    backend: sim.clone(),
                    rehearsal: sim,
                })
            }
            Target::Kube(context) => {
                let mut kube = runtime.block_on(KubeBackend::connect(context.as_deref()))?;
                if let Some(source) = metrics_source(options)? {
                    kube = kube.with_metrics(source);
                }
                // Replays rehearse on a fresh simulator with the run's profiles.
                let profiles = load_profiles(options.sim_profiles.as_ref())?;
                Ok(Connection {
                    backend: Arc::new(kube),
                    rehearsal: Arc::new(SimBackend::new(options.seed, profiles)),
                })
            }
            Target::SimSwarm => Err(Error::bad_input(
                format!("--target {self}"),
                "this build of rollplay has no Swarm flavour of the simulator yet; its update rules are in rollplay-stack and pass `rollplay sim conformance tests/cases/swarm_update.json` (use --target sim to rehearse a Kubernetes rollout)",
            )),
            Target::Swarm(host) => {
                if options.prometheus.is_some() {
                    return Err(Error::bad_input(
                        "--prometheus",
                        "the swarm target does not read metrics from Prometheus yet (use it with --target kube)",
                    ));
                }
                let profiles = load_profiles(options.sim_profiles.as_ref())?;
                let swarm = runtime.block_on(SwarmBackend::connect(host.as_deref()))?;
                Ok(Connection {
                    backend: Arc::new(swarm),
                    rehearsal: Arc::new(SimBackend::new(options.seed, profiles)),
                })
            }
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Sim => f.write_str("sim"),
            Target::SimSwarm => f.write_str("sim:swarm"),
            Target::Kube(None) => f.write_str("kube"),
            Target::Kube(Some(c)) => write!(f, "kube:{c}"),
            Target::Swarm(None) => f.write_str("swarm"),
            Target::Swarm(Some(h)) => write!(f, "swarm:{h}"),
        }
    }
}

/// How to set up a target (the simulator's settings; the real targets read their own
/// configuration: kubeconfig, DOCKER_HOST).
#[derive(Debug, Clone, Default)]
pub struct TargetOptions {
    /// The simulator's seed.
    pub seed: u64,
    /// The simulator's image profiles (`--sim FILE`).
    pub sim_profiles: Option<PathBuf>,
    /// Virtual seconds per wall second for the simulator's waits; None: as fast as possible.
    pub pace: Option<f64>,
    /// A real target's metrics source (`--prometheus URL`); the simulator measures its own.
    pub prometheus: Option<String>,
    /// Queries overriding the defaults (`--metrics FILE`).
    pub metrics_queries: Option<PathBuf>,
}

/// Whether `query` can stand for `metric` (a known metric, known placeholders), on every
/// target alike, so a playbook's typo is found on the simulator too.
pub fn check_metrics_query(metric: &str, query: &str) -> Result<()> {
    Queries::default().set(metric, query, "metrics_query()")
}

/// The Prometheus of `--prometheus` with the queries of `--metrics FILE`, if one is given.
pub fn metrics_source(options: &TargetOptions) -> Result<Option<Arc<dyn MetricsSource>>> {
    let queries = match &options.metrics_queries {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::bad_input(
                    format!("--metrics {}", path.display()),
                    format!("cannot read the metrics queries: {e}"),
                )
            })?;
            Queries::from_yaml(&text, &path.display().to_string())?
        }
        None => Queries::default(),
    };
    match &options.prometheus {
        Some(url) => Ok(Some(Arc::new(Prometheus::new(url, queries)?))),
        None if options.metrics_queries.is_some() => Err(Error::bad_input(
            "--metrics",
            "queries need a Prometheus to ask: add --prometheus URL (or set ROLLPLAY_PROMETHEUS)",
        )),
        None => Ok(None),
    }
}

/// A connected target: the backend scripts drive, and where rehearsals (replays on fresh
/// simulators) run, with the target's image profiles when it is a simulator.
#[derive(Clone)]
pub struct Connection {
    pub backend: Arc<dyn ClusterBackend>,
    pub rehearsal: Arc<dyn Rehearsal>,
}

/// The simulator profiles of `--sim FILE` (the defaults when there is none).
/// The simulator profiles of `--sim FILE`, or the defaults.
pub fn load_profiles(path: Option<&PathBuf>) -> Result<Profiles> {
    let Some(path) = path else {
        return Ok(Profiles::default());
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::bad_input(
            format!("--sim {}", path.display()),
            format!("cannot read the simulator profiles: {e}"),
        )
    })?;
    Profiles::from_yaml(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_as_the_flags_name_them() {
        assert_eq!(Target::parse("sim").unwrap(), Target::Sim);
        assert_eq!(Target::parse("sim:swarm").unwrap().to_string(), "sim:swarm");
        assert!(Target::parse("sim:nomad").is_err());
        assert_eq!(Target::parse("kube").unwrap(), Target::Kube(None));
        assert_eq!(
            Target::parse("kube:prod").unwrap(),
            Target::Kube(Some("prod".into()))
        );
        assert_eq!(
            Target::parse("swarm:tcp://10.0.0.1:2375")
                .unwrap()
                .to_string(),
            "swarm:tcp://10.0.0.1:2375"
        );
        let err = Target::parse("moon").unwrap_err().to_string();
        assert!(
            err.contains("expected sim, sim:swarm, kube[:CONTEXT] or swarm[:HOST]"),
            "{err}"
        );
        let err = Target::parse("kueb").unwrap_err().to_string();
        assert!(err.contains("did you mean \"kube\""), "{err}");
    }

    #[test]
    fn an_engine_that_cannot_be_reached_is_bad_input_naming_it() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = Target::Swarm(Some("unix:///nonexistent/docker.sock".into()))
            .connect(&TargetOptions::default(), runtime.handle())
            .err()
            .expect("no engine there");
        assert_eq!(err.class(), rollplay_core::ErrorClass::BadInput);
        let text = err.to_string();
        assert!(
            text.contains("cannot reach the Docker engine at unix:///nonexistent/docker.sock"),
            "{text}"
        );
    }
}
