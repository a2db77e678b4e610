//! Reads sent again when the engine was unavailable for a moment (a 5xx answer, a broken
//! connection): three more tries over 0.7 s, then the error. Writes are not repeated blindly;
//! a whole-spec update that lost a race is redone from a fresh read instead (`modify`).

use crate::errors::retry_class;
use rollplay_core::error::Retry;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const TRIES: u32 = 4;
const FIRST_PAUSE: Duration = Duration::from_millis(100);

/// What the retries did, for the run's report.
#[derive(Default)]
pub struct Retries {
    pub requests: AtomicU64,
    pub repeated: AtomicU64,
}

impl Retries {
    /// Sends `call` until it succeeds, fails for good, or has been tried `TRIES` times.
    pub async fn read<T, F, Fut>(&self, mut call: F) -> Result<T, bollard::errors::Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, bollard::errors::Error>>,
    {
        let mut pause = FIRST_PAUSE;
        let mut tried = 0;
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            tried += 1;
            match call().await {
                Err(e) if tried < TRIES && retry_class(&e) == Retry::Transient => {
                    self.repeated.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                other => return other,
            }
        }
    }

    pub fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_transient_failure_is_tried_again_and_a_final_one_is_not() {
        let retries = Retries::default();
        let mut calls = 0;
        let out: Result<u32, _> = retries
            .read(|| {
                calls += 1;
                let n = calls;
                async move {
                    if n < 3 {
                        Err(bollard::errors::Error::DockerResponseServerError {
                            status_code: 503,
                            message: "busy".into(),
                        })
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(out.unwrap(), 3);
        assert_eq!(retries.repeated.load(Ordering::Relaxed), 2);
        let mut final_calls = 0;
        let out: Result<u32, _> = retries
            .read(|| {
                final_calls += 1;
                async {
                    Err(bollard::errors::Error::DockerResponseServerError {
                        status_code: 404,
                        message: "no such service".into(),
                    })
                }
            })
            .await;
        assert!(out.is_err());
        assert_eq!(final_calls, 1);
    }
}
