//! What only some targets have. A playbook checks the capabilities it needs before it changes
//! anything, so a playbook that cannot run on a target stops with exit 2 and names what is
//! missing, instead of failing halfway.

use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::fmt;

/// One thing a target may or may not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// A router that splits a Service's traffic by weight (an ingress or a mesh); without it a
    /// canary's share is its share of ready pods.
    TrafficWeights,
    /// A metrics source that `metrics()` reads (the simulator's model, or Prometheus).
    Metrics,
    /// Nodes that can be listed, cordoned and drained under disruption budgets.
    Nodes,
    /// Numbered revisions that `rollback(workload, N)` and `history()` address.
    NumberedRevisions,
    /// Services that pick their endpoints by a label selector `switch_selector()` rewrites.
    Selectors,
    /// Pause and resume of a rollout.
    Pause,
    /// The simulator's own controls: image profiles, simulated traffic, the trace.
    Simulator,
}

pub const ALL_CAPABILITIES: [Capability; 7] = [
    Capability::TrafficWeights,
    Capability::Metrics,
    Capability::Nodes,
    Capability::NumberedRevisions,
    Capability::Selectors,
    Capability::Pause,
    Capability::Simulator,
];

impl Capability {
    /// The name playbooks use: `traffic_weights`, `metrics`, ...
    pub fn name(self) -> &'static str {
        match self {
            Capability::TrafficWeights => "traffic_weights",
            Capability::Metrics => "metrics",
            Capability::Nodes => "nodes",
            Capability::NumberedRevisions => "numbered_revisions",
            Capability::Selectors => "selectors",
            Capability::Pause => "pause",
            Capability::Simulator => "simulator",
        }
    }

    pub fn parse(name: &str) -> Result<Capability> {
        ALL_CAPABILITIES
            .iter()
            .copied()
            .find(|c| c.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = ALL_CAPABILITIES.iter().map(|c| c.name()).collect();
                Error::bad_input(
                    format!("capability \"{name}\""),
                    format!(
                        "unknown capability{}; known: {}",
                        crate::suggest::hint(name, names.iter().copied()),
                        names.join(", ")
                    ),
                )
            })
    }

    /// What a target without it can do instead, for the error that names it.
    pub fn without(self) -> &'static str {
        match self {
            Capability::TrafficWeights => {
                "no traffic router splits traffic by weight here; a canary's share can only be its share of ready pods"
            }
            Capability::Metrics => {
                "no metrics source is connected to this target (pass --prometheus URL or set ROLLPLAY_PROMETHEUS)"
            }
            Capability::Nodes => "this target does not expose its nodes",
            Capability::NumberedRevisions => {
                "this target keeps no numbered revisions; rollback() goes to the previous one"
            }
            Capability::Selectors => "this target's services do not pick endpoints by label",
            Capability::Pause => "rollouts cannot be paused on this target",
            Capability::Simulator => "this is a real target; rehearse with --target sim",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The capabilities of a target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities(BTreeSet<Capability>);

impl Capabilities {
    pub fn new(caps: impl IntoIterator<Item = Capability>) -> Capabilities {
        Capabilities(caps.into_iter().collect())
    }

    pub fn has(&self, c: Capability) -> bool {
        self.0.contains(&c)
    }

    pub fn iter(&self) -> impl Iterator<Item = Capability> + '_ {
        self.0.iter().copied()
    }

    /// Ok when every capability in `needed` is here; otherwise the error naming the first
    /// one missing, for `needed_by` (a playbook or primitive) on `target`.
    pub fn require(&self, needed: &[Capability], needed_by: &str, target: &str) -> Result<()> {
        match needed.iter().find(|c| !self.has(**c)) {
            None => Ok(()),
            Some(missing) => Err(Error::MissingCapability {
                capability: missing.name().into(),
                target: target.into(),
                needed_by: needed_by.into(),
                reason: missing.without().into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_capability_is_bad_input_that_names_it() {
        let caps = Capabilities::new([Capability::Metrics, Capability::Selectors]);
        assert!(
            caps.require(&[Capability::Metrics], "canary", "sim")
                .is_ok()
        );
        let err = caps
            .require(
                &[Capability::Metrics, Capability::TrafficWeights],
                "playbooks/weighted.rhai",
                "sim",
            )
            .unwrap_err();
        assert_eq!(err.class(), crate::ErrorClass::BadInput);
        let text = err.to_string();
        assert!(text.contains("needs traffic_weights"), "{text}");
        assert!(text.contains("the sim target"), "{text}");
    }

    #[test]
    fn names_round_trip_and_typos_get_a_hint() {
        for c in ALL_CAPABILITIES {
            assert_eq!(Capability::parse(c.name()).unwrap(), c);
        }
        let err = Capability::parse("metric").unwrap_err().to_string();
        assert!(err.contains("did you mean \"metrics\""), "{err}");
    }
}
