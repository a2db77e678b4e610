//! The Rhai host API: every primitive scripts call, defined once per group, documented with
//! `///` comments that feed `rollplay api`, `help()` and the doc-example test, and registered
//! in one place.

mod capabilities;
pub mod convert;
mod disruption;
pub mod docs;
pub mod host;
mod objects;
mod replay;
pub mod run_lock;
mod script;
pub mod secrets;
mod services;
mod simulator;
mod statistics;
mod traffic;
mod workloads;

use rhai::{Engine, Shared, exported_module};
use std::sync::OnceLock;

/// A group of primitives as `help()` lists them.
pub struct Group {
    pub name: &'static str,
    pub title: &'static str,
    pub module: Shared<rhai::Module>,
}

/// The groups, in the order the reference lists them.
pub fn groups() -> &'static [Group] {
    static GROUPS: OnceLock<Vec<Group>> = OnceLock::new();
    GROUPS.get_or_init(|| {
        vec![
            Group {
                name: "objects",
                title: "Objects: apply manifests, read and delete objects",
                module: exported_module!(objects::objects).into(),
            },
            Group {
                name: "workloads",
                title: "Workloads: scale, change images, wait, roll back, inspect",
                module: exported_module!(workloads::workloads).into(),
            },
            Group {
                name: "services",
                title: "Services: switch traffic, read endpoints",
                module: exported_module!(services::services).into(),
            },
            Group {
                name: "script",
                title: "Script: time, logs, parameters, failure",
                module: exported_module!(script::script).into(),
            },
            Group {
                name: "disruption",
                title: "Disruptions: evict pods and drain nodes under their budgets",
                module: exported_module!(disruption::disruption).into(),
            },
            Group {
                name: "traffic",
                title: "Traffic: metrics of what workloads serve, simulated load",
                module: exported_module!(traffic::traffic).into(),
            },
            Group {
                name: "statistics",
                title: "Statistics: compare a canary with its baseline",
                module: exported_module!(statistics::statistics).into(),
            },
            Group {
                name: "rehearsal",
                title: "Rehearsal: replay load on fresh simulators, draw charts",
                module: exported_module!(replay::rehearsal).into(),
            },
            Group {
                name: "capabilities",
                title: "Capabilities: what the target has, checked before anything changes",
                module: exported_module!(capabilities::capabilities).into(),
            },
            Group {
                name: "simulator",
                title: "Simulator only: image behaviour",
                module: exported_module!(simulator::simulator).into(),
            },
        ]
    })
}

/// Registers every primitive into an engine.
pub fn register(engine: &mut Engine) {
    for g in groups() {
        engine.register_global_module(g.module.clone());
    }
    // The language's own `sleep(int)` and `sleep(float)` block the thread for wall-clock
    // seconds and would win over `sleep(how_long)` for numbers; these make numbers sleep on
    // the target's clock like durations do.
    engine.register_fn("sleep", |ctx: rhai::NativeCallContext, s: rhai::INT| {
        script::script::sleep(ctx, s.into())
    });
    engine.register_fn("sleep", |ctx: rhai::NativeCallContext, s: rhai::FLOAT| {
        script::script::sleep(ctx, s.into())
    });
}

/// Names of all primitives (for completion and "did you mean").
pub fn primitive_names() -> Vec<String> {
    let mut names: Vec<String> = docs::all().iter().map(|d| d.name.clone()).collect();
    names.dedup();
    names
}
