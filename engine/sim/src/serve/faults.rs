//! Faults to inject, so that clients are tested against a server that misbehaves as busy
//! API servers do: a share of requests answered 500 or 429 (with Retry-After); watches cut
//! after a while, their resumption answered 410 Gone; watch events written late
//! (`watch-lag=300ms`); and requests RBAC would deny (`forbid=patch:deployments/scale`), so a
//! client's 403 handling is tested without an authorizer. Seeded, so a failing test can be
//! run again with the same faults.

use super::status::ApiError;
use parking_lot::Mutex;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use std::time::Duration;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultOptions {
    /// Share of requests answered `500 InternalError` (0.05 = 5 %).
    pub error_rate: f64,
    /// Share of requests answered `429 TooManyRequests` with `Retry-After: 1`.
    pub throttle_rate: f64,
    /// Watches are closed by the server after this long.
    pub drop_watches_after: Option<Duration>,
    pub seed: u64,
    /// `(verb, resource)` pairs answered `403 Forbidden` as RBAC answers them: the verb as
    /// RBAC names it (get, list, watch, create, update, patch, delete), the resource with its
    /// subresource (`deployments/scale`).
    pub forbidden: Vec<(String, String)>,
    /// Share of watches resumed from an older resourceVersion answered `410 Gone`, as when
    /// the server's history has been compacted past it.
    pub expire_rate: f64,
    /// Every watch event is written this long after the change it reports, as a busy API
    /// server's watch cache lags behind its writes: a client that reads its own writes back
    /// from a watch must not take the lagging copy as current.
    pub watch_lag: Option<Duration>,
}

impl FaultOptions {
    /// `5xx=0.05,429=0.02,410=1,drop-watch=10s,watch-lag=300ms,forbid=patch:deployments/scale,seed=7`.
    pub fn parse(text: &str) -> Result<FaultOptions, String> {
        let mut options = FaultOptions::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or(format!(
                "fault \"{part}\": expected KEY=VALUE (5xx=0.05, 429=0.02, 410=1, drop-watch=10s, watch-lag=300ms, forbid=VERB:RESOURCE, seed=N)"
            ))?;
            let rate = || -> Result<f64, String> {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or(format!(
                        "fault {key}={value}: expected a share between 0 and 1, e.g. 0.05"
                    ))
            };
            match key {
                "5xx" => options.error_rate = rate()?,
                "429" => options.throttle_rate = rate()?,
                "410" => options.expire_rate = rate()?,
                "drop-watch" => {
                    options.drop_watches_after = Some(
                        rollplay_core::duration::parse_duration(value)
                            .map_err(|e| format!("fault drop-watch={value}: {e}"))?,
                    )
                }
                "watch-lag" => {
                    options.watch_lag = Some(
                        rollplay_core::duration::parse_duration(value)
                            .map_err(|e| format!("fault watch-lag={value}: {e}"))?,
                    )
                }
                "forbid" => {
                    let (verb, resource) = value
                        .split_once(':')
                        .filter(|(v, r)| !v.is_empty() && !r.is_empty())
                        .ok_or(format!(
                            "fault forbid={value}: expected VERB:RESOURCE, e.g. forbid=patch:deployments/scale"
                        ))?;
                    options.forbidden.push((verb.into(), resource.into()));
                }
                "seed" => {
                    options.seed = value
                        .parse()
                        .map_err(|_| format!("fault seed={value}: expected a whole number"))?
                }
                other => {
                    return Err(format!(
                        "unknown fault \"{other}\"; faults: 5xx, 429, 410, drop-watch, watch-lag, forbid, seed"
                    ));
                }
            }
        }
        Ok(options)
    }
}

pub struct Faults {
    pub options: FaultOptions,
    rng: Mutex<ChaCha8Rng>,
}

impl Faults {
    pub fn new(options: FaultOptions) -> Faults {
        Faults {
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(options.seed)),
            options,
        }
    }

    /// Whether a watch resumed from an older version is answered 410 Gone.
    pub fn expire(&self) -> bool {
        self.options.expire_rate > 0.0
            && ((self.rng.lock().next_u64() >> 11) as f64 / (1u64 << 53) as f64)
                < self.options.expire_rate
    }

    /// 403 for a request the options forbid, worded as RBAC words it.
    pub fn forbid(&self, verb: &str, target: &super::routes::Target) -> Option<ApiError> {
        let sub = target.subresource.as_deref().map(|s| format!("/{s}"));
        let resource = format!("{}{}", target.kind.plural(), sub.unwrap_or_default());
        if !self
            .options
            .forbidden
            .iter()
            .any(|(v, r)| v == verb && *r == resource)
        {
            return None;
        }
        let group = target.kind.group();
        let place = target
            .namespace
            .as_deref()
            .map(|ns| format!(" in the namespace \"{ns}\""))
            .unwrap_or_default();
        let qualified = target.kind.resource();
        let object = match &target.name {
            Some(name) => format!("{qualified} \"{name}\""),
            None => qualified,
        };
        Some(ApiError::new(
            403,
            "Forbidden",
            format!(
                "{object} is forbidden: User \"system:anonymous\" cannot {verb} resource \"{resource}\" in API group \"{group}\"{place} (denied by rollplay sim serve --faults)"
            ),
        ))
    }

    /// The error this request gets instead of its answer, if any.
    pub fn draw(&self) -> Option<ApiError> {
        if self.options.error_rate <= 0.0 && self.options.throttle_rate <= 0.0 {
            return None;
        }
        let roll = (self.rng.lock().next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        if roll < self.options.error_rate {
            return Some(ApiError::new(
                500,
                "InternalError",
                "Internal error occurred: injected by rollplay sim serve --faults",
            ));
        }
        if roll < self.options.error_rate + self.options.throttle_rate {
            let mut e = ApiError::new(
                429,
                "TooManyRequests",
                "the server has received too many requests and has asked us to try again later (injected by rollplay sim serve --faults)",
            );
            e.retry_after = Some(1);
            return Some(e);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::routes::{Route, route};

    #[test]
    fn a_forbidden_request_is_refused_as_rbac_words_it() {
        let faults = Faults::new(FaultOptions::parse("forbid=patch:deployments/scale").unwrap());
        let Route::Object(scale) = route("/apis/apps/v1/namespaces/demo/deployments/web/scale")
        else {
            panic!("a scale path")
        };
        let denied = faults.forbid("patch", &scale).expect("forbidden");
        assert_eq!(denied.code, 403);
        assert!(
            denied.message.starts_with("deployments.apps \"web\" is forbidden: User \"system:anonymous\" cannot patch resource \"deployments/scale\" in API group \"apps\" in the namespace \"demo\""),
            "{}",
            denied.message
        );
        assert!(faults.forbid("get", &scale).is_none());
        assert!(FaultOptions::parse("forbid=patch").is_err());
    }
}
