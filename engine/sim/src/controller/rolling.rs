//! RollingUpdate decisions: how far to scale the new ReplicaSet up (K8S-RU-7) and the old ones
//! down (K8S-RU-9) in one pass.

use super::{RsView, Scaling};
use rollplay_k8s::DeploymentSpec;

/// `NewRSNewReplicas` for RollingUpdate: the new ReplicaSet's size after scaling up as far as
/// Σ spec ≤ R + maxSurge allows, never beyond R (K8S-RU-4a, K8S-RU-7).
pub fn new_rs_new_replicas(spec: &DeploymentSpec, all_spec_total: i32, new_spec: i32) -> i32 {
    let max_total = spec.replicas + spec.max_surge();
    if all_spec_total >= max_total {
        return new_spec;
    }
    let scale_up = (max_total - all_spec_total).min(spec.replicas - new_spec);
    new_spec + scale_up
}

/// `reconcileNewReplicaSet`: the new ReplicaSet's target, when it must change (K8S-RU-7).
pub fn new_rs_target(spec: &DeploymentSpec, all_spec_total: i32, new_spec: i32) -> Option<i32> {
    let r = spec.replicas;
    if new_spec == r {
        return None;
    }
    if new_spec > r {
        return Some(r);
    }
    let target = new_rs_new_replicas(spec, all_spec_total, new_spec);
    (target != new_spec).then_some(target)
}

/// `reconcileOldReplicaSets`: scale-downs of the active old ReplicaSets in the order the
/// controller makes them, first unhealthy replicas within the budget, then available ones
/// while availability stays above R − maxUnavailable (K8S-RU-9, K8S-RU-4b).
pub fn old_rs_scale_down(
    spec: &DeploymentSpec,
    active_old: &[RsView],
    new: &RsView,
) -> Vec<Scaling> {
    let old_total: i32 = active_old.iter().map(|r| r.spec).sum();
    if old_total == 0 {
        return Vec::new();
    }
    let all_total = old_total + new.spec;
    let min_available = spec.replicas - spec.max_unavailable();
    let new_unavailable = new.spec - new.available;
    let max_scaled_down = all_total - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return Vec::new();
    }
    let mut old: Vec<&RsView> = active_old.iter().collect();
    old.sort_by_key(|r| r.created);
    let mut sizes: Vec<i32> = old.iter().map(|r| r.spec).collect();
    let mut out = Vec::new();

    // Step A: unhealthy replicas first, oldest ReplicaSet first, within the budget.
    let mut cleaned = 0;
    for (i, rs) in old.iter().enumerate() {
        if cleaned >= max_scaled_down {
            break;
        }
        if sizes[i] == 0 || sizes[i] <= rs.available {
            continue;
        }
        let down = (max_scaled_down - cleaned).min(sizes[i] - rs.available);
        out.push(Scaling {
            name: rs.name.clone(),
            from: sizes[i],
            to: sizes[i] - down,
        });
        sizes[i] -= down;
        cleaned += down;
    }

    // Step B: available replicas, while Σ available stays above R − maxUnavailable; not
    // limited by step A's budget.
    let available: i32 = old.iter().map(|r| r.available).sum::<i32>() + new.available;
    if available <= min_available {
        return out;
    }
    let to_remove = available - min_available;
    let mut removed = 0;
    for (i, rs) in old.iter().enumerate() {
        if removed >= to_remove {
            break;
        }
        if sizes[i] == 0 {
            continue;
        }
        let down = sizes[i].min(to_remove - removed);
        out.push(Scaling {
            name: rs.name.clone(),
            from: sizes[i],
            to: sizes[i] - down,
        });
        sizes[i] -= down;
        removed += down;
    }
    out
}
