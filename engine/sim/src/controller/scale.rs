//! Proportional scaling when `spec.replicas` changes during a rollout or while paused (K8S-PS).

use super::{RsView, Scaling};
use rollplay_k8s::DeploymentSpec;

/// `FindActiveOrLatest`: the one active ReplicaSet, or the newest when none is active; None
/// when several are active (K8S-PS-2).
pub fn find_active_or_latest<'a>(new: Option<&'a RsView>, old: &'a [RsView]) -> Option<&'a RsView> {
    let mut sorted: Vec<&RsView> = old.iter().collect();
    sorted.sort_by_key(|r| std::cmp::Reverse(r.created));
    let mut all = sorted.clone();
    all.extend(new);
    let active: Vec<&RsView> = all.iter().copied().filter(|r| r.spec > 0).collect();
    match active.len() {
        0 => new.or(sorted.first().copied()),
        1 => Some(active[0]),
        _ => None,
    }
}

/// `IsSaturated`: the new ReplicaSet runs and has been told exactly R (K8S-PS-3).
pub fn is_saturated(replicas: i32, rs: &RsView) -> bool {
    rs.spec == replicas && rs.desired_annotation == Some(replicas) && rs.available == replicas
}

/// `DeploymentController.scale`: the ReplicaSet sizes after a scaling event. Every returned
/// entry is written (with fresh desired/max annotations) even if its size is unchanged;
/// `status_replicas` is the Deployment's status.replicas, the fallback for a missing
/// max-replicas annotation.
pub fn proportional(
    spec: &DeploymentSpec,
    new: Option<&RsView>,
    old: &[RsView],
    status_replicas: i32,
) -> Vec<Scaling> {
    let r = spec.replicas;
    if let Some(rs) = find_active_or_latest(new, old) {
        if rs.spec == r {
            return Vec::new();
        }
        return vec![Scaling {
            name: rs.name.clone(),
            from: rs.spec,
            to: r,
        }];
    }
    if let Some(n) = new
        && is_saturated(r, n)
    {
        return old
            .iter()
            .filter(|o| o.spec > 0)
            .map(|o| Scaling {
                name: o.name.clone(),
                from: o.spec,
                to: 0,
            })
            .collect();
    }
    if !spec.strategy.is_rolling() {
        return Vec::new();
    }
    let mut active: Vec<&RsView> = old.iter().chain(new).filter(|rs| rs.spec > 0).collect();
    let total: i32 = active.iter().map(|rs| rs.spec).sum();
    let allowed = if r > 0 { r + spec.max_surge() } else { 0 };
    let to_add = allowed - total;
    // Larger first; ties: newer first when adding, older first when removing.
    if to_add > 0 {
        active.sort_by(|a, b| b.spec.cmp(&a.spec).then(b.created.cmp(&a.created)));
    } else if to_add < 0 {
        active.sort_by(|a, b| b.spec.cmp(&a.spec).then(a.created.cmp(&b.created)));
    }
    let mut added = 0;
    let mut sizes: Vec<i32> = Vec::with_capacity(active.len());
    for rs in &active {
        if to_add != 0 {
            let proportion = proportion(spec, rs, to_add, added, status_replicas);
            sizes.push(rs.spec + proportion);
            added += proportion;
        } else {
            sizes.push(rs.spec);
        }
    }
    if to_add != 0 && !sizes.is_empty() {
        sizes[0] = (sizes[0] + to_add - added).max(0);
    }
    active
        .iter()
        .zip(sizes)
        .map(|(rs, to)| Scaling {
            name: rs.name.clone(),
            from: rs.spec,
            to,
        })
        .collect()
}

/// `GetProportion`: this ReplicaSet's share of `to_add`, bounded by what is left.
fn proportion(
    spec: &DeploymentSpec,
    rs: &RsView,
    to_add: i32,
    added: i32,
    status_replicas: i32,
) -> i32 {
    if rs.spec == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = fraction(spec, rs, status_replicas);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// `getReplicaSetFraction`: round(spec · (R + maxSurge) / max-replicas) − spec, with Go's
/// round-half-away-from-zero.
fn fraction(spec: &DeploymentSpec, rs: &RsView, status_replicas: i32) -> i32 {
    if spec.replicas == 0 {
        return -rs.spec;
    }
    let max_now = spec.replicas + spec.max_surge();
    let before = match rs.max_annotation {
        Some(m) if m != 0 => m,
        _ => status_replicas,
    };
    if before == 0 {
        return 0;
    }
    let size = rs.spec as f64 * max_now as f64 / before as f64;
    size.round() as i32 - rs.spec
}
