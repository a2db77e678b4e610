//! Simulated traffic: every Service receives requests (100 req/s unless a profile file's
//! `traffic:` or `sim_traffic()` says otherwise) and spreads them over its ready endpoints
//! (SVC-3); every 5 s each running pod's interval is sampled (requests, errors, CPU, latency)
//! for `metrics()` and the HorizontalPodAutoscaler.

use super::dist::Draws;
use super::metrics::{PodInfo, Tick};
use super::serving::{self, Resources};
use super::time::{SECOND, SimTime};
use super::{Key, PodId, Sim, Wake};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The sampling interval (a scrape interval).
pub const TICK: SimTime = 5 * SECOND;

/// Requests per second a Service receives when nothing sets its traffic.
pub const DEFAULT_RPS: f64 = 100.0;

pub use rollplay_core::backend::Rate;

/// The traffic settings and samples of a simulator.
pub struct Traffic {
    pub draws: Draws,
    /// Rates set with `sim_traffic`, with the instant their points count from: the latest
    /// and the one before it, so an interval a change falls in gets each for its part.
    pub set: BTreeMap<Key, Vec<(Rate, SimTime)>>,
    /// Rates from the profile file, by `name` or `namespace/name`; points count from time 0.
    pub profile: BTreeMap<String, Rate>,
    pub armed: bool,
    pub store: super::metrics::Store,
}

impl Traffic {
    pub fn new(seed: u64) -> Traffic {
        Traffic {
            draws: Draws::new(seed),
            set: BTreeMap::new(),
            profile: BTreeMap::new(),
            armed: false,
            store: Default::default(),
        }
    }

    /// The mean rate over `[from, to)`, by the midpoints of one-second steps: exact for
    /// constant rates and for load points on whole seconds, and a change made mid-interval
    /// counts only from when it was made.
    pub fn mean_rate(&self, service: &Key, from: SimTime, to: SimTime) -> f64 {
        let settings = self.set.get(service).map_or(&[][..], |s| s.as_slice());
        // The profile's rate applies before any `sim_traffic`; points count from time 0.
        let profile = self
            .profile
            .get(&format!("{}/{}", service.0, service.1))
            .or_else(|| self.profile.get(&service.1));
        let at = |t: SimTime| match settings.iter().rev().find(|(_, since)| *since <= t) {
            Some((rate, since)) => rate.at((t - since) as f64 / 1000.0),
            None => profile.map_or(DEFAULT_RPS, |rate| rate.at(t as f64 / 1000.0)),
        };
        let steps = (to.saturating_sub(from)).div_ceil(SECOND).max(1);
        let width = (to - from) as f64 / steps as f64;
        (0..steps)
            .map(|i| at(from + ((i as f64 + 0.5) * width) as SimTime))
            .sum::<f64>()
            / steps as f64
    }
}

impl Sim {
    /// Sets a Service's traffic from now on; its points count from now.
    pub fn set_traffic(
        &mut self,
        namespace: &str,
        service: &str,
        rate: Rate,
    ) -> Result<(), String> {
        rate.check()?;
        let settings = self
            .traffic
            .set
            .entry(super::key(namespace, service))
            .or_default();
        settings.retain(|(_, since)| *since < self.now);
        settings.push((rate, self.now));
        if settings.len() > 2 {
            settings.remove(0);
        }
        self.arm_traffic();
        Ok(())
    }

    /// Starts sampling (at the next multiple of the interval) once there is something to
    /// sample: a Service to send traffic to or an autoscaler to read CPU.
    pub(super) fn arm_traffic(&mut self) {
        if self.traffic.armed || (self.services.is_empty() && !self.has_autoscalers()) {
            return;
        }
        self.traffic.armed = true;
        let next = (self.now / TICK + 1) * TICK;
        self.schedule(next, Wake::Traffic);
    }

    /// One sampling interval ending now: route each Service's requests, then sample every
    /// running pod.
    pub(super) fn traffic_tick(&mut self) {
        let now = self.now;
        let seconds = TICK as f64 / 1000.0;
        // Per pod: requests per second while it serves, and the share of the interval it does.
        let mut offered: BTreeMap<PodId, (f64, f64)> = BTreeMap::new();
        let mut unserved = Vec::new();
        for (key, svc) in &self.services {
            let rate = self.traffic.mean_rate(key, now.saturating_sub(TICK), now);
            let Some(selector) = &svc.selector else {
                continue;
            };
            if rate <= 0.0 {
                continue;
            }
            // SVC-1, SVC-3: the endpoints `endpoints()` lists, and of those the ones kube-proxy
            // sends new connections to.
            let endpoints: Vec<(PodId, super::endpoints::Conditions)> = self
                .pods
                .iter()
                .filter(|(_, p)| {
                    p.meta.namespace == key.0
                        && selector
                            .iter()
                            .all(|(k, v)| p.meta.labels.get(k) == Some(v))
                })
                .filter_map(|(id, p)| {
                    self.endpoint_conditions(p, svc.publish_not_ready)
                        .map(|c| (*id, c))
                })
                .collect();
            let targets = super::endpoints::proxy_targets(&endpoints);
            // A pod that turned ready during the interval serves from then on; before the
            // first one did, requests found no endpoint.
            let fractions: Vec<f64> = targets
                .iter()
                .map(|id| {
                    let p = &self.pods[id];
                    if p.ready && p.meta.deleting.is_none() {
                        let since = p.ready_since.max(now.saturating_sub(TICK));
                        ((now - since) as f64 / TICK as f64).clamp(0.0, 1.0)
                    } else {
                        1.0
                    }
                })
                .collect();
            let covered = fractions.iter().copied().fold(0.0, f64::max);
            let weight: f64 = fractions.iter().sum();
            if covered < 1.0 {
                unserved.push((
                    key.clone(),
                    (rate * seconds * (1.0 - covered)).round() as u64,
                ));
            }
            if weight <= 0.0 {
                continue;
            }
            let share = rate * covered / weight;
            for (id, fraction) in targets.into_iter().zip(fractions) {
                let entry = offered.entry(id).or_insert((0.0, fraction));
                entry.0 += share;
            }
        }
        let mut samples = Vec::with_capacity(self.pods.len());
        for (id, pod) in &self.pods {
            let Some(first) = pod.containers.first() else {
                continue;
            };
            if !matches!(first.state, super::pod::State::Running { .. }) {
                continue;
            }
            let resources = Resources {
                cpu_request_milli: pod
                    .template
                    .containers
                    .iter()
                    .filter_map(|c| c.cpu_request_milli)
                    .sum::<i64>() as f64,
                cpu_limit_milli: pod
                    .template
                    .containers
                    .iter()
                    .map(|c| c.cpu_limit_milli)
                    .sum::<Option<i64>>()
                    .map(|l| l as f64),
                memory_request_bytes: pod
                    .template
                    .containers
                    .iter()
                    .filter_map(|c| c.memory_request_milli)
                    .sum::<i64>() as f64
                    / 1000.0,
            };
            let served = match offered.get(id) {
                Some(&(rps, fraction)) => serving::serve(
                    &first.profile,
                    &resources,
                    rps,
                    seconds,
                    fraction,
                    &mut self.traffic.draws,
                ),
                None => serving::idle(&first.profile, &resources),
            };
            samples.push((*id, served));
        }
        for (id, _) in &samples {
            if !self.traffic.store.knows(*id) {
                let info = self.pod_info(*id);
                self.traffic.store.remember(*id, info);
            }
        }
        self.traffic.store.push(Tick {
            at: now,
            pods: samples,
            unserved,
        });
        if self.services.is_empty() && !self.has_autoscalers() {
            self.traffic.armed = false;
        } else {
            self.schedule(now + TICK, Wake::Traffic);
        }
    }

    /// Metrics of the pods `filter` picks over the `window` (ms) ending now.
    pub fn metrics(
        &self,
        namespace: &str,
        filter: &super::metrics::Filter,
        window: SimTime,
    ) -> rollplay_core::error::Result<super::metrics::Report> {
        if window == 0 || window > self.traffic.store.retention {
            return Err(rollplay_core::error::Error::bad_input(
                "metrics()",
                format!(
                    "a window of {} s: expected more than 0 and at most an hour (samples are kept for an hour)",
                    window / 1000
                ),
            ));
        }
        Ok(self
            .traffic
            .store
            .query(namespace, filter, window, self.now))
    }

    /// What samples of a pod are attributed to: its namespace, labels and Deployment.
    fn pod_info(&self, id: PodId) -> Arc<PodInfo> {
        let pod = &self.pods[&id];
        let deployment = self
            .replicasets
            .get(&super::key(&pod.meta.namespace, &pod.owner))
            .and_then(|rs| rs.owner.clone());
        Arc::new(PodInfo {
            namespace: pod.meta.namespace.clone(),
            name: pod.meta.name.clone(),
            deployment,
            labels: pod.meta.labels.clone(),
            container: pod
                .containers
                .first()
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        })
    }

    /// Whether any HorizontalPodAutoscaler runs.
    pub(super) fn has_autoscalers(&self) -> bool {
        !self.autoscalers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_profiles_interpolate_and_hold_the_last_rate() {
        let r = Rate::Points(vec![(0.0, 110.0), (600.0, 190.0), (900.0, 1100.0)]);
        assert_eq!(r.at(0.0), 110.0);
        assert_eq!(r.at(300.0), 150.0);
        assert_eq!(r.at(750.0), 645.0);
        assert_eq!(r.at(5000.0), 1100.0);
        assert!(Rate::Points(vec![(10.0, 1.0), (5.0, 2.0)]).check().is_err());
        assert!(Rate::Constant(-1.0).check().is_err());
    }
}
