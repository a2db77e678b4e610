//! The simulated kubelet: container start-up, probes (startup, readiness, liveness), crashes
//! and restarts with back-off, and termination. Probe outcomes are computed from the image
//! profile when a container starts, so only transitions become events.

use super::meta::Meta;
use super::pod::{Container, Death, Pod, State, Step, Terminated};
use super::profile::ImageProfile;
use super::time::{SECOND, SimTime};
use super::{Key, PodId, Sim, Wake};
use rollplay_core::kind::Kind;
use rollplay_k8s::{ContainerSpec, Probe};
use serde_json::json;

/// Delay before restarting after the n-th consecutive exit: the first restart is immediate,
/// then 10 s doubling to 5 minutes (the kubelet's CrashLoopBackOff).
fn backoff(level: u32) -> SimTime {
    if level <= 1 {
        return 0;
    }
    let secs = 10u64.saturating_mul(1u64 << (level - 2).min(10));
    secs.min(300) * SECOND
}

/// A container that ran this long without exiting starts its back-off afresh.
const BACKOFF_RESET: SimTime = 600 * SECOND;

fn ms(seconds: f64) -> SimTime {
    (seconds * 1000.0).round() as SimTime
}

/// Probe tick `k` of a container started at `start`.
fn tick(p: &Probe, start: SimTime, k: u64) -> SimTime {
    start + p.initial_delay_seconds as SimTime * SECOND + k * p.period_seconds as SimTime * SECOND
}

/// The first tick at or after `t`.
fn first_tick_at_or_after(p: &Probe, start: SimTime, t: SimTime) -> u64 {
    let t0 = tick(p, start, 0);
    if t <= t0 {
        return 0;
    }
    let period = p.period_seconds as SimTime * SECOND;
    (t - t0).div_ceil(period)
}

/// Everything that will happen to a container started at `start`, until it dies or forever.
fn plan(
    spec: &ContainerSpec,
    profile: &ImageProfile,
    start: SimTime,
    ip: &str,
) -> Vec<(SimTime, Step)> {
    let up = start + ms(profile.startup_seconds);
    let mut deaths: Vec<(SimTime, Death)> = Vec::new();
    let mut steps: Vec<(SimTime, Step)> = Vec::new();
    if let Some(after) = profile.crash_after_seconds {
        deaths.push((start + ms(after), Death::Crash));
    }
    let refused = |p: &Probe| {
        format!(
            "Get \"http://{ip}:8080{}\": dial tcp {ip}:8080: connect: connection refused",
            p.describe.trim_start_matches("HTTP GET ")
        )
    };

    let started_at = match &spec.startup_probe {
        None => Some(start),
        Some(p) => {
            let k = first_tick_at_or_after(p, start, up);
            if k < p.failure_threshold as u64 {
                Some(tick(p, start, k))
            } else {
                let kill = tick(p, start, p.failure_threshold as u64 - 1);
                steps.push((
                    kill,
                    Step::Unhealthy(format!("Startup probe failed: {}", refused(p))),
                ));
                deaths.push((kill, Death::StartupProbe));
                None
            }
        }
    };
    if let (Some(p), None) = (&spec.liveness_probe, &spec.startup_probe) {
        let k = first_tick_at_or_after(p, start, up);
        if k >= p.failure_threshold as u64 {
            let kill = tick(p, start, p.failure_threshold as u64 - 1);
            steps.push((
                kill,
                Step::Unhealthy(format!("Liveness probe failed: {}", refused(p))),
            ));
            deaths.push((kill, Death::LivenessProbe));
        }
    }
    if let Some(s) = started_at {
        steps.push((s, Step::Started));
        match (&spec.readiness_probe, profile.ready) {
            (None, _) => steps.push((s, Step::Ready)),
            (Some(p), true) => {
                let k = first_tick_at_or_after(p, start, up.max(s));
                steps.push((
                    tick(p, start, k + p.success_threshold as u64 - 1),
                    Step::Ready,
                ));
            }
            (Some(p), false) => {
                let k = first_tick_at_or_after(p, start, up.max(s));
                steps.push((
                    tick(p, start, k),
                    Step::Unhealthy(
                        "Readiness probe failed: HTTP probe failed with statuscode: 503".into(),
                    ),
                ));
            }
        }
    }
    deaths.sort_by_key(|(t, _)| *t);
    if let Some(&(at, death)) = deaths.first() {
        steps.retain(|(t, step)| *t < at || (*t == at && matches!(step, Step::Unhealthy(_))));
        steps.push((at, Step::Die(death)));
    }
    steps.sort_by_key(|(t, step)| (*t, matches!(step, Step::Die(_))));
    steps
}

impl Sim {
    /// Creates a pod for a ReplicaSet; its containers start at once.
    pub(super) fn create_pod(&mut self, rs_key: &Key) -> Option<PodId> {
        let (owner, owner_uid, labels, template, spec_value) = {
            let rs = self.replicasets.get(rs_key)?;
            (
                rs.meta.name.clone(),
                rs.meta.uid,
                rs.parsed.labels.clone(),
                rs.parsed.clone(),
                rs.pod_spec.clone(),
            )
        };
        let ns = rs_key.0.clone();
        let name = loop {
            let candidate = format!("{owner}-{}", self.ids.name_suffix());
            if !self
                .pod_names
                .contains_key(&(ns.clone(), candidate.clone()))
            {
                break candidate;
            }
        };
        let now = self.now;
        let ip = self.ids.pod_ip();
        let node = self.pick_node();
        let containers = template
            .containers
            .iter()
            .map(|c| {
                let profile = self.profiles.lookup(&c.image).clone();
                Container {
                    name: c.name.clone(),
                    image: c.image.clone(),
                    plan: plan(c, &profile, now, &ip),
                    profile,
                    restarts: 0,
                    backoff_level: 0,
                    state: State::Running { since: now },
                    last_state: None,
                    started: false,
                    ready: false,
                }
            })
            .collect();
        let meta = Meta {
            name: name.clone(),
            namespace: ns.clone(),
            uid: self.ids.uid(),
            labels,
            created: now,
            resource_version: self.ids.resource_version(),
            ..Meta::default()
        };
        let pod = Pod {
            meta,
            owner,
            owner_uid,
            template: template.clone(),
            spec: spec_value,
            ip,
            containers,
            ready: false,
            ready_since: now,
            gone_at: None,
            timer_generation: 0,
            sequence: self.ids.sequence(),
            node: node.clone(),
        };
        let id = pod.sequence;
        self.pods.insert(id, pod);
        self.pod_names.insert((ns.clone(), name.clone()), id);
        self.event(
            Kind::Pod,
            &ns,
            &name,
            "Scheduled",
            format!("Successfully assigned {ns}/{name} to {node}"),
        );
        for c in &template.containers {
            self.event(
                Kind::Pod,
                &ns,
                &name,
                "Pulled",
                format!("Container image \"{}\" already present on machine", c.image),
            );
            self.event(
                Kind::Pod,
                &ns,
                &name,
                "Created",
                format!("Created container: {}", c.name),
            );
            self.event(
                Kind::Pod,
                &ns,
                &name,
                "Started",
                format!("Started container {}", c.name),
            );
        }
        self.trace.record(
            now,
            "pod",
            || json!({"ns": ns, "pod": name, "rs": rs_key.1, "state": "created"}),
        );
        self.pod_wake_now(id);
        Some(id)
    }

    /// Starts termination: the pod leaves ReplicaSet counts now and is gone after its shutdown.
    pub(super) fn terminate_pod(&mut self, id: PodId) {
        let now = self.now;
        let Some(pod) = self.pods.get_mut(&id) else {
            return;
        };
        let key = (pod.meta.namespace.clone(), pod.meta.name.clone());
        if pod.meta.deleting.is_some() {
            return;
        }
        let grace = pod.template.termination_grace_period_seconds as SimTime * SECOND;
        let shutdown = pod
            .containers
            .iter()
            .map(|c| ms(c.profile.shutdown_seconds))
            .max()
            .unwrap_or(0);
        pod.meta.deleting = Some(now);
        pod.gone_at = Some(now + shutdown.min(grace));
        pod.meta.resource_version = self.ids.resource_version();
        let names: Vec<String> = pod.containers.iter().map(|c| c.name.clone()).collect();
        for c in names {
            self.event(
                Kind::Pod,
                &key.0,
                &key.1,
                "Killing",
                format!("Stopping container {c}"),
            );
        }
        self.trace.record(
            now,
            "pod",
            || json!({"ns": key.0, "pod": key.1, "state": "terminating"}),
        );
        self.pod_wake_now(id);
    }

    /// Processes whatever is due for a pod now and schedules its next transition.
    fn pod_wake_now(&mut self, id: PodId) {
        let generation = self.pods.get(&id).map(|p| p.timer_generation).unwrap_or(0);
        self.pod_wake(id, generation);
    }

    pub(super) fn pod_wake(&mut self, id: PodId, generation: u64) {
        let now = self.now;
        let Some(pod) = self.pods.get_mut(&id) else {
            return;
        };
        if pod.timer_generation != generation {
            return;
        }
        if pod.gone_at.is_some_and(|g| g <= now) {
            let key = &(pod.meta.namespace.clone(), pod.meta.name.clone());
            let rs_key = (key.0.clone(), pod.owner.clone());
            self.pods.remove(&id);
            self.pod_names.remove(key);
            // A deletion takes a resource version, as it does on the API server.
            self.ids.resource_version();
            if let Some(rs) = self.replicasets.get_mut(&rs_key) {
                rs.pods.remove(&id);
                let owner = rs.owner.clone();
                if let Some(d) = owner {
                    self.touch_deployment(&(key.0.clone(), d));
                }
            }
            self.dirty_replicasets.insert(rs_key);
            self.trace.record(
                now,
                "pod",
                || json!({"ns": key.0, "pod": key.1, "state": "gone"}),
            );
            return;
        }
        // Most wakes change nothing worth an event or a trace line: names are copied only
        // when one is written.
        let mut notes: Vec<(&'static str, String)> = Vec::new();
        let terminating = pod.meta.deleting.is_some();
        let ip = &pod.ip;
        let pod_name = &pod.meta.name;
        let namespace = &pod.meta.namespace;
        for (i, c) in pod.containers.iter_mut().enumerate() {
            while let Some((at, _)) = c.plan.first() {
                if *at > now || terminating {
                    break;
                }
                let (at, step) = c.plan.remove(0);
                match step {
                    Step::Started => c.started = true,
                    Step::Ready => c.ready = true,
                    Step::Unhealthy(msg) => notes.push(("Unhealthy", msg)),
                    Step::Die(death) => {
                        let since = match c.state {
                            State::Running { since } => since,
                            _ => at,
                        };
                        c.backoff_level = if at - since >= BACKOFF_RESET {
                            1
                        } else {
                            c.backoff_level + 1
                        };
                        c.started = false;
                        c.ready = false;
                        let (exit_code, reason) = match death {
                            Death::Crash => (1, "Error"),
                            _ => (137, "Error"),
                        };
                        c.last_state = Some(Terminated {
                            started: since,
                            finished: at,
                            exit_code,
                            reason,
                        });
                        if death != Death::Crash {
                            let probe = if death == Death::StartupProbe {
                                "startup"
                            } else {
                                "liveness"
                            };
                            notes.push((
                                "Killing",
                                format!(
                                    "Container {} failed {probe} probe, will be restarted",
                                    c.name
                                ),
                            ));
                        }
                        let delay = backoff(c.backoff_level);
                        if delay > 0 {
                            c.state = State::Waiting {
                                reason: "CrashLoopBackOff",
                                message: format!(
                                    "back-off {}s restarting failed container={} pod={}",
                                    delay / SECOND,
                                    c.name,
                                    pod_name
                                ),
                            };
                            notes.push((
                                "BackOff",
                                format!(
                                    "Back-off restarting failed container {} in pod {}_{}",
                                    c.name, pod_name, namespace
                                ),
                            ));
                        }
                        c.plan = vec![(at + delay, Step::Restart)];
                    }
                    Step::Restart => {
                        c.restarts += 1;
                        c.state = State::Running { since: at };
                        let spec = &pod.template.containers[i];
                        c.plan = plan(spec, &c.profile, at, ip);
                        notes.push(("Started", format!("Started container {}", c.name)));
                    }
                }
            }
        }
        let ready = !terminating
            // Readiness gates count as passed: no controller owns them here.
            && pod.containers.iter().all(|c| c.ready);
        let changed = ready != pod.ready;
        if changed {
            pod.ready = ready;
            pod.ready_since = now;
            pod.meta.resource_version = self.ids.resource_version();
        }
        let next = pod
            .containers
            .iter()
            .filter_map(|c| c.plan.first().map(|(t, _)| *t))
            .min();
        let next = if terminating { pod.gone_at } else { next };
        pod.timer_generation += 1;
        let next_generation = pod.timer_generation;
        if let Some(at) = next {
            self.schedule(at, Wake::Pod(id, next_generation));
        }
        if notes.is_empty() && !changed {
            return;
        }
        let pod = &self.pods[&id];
        let key = &(pod.meta.namespace.clone(), pod.meta.name.clone());
        let rs_key = (key.0.clone(), pod.owner.clone());
        for (reason, message) in notes {
            self.event(Kind::Pod, &key.0, &key.1, reason, message);
        }
        if changed {
            self.trace.record(
                now,
                "pod",
                || json!({"ns": key.0, "pod": key.1, "state": if ready {"ready"} else {"unready"}}),
            );
            self.dirty_replicasets.insert(rs_key);
        }
    }

    /// Conformance hook: `count` not-ready pods of a ReplicaSet become ready and available now.
    pub fn force_available(&mut self, namespace: &str, rs: &str, count: usize) -> usize {
        let ids: Vec<PodId> = self
            .replicasets
            .get(&(namespace.to_string(), rs.to_string()))
            .map(|r| r.pods.iter().copied().collect())
            .unwrap_or_default();
        let mut done = 0;
        for id in ids {
            if done == count {
                break;
            }
            let pod = self.pods.get_mut(&id).expect("listed");
            if pod.meta.deleting.is_some() || pod.ready {
                continue;
            }
            for c in &mut pod.containers {
                c.started = true;
                c.ready = true;
                c.plan.clear();
            }
            pod.ready = true;
            pod.ready_since = 0;
            pod.timer_generation += 1;
            done += 1;
        }
        self.dirty_replicasets
            .insert((namespace.to_string(), rs.to_string()));
        done
    }

    /// Conformance hook: every terminating pod is gone now.
    pub fn finish_terminations(&mut self) {
        let now = self.now;
        let ids: Vec<PodId> = self
            .pods
            .iter()
            .filter(|(_, p)| p.meta.deleting.is_some())
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            let generation = {
                let pod = self.pods.get_mut(&id).expect("listed");
                pod.gone_at = Some(now);
                pod.timer_generation
            };
            self.pod_wake(id, generation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(initial: i64, period: i64, failure: i64) -> Probe {
        Probe {
            initial_delay_seconds: initial,
            period_seconds: period,
            timeout_seconds: 1,
            success_threshold: 1,
            failure_threshold: failure,
            describe: "HTTP GET /ready".into(),
        }
    }

    fn container(
        readiness: Option<Probe>,
        liveness: Option<Probe>,
        startup: Option<Probe>,
    ) -> ContainerSpec {
        ContainerSpec {
            name: "web".into(),
            image: "web:1".into(),
            startup_probe: startup,
            readiness_probe: readiness,
            liveness_probe: liveness,
            cpu_request_milli: None,
            cpu_limit_milli: None,
            memory_request_milli: None,
            memory_limit_milli: None,
        }
    }

    #[test]
    fn readiness_passes_on_the_first_probe_after_start_up() {
        let profile = ImageProfile {
            startup_seconds: 12.0,
            ..ImageProfile::default()
        };
        let steps = plan(
            &container(Some(probe(5, 10, 3)), None, None),
            &profile,
            0,
            "10.0.0.1",
        );
        // Probes at 5, 15, 25 s; the application answers from 12 s.
        assert_eq!(steps, vec![(0, Step::Started), (15_000, Step::Ready)]);
    }

    #[test]
    fn slow_start_without_startup_probe_is_killed_by_liveness() {
        let profile = ImageProfile {
            startup_seconds: 60.0,
            ..ImageProfile::default()
        };
        let steps = plan(
            &container(Some(probe(0, 10, 3)), Some(probe(10, 10, 3)), None),
            &profile,
            0,
            "10.0.0.1",
        );
        assert_eq!(
            steps.last(),
            Some(&(30_000, Step::Die(Death::LivenessProbe)))
        );
        assert!(!steps.iter().any(|(_, s)| *s == Step::Ready));
    }

    #[test]
    fn startup_probe_window_protects_a_slow_start() {
        let profile = ImageProfile {
            startup_seconds: 60.0,
            ..ImageProfile::default()
        };
        let steps = plan(
            &container(
                Some(probe(0, 10, 3)),
                Some(probe(0, 15, 3)),
                Some(probe(0, 10, 30)),
            ),
            &profile,
            0,
            "x",
        );
        assert_eq!(steps, vec![(60_000, Step::Started), (60_000, Step::Ready)]);
    }

    #[test]
    fn never_ready_images_only_fail_readiness() {
        let profile = ImageProfile {
            ready: false,
            ..ImageProfile::default()
        };
        let steps = plan(
            &container(Some(probe(0, 10, 3)), None, None),
            &profile,
            0,
            "x",
        );
        assert!(matches!(
            steps[..],
            [(0, Step::Started), (10_000, Step::Unhealthy(_))]
        ));
    }

    #[test]
    fn crashes_cut_the_plan_and_back_off_doubles() {
        let profile = ImageProfile {
            crash_after_seconds: Some(5.0),
            ..ImageProfile::default()
        };
        let steps = plan(
            &container(Some(probe(10, 10, 3)), None, None),
            &profile,
            0,
            "x",
        );
        assert_eq!(
            steps,
            vec![(0, Step::Started), (5_000, Step::Die(Death::Crash))]
        );
        assert_eq!(
            [backoff(1), backoff(2), backoff(3), backoff(4), backoff(8)],
            [0, 10_000, 20_000, 40_000, 300_000]
        );
    }
}
