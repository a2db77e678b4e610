//! Revision numbers and history cleanup (K8S-REV-1, K8S-REV-5).

use super::RsView;

/// ReplicaSets to delete so that at most `limit` old ones remain: the lowest revisions first,
/// skipping any that still have replicas or an unobserved generation (K8S-REV-5).
pub fn cleanup(limit: i32, old: &[RsView]) -> Vec<std::sync::Arc<str>> {
    let mut alive: Vec<&RsView> = old.iter().filter(|r| !r.deleting).collect();
    let diff = alive.len() as i32 - limit;
    if diff <= 0 {
        return Vec::new();
    }
    alive.sort_by_key(|r| (r.revision, r.created));
    alive
        .iter()
        .take(diff as usize)
        .filter(|r| r.status_replicas == 0 && r.spec == 0 && r.observed)
        .map(|r| r.name.clone())
        .collect()
}

/// The revision a new ReplicaSet gets: one more than the highest of the old ones (K8S-REV-1).
pub fn next_revision<'a>(old: impl IntoIterator<Item = &'a RsView>) -> i64 {
    old.into_iter().map(|r| r.revision).max().unwrap_or(0) + 1
}

/// The revision-history annotation after `previous` is appended, dropping the oldest entries
/// beyond 2000 characters (K8S-REV-1).
pub fn append_history(history: Option<&str>, previous: &str) -> Option<String> {
    const LIMIT: usize = 2000;
    let existing: Vec<&str> = history
        .filter(|h| !h.is_empty())
        .map(|h| h.split(',').collect())
        .unwrap_or_default();
    if existing.is_empty() {
        return Some(previous.to_string());
    }
    let mut total = history.map_or(0, str::len) + previous.len() + 1;
    let mut start = 0;
    while total > LIMIT && start < existing.len() {
        total -= existing[start].len() + 1;
        start += 1;
    }
    if total > LIMIT {
        return history.map(String::from);
    }
    let mut kept: Vec<&str> = existing[start..].to_vec();
    kept.push(previous);
    Some(kept.join(","))
}
