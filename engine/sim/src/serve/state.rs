//! The served simulator's state: one `Sim` and its watch hub behind one lock, on a clock that
//! follows the wall clock at `speed` virtual seconds per second. Every request first brings
//! the simulation up to now; every release of the lock sends the changes it made to the
//! watches, so a client never sees a change before the watches do.

use super::faults::Faults;
use super::watch::Hub;
use crate::Sim;
use crate::time::SimTime;
use parking_lot::{Mutex, MutexGuard};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

pub struct World {
    pub sim: Sim,
    pub hub: Hub,
    pub exporter: super::metrics_export::Exporter,
}

/// Wall time mapped onto virtual time.
pub struct Clock {
    started: Instant,
    at_start: SimTime,
    speed: f64,
}

impl Clock {
    pub fn now(&self) -> SimTime {
        self.at_start + (self.started.elapsed().as_secs_f64() * self.speed * 1000.0) as SimTime
    }

    /// The wall time until virtual instant `at`.
    pub fn wall_until(&self, at: SimTime) -> Duration {
        let now = self.now();
        Duration::from_secs_f64(at.saturating_sub(now) as f64 / 1000.0 / self.speed)
    }
}

/// Requests served, for benchmarks and the fault-injection report.
#[derive(Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub response_bytes: AtomicU64,
    pub injected_errors: AtomicU64,
    pub injected_throttles: AtomicU64,
    pub dropped_watches: AtomicU64,
}

pub struct State {
    world: Mutex<World>,
    pub clock: Clock,
    /// Signalled when a write may have changed what is due next.
    pub wrote: Notify,
    pub faults: Faults,
    pub counters: Counters,
    /// The address clients reach the server at, for discovery.
    pub address: String,
    /// Bearer token every request must carry, when set.
    pub token: Option<String>,
    /// Cancelled when the server stops: open watches end.
    pub stopping: tokio_util::sync::CancellationToken,
    pub request_log: Option<super::request_log::RequestLog>,
}

/// The locked world; sends its changes to the watches when released.
pub struct Locked<'a> {
    guard: MutexGuard<'a, World>,
}

impl Deref for Locked<'_> {
    type Target = World;
    fn deref(&self) -> &World {
        &self.guard
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut World {
        &mut self.guard
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let world = &mut *self.guard;
        world.hub.pump(&world.sim);
    }
}

impl State {
    pub fn new(
        sim: Sim,
        speed: f64,
        faults: Faults,
        address: String,
        token: Option<String>,
    ) -> State {
        let hub = Hub::new(&sim);
        State {
            clock: Clock {
                started: Instant::now(),
                at_start: sim.now(),
                speed,
            },
            world: Mutex::new(World {
                sim,
                hub,
                exporter: Default::default(),
            }),
            wrote: Notify::new(),
            faults,
            counters: Counters::default(),
            address,
            token,
            stopping: tokio_util::sync::CancellationToken::new(),
            request_log: None,
        }
    }

    /// The world, brought up to the clock's now.
    pub fn world(&self) -> Locked<'_> {
        let mut guard = self.world.lock();
        let now = self.clock.now();
        if now > guard.sim.now() {
            guard.sim.advance_to(now);
        }
        Locked { guard }
    }

    /// The world for a write: the clock's driver is told afterwards, as the write may have
    /// scheduled something sooner than what it waits for.
    pub fn write<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let out = f(&mut self.world());
        self.wrote.notify_one();
        out
    }

    /// Runs the simulation along the wall clock until `stop`, waking when something falls
    /// due or a write happened, so watches see changes as they happen.
    pub async fn drive(&self) {
        let stop = self.stopping.clone();
        loop {
            let next = self.world().sim.next_wake();
            let wait = next
                .map(|at| self.clock.wall_until(at))
                .unwrap_or(Duration::from_secs(1))
                .min(Duration::from_secs(1));
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.wrote.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}
