//! The Rhai modules and playbooks shipped inside the binary.

/// Modules scripts import: `import "rollplay/rollout" as rollout;`.
pub const MODULES: &[(&str, &str)] = &[
    (
        "rollplay/rollout",
        include_str!("../../../stdlib/rollout.rhai"),
    ),
    (
        "rollplay/workloads",
        include_str!("../../../stdlib/workloads.rhai"),
    ),
    (
        "rollplay/tuning",
        include_str!("../../../stdlib/tuning.rhai"),
    ),
    (
        "rollplay/analysis",
        include_str!("../../../stdlib/analysis.rhai"),
    ),
];

/// Built-in playbooks, by name (`rollplay run rolling`).
pub const PLAYBOOKS: &[(&str, &str)] = &[
    ("rolling", include_str!("../../../playbooks/rolling.rhai")),
    (
        "blue-green",
        include_str!("../../../playbooks/blue-green.rhai"),
    ),
    ("canary", include_str!("../../../playbooks/canary.rhai")),
    (
        "autoscale-tuning",
        include_str!("../../../playbooks/autoscale-tuning.rhai"),
    ),
];

/// A built-in playbook's source.
pub fn playbook(name: &str) -> Option<&'static str> {
    PLAYBOOKS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// A built-in module's source.
pub fn module(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The first `//!` line of a script: what it is for.
pub fn description(source: &str) -> String {
    source
        .lines()
        .find_map(|l| l.trim().strip_prefix("//!"))
        .map(|d| d.trim().to_string())
        .unwrap_or_default()
}
