//! Image profiles: how a simulated image behaves (start-up time, readiness, crashes, errors,
//! latency, CPU), from a `--sim FILE` or `sim_image(image, map)`.

use super::traffic::Rate;
use rollplay_core::error::{Error, Result, SourceLocation};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Latency percentiles of one request, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            p50: 20.0,
            p99: 80.0,
        }
    }
}

/// How containers running an image behave. Every key is optional in files and scripts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImageProfile {
    /// false: the readiness probe never passes.
    pub ready: bool,
    /// Seconds from container start until the application answers probes.
    pub startup_seconds: f64,
    /// The container exits this long after each start; it is restarted with back-off.
    pub crash_after_seconds: Option<f64>,
    /// Fraction of requests that fail, 0..1.
    pub error_rate: f64,
    pub latency_ms: Latency,
    /// CPU time per request, in millicores × seconds.
    pub cpu_millis_per_request: f64,
    /// Seconds the application takes to stop after SIGTERM (bounded by the grace period).
    pub shutdown_seconds: f64,
    /// Memory working set, MiB (memory utilization is this over the container's request).
    pub memory_mb: f64,
}

impl Default for ImageProfile {
    fn default() -> Self {
        ImageProfile {
            ready: true,
            startup_seconds: 2.0,
            crash_after_seconds: None,
            error_rate: 0.0,
            latency_ms: Latency::default(),
            cpu_millis_per_request: 5.0,
            shutdown_seconds: 1.0,
            memory_mb: 64.0,
        }
    }
}

impl ImageProfile {
    fn check(&self) -> std::result::Result<(), String> {
        let non_negative = [
            ("startup_seconds", self.startup_seconds),
            ("shutdown_seconds", self.shutdown_seconds),
            ("cpu_millis_per_request", self.cpu_millis_per_request),
            ("latency_ms.p50", self.latency_ms.p50),
            ("latency_ms.p99", self.latency_ms.p99),
            ("memory_mb", self.memory_mb),
        ];
        for (name, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{name} must be a number of at least 0, got {v}"));
            }
            if name.ends_with("_seconds") && v > rollplay_core::duration::MAX_SECONDS {
                return Err(format!(
                    "{name} must be at most a year ({} s), got {v}",
                    rollplay_core::duration::MAX_SECONDS
                ));
            }
        }
        if let Some(c) = self.crash_after_seconds
            && !(c.is_finite() && (0.0..=rollplay_core::duration::MAX_SECONDS).contains(&c))
        {
            return Err(format!(
                "crash_after_seconds must be between 0 and a year, got {c}"
            ));
        }
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err(format!(
                "error_rate must be between 0 and 1, got {}",
                self.error_rate
            ));
        }
        if self.latency_ms.p99 < self.latency_ms.p50 {
            return Err(format!(
                "latency_ms.p99 ({}) must not be below p50 ({})",
                self.latency_ms.p99, self.latency_ms.p50
            ));
        }
        Ok(())
    }

    /// This profile with the keys of `overrides` applied.
    pub fn merged(&self, overrides: &Value) -> std::result::Result<ImageProfile, String> {
        let mut base = serde_json::to_value(self).expect("profile serialises");
        merge(&mut base, overrides);
        let profile: ImageProfile = serde_json::from_value(base).map_err(|e| e.to_string())?;
        profile.check()?;
        Ok(profile)
    }
}

fn merge(base: &mut Value, overrides: &Value) {
    match (base, overrides) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// The profiles of a run: defaults, exact images and `*` patterns.
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    defaults: ImageProfile,
    exact: BTreeMap<String, ImageProfile>,
    patterns: Vec<(String, ImageProfile)>,
    /// `traffic:` Service (`name` or `namespace/name`) → rate or load profile.
    pub traffic: BTreeMap<String, Rate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    #[serde(default)]
    defaults: Option<Value>,
    #[serde(default)]
    images: BTreeMap<String, Value>,
    #[serde(default)]
    traffic: BTreeMap<String, Rate>,
}

impl Profiles {
    /// Reads a profile file: `defaults:` (a profile) and `images:` (image or `*` pattern → profile).
    pub fn from_yaml(text: &str, file: &str) -> Result<Profiles> {
        let at = |line: usize, column: Option<usize>, message: String| Error::Manifest {
            location: SourceLocation {
                file: file.to_string(),
                line,
                column,
                document: None,
            },
            message,
        };
        let parsed: ProfileFile = serde_saphyr::from_str(text).map_err(|e| {
            let (line, col) = e
                .location()
                .map(|l| (l.line() as usize, Some(l.column() as usize)))
                .unwrap_or((1, None));
            let msg = e.without_snippet().to_string();
            let msg = msg
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_string();
            let msg = msg
                .split_once(": ")
                .filter(|(l, _)| l.starts_with("line "))
                .map(|(_, m)| m.to_string())
                .unwrap_or(msg);
            at(
                line,
                col,
                format!("invalid simulator profile: {msg} (expected `defaults:`, `images:` and `traffic:`)"),
            )
        })?;
        let locate = |key: &str| {
            text.lines()
                .position(|l| {
                    l.trim_start()
                        .trim_start_matches(['"', '\''])
                        .starts_with(key)
                })
                .map(|i| i + 1)
                .unwrap_or(1)
        };
        let mut profiles = Profiles::default();
        if let Some(d) = parsed.defaults {
            profiles.defaults = ImageProfile::default().merged(&d).map_err(|e| {
                at(
                    locate("defaults"),
                    None,
                    format!("invalid profile `defaults`: {e}"),
                )
            })?;
        }
        for (image, overrides) in parsed.images {
            let overrides = if overrides.is_null() {
                Value::Object(Default::default())
            } else {
                overrides
            };
            let profile = profiles.defaults.merged(&overrides).map_err(|e| {
                at(
                    locate(&image),
                    None,
                    format!("invalid profile for image \"{image}\": {e}"),
                )
            })?;
            profiles.insert(image, profile);
        }
        for (service, rate) in parsed.traffic {
            rate.check().map_err(|e| {
                at(
                    locate(&service),
                    None,
                    format!("invalid traffic for Service \"{service}\": {e}"),
                )
            })?;
            profiles.traffic.insert(service, rate);
        }
        Ok(profiles)
    }

    fn insert(&mut self, image: String, profile: ImageProfile) {
        if image.contains('*') {
            self.patterns.retain(|(p, _)| *p != image);
            self.patterns.push((image, profile));
            // Most specific pattern (most literal characters) first.
            self.patterns
                .sort_by_key(|(p, _)| std::cmp::Reverse(p.replace('*', "").len()));
        } else {
            self.exact.insert(image, profile);
        }
    }

    /// Sets (merging over what the image has now) the profile of an image or pattern.
    pub fn set(
        &mut self,
        image: &str,
        overrides: &Value,
    ) -> std::result::Result<ImageProfile, String> {
        let profile = self.lookup(image).merged(overrides)?;
        self.insert(image.to_string(), profile.clone());
        Ok(profile)
    }

    /// The profile of an image: exact entry, else the most specific pattern, else the defaults.
    pub fn lookup(&self, image: &str) -> &ImageProfile {
        self.exact
            .get(image)
            .or_else(|| {
                self.patterns
                    .iter()
                    .find(|(p, _)| rollplay_core::pattern::matches(p, image, "*"))
                    .map(|(_, prof)| prof)
            })
            .unwrap_or(&self.defaults)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_entries_inherit_file_defaults_and_patterns_match() {
        let p = Profiles::from_yaml(
            "defaults: {startup_seconds: 5}\nimages:\n  web:2: {ready: false}\n  \"web:*\": {error_rate: 0.5}\n",
            "p.yaml",
        )
        .unwrap();
        assert!(!p.lookup("web:2").ready);
        assert_eq!(p.lookup("web:2").startup_seconds, 5.0);
        assert_eq!(p.lookup("web:3").error_rate, 0.5);
        assert_eq!(p.lookup("api:1").startup_seconds, 5.0);
        assert_eq!(p.lookup("api:1").error_rate, 0.0);
    }

    #[test]
    fn bad_profiles_name_the_line_and_the_key() {
        let err = Profiles::from_yaml("images:\n  web:2:\n    redy: false\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.yaml:2"), "{err}");
        assert!(err.contains("redy"), "{err}");
        let err = Profiles::from_yaml("images:\n  web:2: {error_rate: 2}\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("error_rate must be between 0 and 1"), "{err}");
        let err = Profiles::from_yaml("imagez: {}\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("imagez"), "{err}");
    }
}
