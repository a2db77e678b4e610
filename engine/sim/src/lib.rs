//! The deterministic simulator: a Kubernetes cluster model (Deployments → ReplicaSets →
//! Pods, Services and endpoints, Events, nodes, autoscalers and disruption budgets; every
//! other built-in kind stored as applied) driven by the controller rules of semantics.md in
//! virtual time. Same inputs, seed and profiles give the same trace, byte for byte. It is a
//! target (`backend::SimBackend`), rehearses load (`replay`), and checks itself against the
//! reference cases (`conformance`).

mod apply;
mod autoscaler;
pub mod backend;
mod change;
mod cluster_objects;
pub mod conformance;
pub mod controller;
mod delete;
mod deployment;
mod deployment_sync;
mod disruption;
mod dist;
pub mod endpoints;
mod events;
pub mod hpa;
mod ids;
mod kubelet;
mod meta;
pub mod metrics;
mod nodes;
pub mod pdb;
mod pod;
mod profile;
mod query;
pub mod replay;
mod replicaset;
pub mod serve;
mod service;
mod serving;
mod store;
pub mod time;
mod trace;
pub mod traffic;
mod write;

pub use self::Stats as SimStats;
pub use backend::SimBackend;
pub use change::merge_patch;
pub use events::Event;
pub use profile::{ImageProfile, Latency, Profiles};
pub use query::{DeploymentSummary, ReplicaSetSummary};

/// How the simulator names itself as a target.
pub const TARGET: &str = "sim";

use deployment::Deployment;
use events::EventLog;
use ids::Ids;
use pod::Pod;
use replicaset::ReplicaSet;
use service::Service;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use store::Store;
use time::SimTime;
use trace::Trace;

/// (namespace, name).
pub type Key = (String, String);

/// A pod's identity inside the simulator: its creation sequence number.
pub type PodId = u64;

pub fn key(namespace: &str, name: &str) -> Key {
    (namespace.to_string(), name.to_string())
}

/// Something due at a point of virtual time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Wake {
    /// A pod's next transition; stale when the pod's timer generation moved on.
    Pod(PodId, u64),
    /// A ReplicaSet's pods become available (minReadySeconds, K8S-RU-10).
    ReplicaSet(Key),
    /// A Deployment's progress-deadline check (K8S-COND-5).
    Deployment(Key),
    /// The end of a traffic sampling interval.
    Traffic,
    /// A HorizontalPodAutoscaler's sync (every 15 s, HPA-1).
    /// An autoscaler's sync, for the incarnation of that name with this number (a deleted and
    /// re-created autoscaler starts a new chain of syncs; the old one stops).
    Autoscaler(Key, u64),
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Timer {
    at: SimTime,
    seq: u64,
    wake: Wake,
}

/// The simulated cluster.
pub struct Sim {
    now: SimTime,
    queue: BinaryHeap<Reverse<Timer>>,
    timer_seq: u64,
    ids: Ids,
    store: Store,
    deployments: BTreeMap<Key, Deployment>,
    replicasets: BTreeMap<Key, ReplicaSet>,
    pods: BTreeMap<PodId, Pod>,
    /// (namespace, name) → pod, for lookups by name.
    pod_names: BTreeMap<Key, PodId>,
    services: BTreeMap<Key, Service>,
    events: EventLog,
    profiles: Profiles,
    trace: Trace,
    dirty_replicasets: BTreeSet<Key>,
    dirty_deployments: BTreeSet<Key>,
    /// Last traced snapshot per Deployment and Service, to trace changes only.
    traced: BTreeMap<String, String>,
    /// When set, Deployment passes run only on request (conformance stepping).
    manual_passes: bool,
    stats: Stats,
    traffic: traffic::Traffic,
    autoscalers: BTreeMap<Key, autoscaler::Autoscaler>,
    nodes: nodes::Nodes,
    /// A node's resource version, from its last cordon or uncordon (absent: unchanged since
    /// the start).
    node_versions: BTreeMap<String, u64>,
    budgets: BTreeMap<Key, disruption::Budget>,
    /// Pods may have changed outside a controller pass (a deletion): budgets need a refresh.
    budgets_stale: bool,
}

/// How much work the simulator did, for benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub deployment_passes: u64,
    pub replicaset_passes: u64,
    pub timers: u64,
}

/// Controller rounds per instant before the simulator assumes a livelock.
const MAX_ROUNDS: usize = 100_000;

impl Sim {
    pub fn new(seed: u64) -> Sim {
        let mut sim = Sim {
            now: 0,
            queue: BinaryHeap::new(),
            timer_seq: 0,
            ids: Ids::new(seed),
            store: Store::default(),
            deployments: BTreeMap::new(),
            replicasets: BTreeMap::new(),
            pods: BTreeMap::new(),
            pod_names: BTreeMap::new(),
            services: BTreeMap::new(),
            events: EventLog::default(),
            profiles: Profiles::default(),
            trace: Trace::default(),
            dirty_replicasets: BTreeSet::new(),
            dirty_deployments: BTreeSet::new(),
            traced: BTreeMap::new(),
            manual_passes: false,
            stats: Stats::default(),
            traffic: traffic::Traffic::new(seed),
            autoscalers: BTreeMap::new(),
            nodes: nodes::initial(),
            node_versions: BTreeMap::new(),
            budgets: BTreeMap::new(),
            budgets_stale: false,
        };
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            sim.create_namespace(ns);
        }
        sim
    }

    pub fn with_profiles(seed: u64, profiles: Profiles) -> Sim {
        let mut sim = Sim::new(seed);
        sim.traffic.profile = profiles.traffic.clone();
        sim.profiles = profiles;
        sim
    }

    /// Virtual time now.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The traffic samples of the last hour, as `metrics()` and `sim serve`'s `/metrics` read
    /// them.
    pub fn samples(&self) -> &metrics::Store {
        &self.traffic.store
    }

    pub fn profiles(&self) -> &Profiles {
        &self.profiles
    }

    pub fn profiles_mut(&mut self) -> &mut Profiles {
        &mut self.profiles
    }

    /// Starts recording the trace (off by default: it costs time in benchmarks).
    pub fn enable_trace(&mut self) {
        self.trace.enable();
        self.trace_all();
    }

    pub fn trace_lines(&self) -> &[String] {
        self.trace.lines()
    }

    pub fn take_trace(&mut self) -> Vec<String> {
        self.trace.take()
    }

    /// Records an entry in the trace (the backend records every action it performs).
    pub fn trace_note(&mut self, ev: &str, fields: serde_json::Value) {
        self.trace.record(self.now, ev, || fields);
    }

    fn schedule(&mut self, at: SimTime, wake: Wake) {
        self.timer_seq += 1;
        self.queue.push(Reverse(Timer {
            at: at.max(self.now),
            seq: self.timer_seq,
            wake,
        }));
    }

    /// When something next happens, if anything is pending.
    pub fn next_wake(&self) -> Option<SimTime> {
        self.queue.peek().map(|Reverse(t)| t.at)
    }

    /// Runs everything due up to and including `t`, then sets the clock to `t`.
    pub fn advance_to(&mut self, t: SimTime) {
        while let Some(at) = self.next_wake().filter(|at| *at <= t) {
            self.now = self.now.max(at);
            while let Some(Reverse(timer)) = self.queue.peek() {
                if timer.at > self.now {
                    break;
                }
                let Reverse(timer) = self.queue.pop().expect("peeked");
                self.dispatch(timer.wake);
            }
            self.settle();
        }
        self.now = self.now.max(t);
    }

    /// Advances by `ms` milliseconds of virtual time.
    pub fn advance_by(&mut self, ms: SimTime) {
        self.advance_to(self.now + ms);
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    fn dispatch(&mut self, wake: Wake) {
        self.stats.timers += 1;
        match wake {
            Wake::Pod(id, generation) => self.pod_wake(id, generation),
            Wake::ReplicaSet(key) => {
                self.dirty_replicasets.insert(key);
            }
            Wake::Deployment(key) => {
                self.dirty_deployments.insert(key);
            }
            Wake::Traffic => self.traffic_tick(),
            Wake::Autoscaler(key, incarnation) => self.sync_autoscaler(&key, incarnation),
        }
    }

    /// Runs the controllers to a fixpoint at the current instant: dirty ReplicaSets first, then
    /// one Deployment pass at a time, so each pass sees its ReplicaSets' reaction (K8S-RU-8).
    pub fn settle(&mut self) {
        for _ in 0..MAX_ROUNDS {
            if let Some(rs) = self.dirty_replicasets.pop_first() {
                self.stats.replicaset_passes += 1;
                // Every pod change (created, ready, terminating, gone) dirties its ReplicaSet.
                self.budgets_stale = true;
                self.reconcile_replicaset(&rs);
                continue;
            }
            if !self.manual_passes
                && let Some(d) = self.dirty_deployments.pop_first()
            {
                self.stats.deployment_passes += 1;
                self.budgets_stale = true;
                self.sync_deployment(&d);
                continue;
            }
            if std::mem::take(&mut self.budgets_stale) {
                self.refresh_budgets();
            }
            self.trace_services();
            return;
        }
        tracing::warn!(
            "simulator: controllers did not settle at {}",
            time::clock(self.now)
        );
    }

    /// Conformance stepping: Deployment passes run only through [`Sim::deployment_pass`].
    pub fn set_manual_passes(&mut self, manual: bool) {
        self.manual_passes = manual;
        if !manual {
            self.settle();
        }
    }

    /// One Deployment controller pass, then the ReplicaSets' reaction (K8S-RU-8).
    pub fn deployment_pass(&mut self, namespace: &str, name: &str) {
        let k = key(namespace, name);
        self.dirty_deployments.remove(&k);
        self.sync_deployment(&k);
        self.settle();
    }

    /// Conformance stepping: the Deployment's status brought up to date without any scaling.
    pub fn deployment_status_sync(&mut self, namespace: &str, name: &str) {
        let k = key(namespace, name);
        if self.deployments.contains_key(&k) {
            self.sync_rollout_status_now(&k);
        }
    }

    /// Marks a Deployment for a controller pass.
    fn touch_deployment(&mut self, key: &Key) {
        self.dirty_deployments.insert(key.clone());
    }
}

#[cfg(test)]
mod tests;
