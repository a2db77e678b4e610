//! The simulated cluster's nodes: where pods are placed, and cordoning for drains. Nodes have
//! no capacity limits; a pod goes to the schedulable node running the fewest pods.

use super::Sim;
use rollplay_core::error::{Error, Result};
use std::collections::BTreeMap;

/// The nodes every simulator starts with.
pub const NODES: [&str; 3] = ["sim-node-1", "sim-node-2", "sim-node-3"];

/// Node name → unschedulable (cordoned).
pub type Nodes = BTreeMap<String, bool>;

pub fn initial() -> Nodes {
    NODES.iter().map(|n| (n.to_string(), false)).collect()
}

impl Sim {
    /// The schedulable node with the fewest live pods (by name on ties).
    pub(super) fn pick_node(&self) -> String {
        let mut load: BTreeMap<&str, usize> = self
            .nodes
            .iter()
            .filter(|(_, cordoned)| !**cordoned)
            .map(|(n, _)| (n.as_str(), 0))
            .collect();
        for p in self.pods.values().filter(|p| p.meta.deleting.is_none()) {
            if let Some(n) = load.get_mut(p.node.as_str()) {
                *n += 1;
            }
        }
        load.iter()
            .min_by_key(|(name, n)| (**n, **name))
            .map(|(name, _)| name.to_string())
            .unwrap_or_else(|| NODES[0].to_string())
    }

    /// Marks a node (un)schedulable; returns whether it was cordoned before.
    pub fn cordon(&mut self, node: &str, cordoned: bool) -> Result<bool> {
        let names: Vec<String> = self.nodes.keys().cloned().collect();
        let schedulable_others = self
            .nodes
            .iter()
            .filter(|(n, c)| n.as_str() != node && !**c)
            .count();
        let Some(state) = self.nodes.get_mut(node) else {
            return Err(Error::bad_input(
                format!("node/{node}"),
                format!(
                    "no node \"{node}\" on sim{}; nodes: {}",
                    rollplay_core::suggest::hint(node, names.iter().map(String::as_str)),
                    names.join(", ")
                ),
            ));
        };
        if cordoned && schedulable_others == 0 {
            return Err(Error::bad_input(
                format!("node/{node}"),
                "it is the last schedulable node: its pods would have nowhere to go (uncordon another node first)",
            ));
        }
        let before = *state;
        *state = cordoned;
        if before != cordoned {
            let rv = self.ids.resource_version();
            self.node_versions.insert(node.to_string(), rv);
        }
        Ok(before)
    }

    /// The pods on a node that are not terminating, by name: (namespace, name).
    pub fn pods_on_node(&self, node: &str) -> Vec<(String, String)> {
        let mut pods: Vec<(String, String)> = self
            .pods
            .values()
            .filter(|p| p.node == node && p.meta.deleting.is_none())
            .map(|p| (p.meta.namespace.clone(), p.meta.name.clone()))
            .collect();
        pods.sort();
        pods
    }

    pub fn node_names(&self) -> Vec<String> {
        self.nodes.keys().cloned().collect()
    }

    pub fn is_cordoned(&self, node: &str) -> bool {
        self.nodes.get(node).copied().unwrap_or(false)
    }
}
