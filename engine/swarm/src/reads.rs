//! What `status` read last of each service and its tasks, with the change counts of the
//! event stream at the time: a read is reused while no event has touched what it read (and
//! for `MAX_AGE` at most), so a wait sends one request per change the engine reports instead
//! of two per wake. rollplay's own writes forget the service at once.

use bollard::models::{Service, Task};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A read older than this is read again even without an event.
pub const MAX_AGE: Duration = Duration::from_secs(5);

struct Read<T> {
    value: T,
    /// The change count before the read was sent.
    seen: u64,
    at: Instant,
}

impl<T: Clone> Read<T> {
    fn fresh(&self, count: u64) -> Option<T> {
        (self.seen == count && self.at.elapsed() < MAX_AGE).then(|| self.value.clone())
    }
}

#[derive(Default)]
pub struct Reads {
    services: Mutex<HashMap<String, Read<Service>>>,
    tasks: Mutex<HashMap<String, Read<Vec<Task>>>>,
}

impl Reads {
    /// The service as last read, if nothing has changed it since (`count`: its change count now).
    pub fn service(&self, name: &str, count: u64) -> Option<Service> {
        self.services.lock().get(name)?.fresh(count)
    }

    pub fn tasks(&self, name: &str, count: u64) -> Option<Vec<Task>> {
        self.tasks.lock().get(name)?.fresh(count)
    }

    pub fn keep_service(&self, name: &str, seen: u64, value: Service) {
        let read = Read {
            value,
            seen,
            at: Instant::now(),
        };
        self.services.lock().insert(name.to_string(), read);
    }

    pub fn keep_tasks(&self, name: &str, seen: u64, value: Vec<Task>) {
        let read = Read {
            value,
            seen,
            at: Instant::now(),
        };
        self.tasks.lock().insert(name.to_string(), read);
    }

    /// After rollplay's own write to `name`: no read of it is current.
    pub fn forget(&self, name: &str) {
        self.services.lock().remove(name);
        self.tasks.lock().remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_is_reused_until_an_event_or_a_write_touches_it() {
        let reads = Reads::default();
        reads.keep_tasks("demo_web", 4, vec![Task::default()]);
        assert!(reads.tasks("demo_web", 4).is_some());
        assert!(
            reads.tasks("demo_web", 5).is_none(),
            "an event came after the read"
        );
        reads.forget("demo_web");
        assert!(reads.tasks("demo_web", 4).is_none(), "rollplay wrote since");
    }
}
