//! What the app does, read from environment variables that carry the simulator's image-profile
//! keys in upper case (`ERROR_RATE` is `error_rate`, `LATENCY_P99_MS` is `latency_ms.p99`), so a
//! `--sim` profile and a demo image staged with the same values say the same thing.

use std::collections::BTreeMap;

/// Every variable the app reads, with the profile key it mirrors ("" for the app's own).
pub const VARIABLES: &[(&str, &str)] = &[
    ("VERSION", ""),
    ("PORT", ""),
    ("READY", "ready"),
    ("STARTUP_SECONDS", "startup_seconds"),
    ("CRASH_AFTER_SECONDS", "crash_after_seconds"),
    ("ERROR_RATE", "error_rate"),
    ("LATENCY_P50_MS", "latency_ms.p50"),
    ("LATENCY_P99_MS", "latency_ms.p99"),
    ("SHUTDOWN_SECONDS", "shutdown_seconds"),
    ("UNHEALTHY_AFTER_SECONDS", ""),
];

/// The app's behaviour. Defaults are the simulator's profile defaults, except a zero
/// start-up delay and a 1 ms median latency, so that a plain image answers at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Behaviour {
    pub version: String,
    pub port: u16,
    /// false: `/ready` never passes (a Swarm health check on it never turns healthy).
    pub ready: bool,
    pub startup_seconds: f64,
    pub crash_after_seconds: Option<f64>,
    pub error_rate: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub shutdown_seconds: f64,
    /// `/health` and `/ready` fail from this long after start (a container that turns sick).
    pub unhealthy_after_seconds: Option<f64>,
}

impl Behaviour {
    /// Reads the variables; an unknown `ROLLPLAY_DEMO_`-less name is simply not read, but a
    /// value that does not parse is an error naming the variable.
    pub fn from_env(env: &BTreeMap<String, String>) -> Result<Behaviour, String> {
        let number = |name: &str, default: f64| -> Result<f64, String> {
            match env.get(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite() && *n >= 0.0)
                    .ok_or_else(|| format!("{name}={v:?} is not a number of at least 0")),
            }
        };
        let optional = |name: &str| -> Result<Option<f64>, String> {
            env.get(name).map(|_| number(name, 0.0)).transpose()
        };
        let ready = match env.get("READY").map(|v| v.trim().to_ascii_lowercase()) {
            None => true,
            Some(v) if v == "true" || v == "1" => true,
            Some(v) if v == "false" || v == "0" => false,
            Some(v) => return Err(format!("READY={v:?} is not true or false")),
        };
        let port = match env.get("PORT") {
            None => 8080,
            Some(p) => p
                .trim()
                .parse()
                .map_err(|_| format!("PORT={p:?} is not a port number"))?,
        };
        let error_rate = number("ERROR_RATE", 0.0)?;
        if error_rate > 1.0 {
            return Err(format!("ERROR_RATE={error_rate} must be between 0 and 1"));
        }
        let latency_p50_ms = number("LATENCY_P50_MS", 1.0)?;
        let latency_p99_ms = number("LATENCY_P99_MS", latency_p50_ms.max(1.0) * 4.0)?;
        if latency_p99_ms < latency_p50_ms {
            return Err(format!(
                "LATENCY_P99_MS={latency_p99_ms} must not be below LATENCY_P50_MS={latency_p50_ms}"
            ));
        }
        Ok(Behaviour {
            version: env.get("VERSION").cloned().unwrap_or_else(|| "dev".into()),
            port,
            ready,
            startup_seconds: number("STARTUP_SECONDS", 0.0)?,
            crash_after_seconds: optional("CRASH_AFTER_SECONDS")?,
            error_rate,
            latency_p50_ms,
            latency_p99_ms,
            shutdown_seconds: number("SHUTDOWN_SECONDS", 0.0)?,
            unhealthy_after_seconds: optional("UNHEALTHY_AFTER_SECONDS")?,
        })
    }

    /// Whether `/ready` passes `uptime` seconds after start.
    pub fn ready_at(&self, uptime: f64) -> bool {
        self.ready && uptime >= self.startup_seconds && self.healthy_at(uptime)
    }

    /// Whether `/health` passes `uptime` seconds after start.
    pub fn healthy_at(&self, uptime: f64) -> bool {
        self.unhealthy_after_seconds
            .is_none_or(|after| uptime < after)
    }
}

/// A small seeded generator (SplitMix64): the app needs uniform and normal draws for errors
/// and latency, nothing that warrants a dependency.
pub struct Draws(u64);

impl Draws {
    pub fn new(seed: u64) -> Draws {
        Draws(seed)
    }

    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A latency in milliseconds, log-normal with the given median and 99th percentile: the
    /// simulator's model of a pod's latency (mu = ln p50, sigma = ln(p99/p50) / z99).
    pub fn latency_ms(&mut self, p50: f64, p99: f64) -> f64 {
        const Z99: f64 = 2.326_347_874;
        if p50 <= 0.0 {
            return 0.0;
        }
        let sigma = (p99 / p50).ln().max(0.0) / Z99;
        let (u1, u2) = (self.uniform().max(f64::MIN_POSITIVE), self.uniform());
        let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        p50 * (sigma * normal).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_plain_image_is_ready_at_once() {
        let b = Behaviour::from_env(&env(&[("VERSION", "1.0.0")])).unwrap();
        assert!(b.ready_at(0.0));
        assert_eq!(b.version, "1.0.0");
    }

    #[test]
    fn staged_behaviours_follow_the_variables() {
        let b = Behaviour::from_env(&env(&[
            ("STARTUP_SECONDS", "5"),
            ("UNHEALTHY_AFTER_SECONDS", "20"),
        ]))
        .unwrap();
        assert!(!b.ready_at(4.0) && b.ready_at(6.0) && !b.ready_at(21.0));
        assert!(!b.healthy_at(21.0));
        let never = Behaviour::from_env(&env(&[("READY", "false")])).unwrap();
        assert!(!never.ready_at(1e6) && never.healthy_at(1e6));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = Behaviour::from_env(&env(&[("ERROR_RATE", "lots")])).unwrap_err();
        assert!(e.contains("ERROR_RATE"), "{e}");
        let e = Behaviour::from_env(&env(&[("LATENCY_P50_MS", "50"), ("LATENCY_P99_MS", "10")]))
            .unwrap_err();
        assert!(e.contains("LATENCY_P99_MS"), "{e}");
    }

    #[test]
    fn latency_draws_have_the_asked_median_and_tail() {
        let mut d = Draws::new(7);
        let mut v: Vec<f64> = (0..20_000).map(|_| d.latency_ms(20.0, 80.0)).collect();
        v.sort_by(f64::total_cmp);
        let (p50, p99) = (v[10_000], v[19_800]);
        assert!((p50 - 20.0).abs() < 1.0, "p50 {p50}");
        assert!((p99 - 80.0).abs() < 8.0, "p99 {p99}");
    }
}
