//! Deterministic identities: UIDs, resource versions, pod IPs, pod-template hashes and the
//! random-looking suffixes of generated names (from the seeded generator).

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// The alphabet Kubernetes uses for generated names and hashes (no vowels, no look-alikes).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

pub struct Ids {
    rng: ChaCha8Rng,
    uid: u64,
    resource_version: u64,
    pod_ip: u32,
    cluster_ip: u32,
    sequence: u64,
}

impl Ids {
    pub fn new(seed: u64) -> Ids {
        Ids {
            rng: ChaCha8Rng::seed_from_u64(seed),
            uid: 0,
            resource_version: 0,
            pod_ip: 0,
            cluster_ip: 0,
            sequence: 0,
        }
    }

    pub fn uid(&mut self) -> Uid {
        self.uid += 1;
        Uid(self.uid)
    }

    pub fn resource_version(&mut self) -> u64 {
        self.resource_version += 1;
        self.resource_version
    }

    /// The latest resource version handed out: what a list is current as of.
    pub fn current_resource_version(&self) -> u64 {
        self.resource_version
    }

    /// A creation order that breaks ties between objects created in the same instant.
    pub fn sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    pub fn pod_ip(&mut self) -> String {
        self.pod_ip += 1;
        let n = self.pod_ip;
        format!("10.244.{}.{}", n / 250, n % 250 + 2)
    }

    pub fn cluster_ip(&mut self) -> String {
        self.cluster_ip += 1;
        let n = self.cluster_ip;
        format!("10.96.{}.{}", n / 250, n % 250 + 10)
    }

    /// Five characters, as `generateName` appends.
    pub fn name_suffix(&mut self) -> String {
        (0..5)
            .map(|_| ALPHANUMS[(self.rng.next_u32() % ALPHANUMS.len() as u32) as usize] as char)
            .collect()
    }
}

/// An object's UID: a number inside the simulator, rendered as a UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Uid(pub u64);

impl std::fmt::Display for Uid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "5e1a0000-0000-4000-8000-{:012x}", self.0)
    }
}

/// FNV-1a over a canonical rendering of a JSON value (object keys sorted), so that equal
/// templates hash equally whatever their key order.
pub fn content_hash(value: &serde_json::Value) -> u64 {
    let mut h = Fnv::default();
    feed(&mut h, value);
    h.0
}

#[derive(Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= *b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn feed(h: &mut Fnv, value: &serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Null => h.write(b"n"),
        Value::Bool(b) => h.write(if *b { b"t" } else { b"f" }),
        Value::Number(n) => {
            h.write(b"#");
            h.write(n.to_string().as_bytes());
        }
        Value::String(s) => {
            h.write(b"\"");
            h.write(s.as_bytes());
            h.write(b"\"");
        }
        Value::Array(items) => {
            h.write(b"[");
            for item in items {
                feed(h, item);
                h.write(b",");
            }
            h.write(b"]");
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            h.write(b"{");
            for k in keys {
                h.write(k.as_bytes());
                h.write(b":");
                feed(h, &map[k]);
                h.write(b",");
            }
            h.write(b"}");
        }
    }
}

/// The `pod-template-hash` label value: a 32-bit FNV of the template and the collision count,
/// written in the name alphabet as `rand.SafeEncodeString` does (K8S-REV-4).
pub fn pod_template_hash(template_hash: u64, collision_count: i32) -> String {
    let mut h = Fnv::default();
    h.write(&template_hash.to_le_bytes());
    if collision_count > 0 {
        h.write(&collision_count.to_le_bytes());
    }
    let folded = ((h.0 >> 32) ^ (h.0 & 0xffff_ffff)) as u32;
    folded
        .to_string()
        .bytes()
        .map(|b| ALPHANUMS[b as usize % ALPHANUMS.len()] as char)
        .collect()
}
