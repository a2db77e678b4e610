//! Requests sent again when the API server was briefly unavailable or overloaded (429 with
//! Retry-After, 5xx, a broken connection), with exponential backoff, and counted so that a
//! run can report how often it had to.

use crate::errors::{retry_after, retry_class};
use rollplay_core::error::Retry;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Attempts per request, the first included (about 10 s of backoff in all).
const ATTEMPTS: u32 = 8;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// How often requests were sent again, and watches resumed.
#[derive(Debug, Default)]
pub struct Retries {
    pub requests: AtomicU64,
    pub watches_resumed: AtomicU64,
    pub relists: AtomicU64,
}

impl Retries {
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// Runs `request` until it succeeds, fails for good, or runs out of attempts.
pub async fn with_retry<T, F, Fut>(retries: &Retries, mut request: F) -> kube::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = kube::Result<T>>,
{
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        match request().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt < ATTEMPTS && retry_class(&e) != Retry::Final => {
                let wait = retry_after(&e)
                    .map(|s| Duration::from_secs(s as u64).min(Duration::from_secs(5)))
                    .unwrap_or(backoff);
                tracing::debug!("retrying after {wait:?}: {e}");
                retries.requests.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
