//! Faults to inject, so that clients are tested against a server that misbehaves as busy
//! API servers do: a share of requests answered 500 or 429 (with Retry-After), and watches
//! cut after a while. Seeded, so a failing test can be run again with the same faults.

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
}

impl FaultOptions {
    /// `5xx=0.05,429=0.02,drop-watch=10s,seed=7`.
    pub fn parse(text: &str) -> Result<FaultOptions, String> {
        let mut options = FaultOptions::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or(format!(
                "fault \"{part}\": expected KEY=VALUE (5xx=0.05, 429=0.02, drop-watch=10s, seed=N)"
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
                "drop-watch" => {
                    options.drop_watches_after = Some(
                        rollplay_core::duration::parse_duration(value)
                            .map_err(|e| format!("fault drop-watch={value}: {e}"))?,
                    )
                }
                "seed" => {
                    options.seed = value
                        .parse()
                        .map_err(|_| format!("fault seed={value}: expected a whole number"))?
                }
                other => {
                    return Err(format!(
                        "unknown fault \"{other}\"; faults: 5xx, 429, drop-watch, seed"
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
