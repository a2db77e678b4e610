//! `SwarmBackend`: services of a stack behind `ClusterBackend`. A workload `NAMESPACE/NAME`
//! (as a Deployment or a Service) is the service `NAMESPACE_NAME` of stack `NAMESPACE`, as
//! `docker stack deploy -c FILE NAMESPACE` names it. Changes are whole-spec updates guarded
//! by the version read (redone on "update out of sequence"); waits wake on engine events.

use crate::connect::connect;
use crate::errors::{object_name, request_error};
use crate::events::{EngineEvents, RESYNC};
use crate::history::{self, APPLIED_LABEL};
use crate::reads::Reads;
use crate::retry::Retries;
use crate::status::{self, image_of, key_of, without_digest};
use async_trait::async_trait;
use bollard::Docker;
use bollard::models::{Service, ServiceSpec, ServiceUpdateStatusStateEnum as UpdateState, Task};
use bollard::query_parameters::{
    InspectServiceOptions, ListServicesOptions, ListTasksOptions, UpdateServiceOptions,
};
use parking_lot::Mutex;
use rollplay_core::backend::{
    ApplyOutcome, Capabilities, Capability, ClusterBackend, EndpointInfo, EventInfo, HistoryEntry,
    ImageChange, PodSummary, RollbackOutcome, RollbackTo, WorkloadStatus,
};
use rollplay_core::error::{Error, Result, Retry};
use rollplay_core::kind::Kind;
use rollplay_core::manifest::Manifest;
use rollplay_core::objref::ObjectRef;
use rollplay_core::selector::Selector;
use rollplay_stack::compose::STACK_NAMESPACE_LABEL;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// Times a whole-spec update is redone after another writer changed the service first.
const CONFLICT_RETRIES: usize = 5;

/// How long `rollback` waits for the engine's own rollback to end before it gives up: the
/// engine's rollback of a large service takes its replicas times its delay and monitor.
const ENGINE_ROLLBACK_LIMIT: Duration = Duration::from_secs(300);

pub struct SwarmBackend {
    pub(crate) docker: Docker,
    pub(crate) target: String,
    events: Arc<EngineEvents>,
    /// Each service's change count before its first status read since the last wait for
    /// changes: an event after it may not be in what was read.
    read_at: Mutex<HashMap<String, u64>>,
    pub(crate) retries: Retries,
    /// The last status reads, reused while no event touched them.
    pub(crate) reads: Reads,
    conflicts: AtomicU64,
    stop: CancellationToken,
}

impl Drop for SwarmBackend {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn supported(kind: Kind) -> bool {
    matches!(kind, Kind::Deployment | Kind::Service)
}

impl SwarmBackend {
    /// The engine at `host` (`unix:///PATH`, `tcp://HOST:PORT`), else `DOCKER_HOST` or the local
    /// socket; it must be an active swarm manager.
    pub async fn connect(host: Option<&str>) -> Result<SwarmBackend> {
        let connected = connect(host).await?;
        let stop = CancellationToken::new();
        Ok(SwarmBackend {
            events: EngineEvents::start(connected.docker.clone(), stop.child_token()),
            docker: connected.docker,
            target: connected.target,
            read_at: Mutex::new(HashMap::new()),
            // negotiate_version and info, before the backend existed.
            retries: Retries {
                requests: AtomicU64::new(2),
                ..Retries::default()
            },
            conflicts: AtomicU64::new(0),
            reads: Reads::default(),
            stop,
        })
    }

    /// API requests sent so far (the event stream counts once per opening).
    pub fn requests(&self) -> u64 {
        self.retries.requests.load(Ordering::Relaxed)
            + self.events.reopened.load(Ordering::Relaxed)
            + 1
    }

    pub(crate) fn count_request(&self) {
        self.retries.count();
    }

    /// `STACK_NAME`, the engine's name of a workload.
    fn service_name(object: &ObjectRef) -> String {
        format!("{}_{}", object.namespace, object.name)
    }

    fn check_kind(&self, object: &ObjectRef) -> Result<()> {
        if supported(object.kind) {
            return Ok(());
        }
        Err(Error::Unsupported {
            primitive: format!("{} {}", object.kind.name(), object.name),
            target: self.target.clone(),
            reason: "a Swarm stack has services only: name the workload as deployment/NAME or service/NAME".into(),
        })
    }

    pub(crate) async fn inspect(&self, name: &str) -> Result<Option<Service>> {
        let found = self
            .retries
            .read(|| {
                let options = InspectServiceOptions {
                    insert_defaults: false,
                };
                self.docker.inspect_service(name, Some(options))
            })
            .await;
        match found {
            Ok(s) => Ok(Some(s)),
            Err(e) if crate::errors::status_code(&e) == Some(404) => Ok(None),
            Err(e) => Err(request_error(
                &self.target,
                "inspect",
                &ObjectRef::new(Kind::Service, "", name),
                e,
            )),
        }
    }

    /// The service of `object`, or NotFound naming it with the names that do exist.
    /// The service once the engine's own rollback of it (SW-8, `failure_action: rollback`) has
    /// ended. Writing a spec while that rollback runs starts a new update in its middle: the
    /// slot the failed update touched then holds a restarted task beside the healthy one, and
    /// the engine may stop the healthy one (moby#37972). Waiting costs one read per change the
    /// engine reports.
    async fn engine_rollback_finished(&self, workload: &ObjectRef) -> Result<Service> {
        let name = Self::service_name(workload);
        let deadline = tokio::time::Instant::now() + ENGINE_ROLLBACK_LIMIT;
        loop {
            let seen = [(name.clone(), self.events.service_count(&name))];
            let service = self.existing(workload).await?;
            let rolling_back = service.update_status.as_ref().is_some_and(|u| {
                u.state == Some(UpdateState::ROLLBACK_STARTED)
                    && !u
                        .message
                        .as_deref()
                        .unwrap_or("")
                        .contains("manually requested")
            });
            if !rolling_back {
                return Ok(service);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(Error::Timeout {
                    object: format!("service/{}", workload.name),
                    target: self.target.clone(),
                    after: format!("{}s", ENGINE_ROLLBACK_LIMIT.as_secs()),
                    last: format!(
                        "the engine's own rollback has not finished; `docker service ps {name}` shows its tasks"
                    ),
                });
            }
            self.events
                .after(&seen, (deadline - now).min(Duration::from_secs(2)))
                .await;
        }
    }

    async fn existing(&self, object: &ObjectRef) -> Result<Service> {
        self.check_kind(object)?;
        if let Some(s) = self.inspect(&Self::service_name(object)).await? {
            return Ok(s);
        }
        let names = self
            .names(object.kind, &object.namespace)
            .await
            .unwrap_or_default();
        Err(Error::NotFound {
            kind: object.kind.name().into(),
            name: object.name.clone(),
            namespace: object.namespace.clone(),
            target: self.target.clone(),
            hint: rollplay_core::suggest::hint(&object.name, names.iter().map(String::as_str)),
        })
    }

    async fn tasks(&self, object: &ObjectRef) -> Result<Vec<Task>> {
        let filters = HashMap::from([("service".to_string(), vec![Self::service_name(object)])]);
        self.retries
            .read(|| {
                let options = ListTasksOptions {
                    filters: Some(filters.clone()),
                };
                self.docker.list_tasks(Some(options))
            })
            .await
            .map_err(|e| request_error(&self.target, "list tasks of", object, e))
    }

    async fn stack_services(&self, namespace: &str) -> Result<Vec<Service>> {
        let mut filters = HashMap::new();
        if !namespace.is_empty() {
            filters.insert(
                "label".to_string(),
                vec![format!("{STACK_NAMESPACE_LABEL}={namespace}")],
            );
        }
        let listed = self
            .retries
            .read(|| {
                let options = ListServicesOptions {
                    filters: Some(filters.clone()),
                    status: None,
                };
                self.docker.list_services(Some(options))
            })
            .await;
        listed.map_err(|e| {
            request_error(
                &self.target,
                "list",
                &ObjectRef::new(Kind::Service, namespace, "*"),
                e,
            )
        })
    }

    pub(crate) async fn create(&self, object: &ObjectRef, spec: ServiceSpec) -> Result<()> {
        self.count_request();
        self.reads.forget(&Self::service_name(object));
        self.docker
            .create_service(spec, None)
            .await
            .map_err(|e| request_error(&self.target, "create", object, e))?;
        Ok(())
    }

    /// Writes `spec` over `current`, guarded by the version read.
    pub(crate) async fn replace(
        &self,
        object: &ObjectRef,
        current: &Service,
        spec: ServiceSpec,
    ) -> Result<()> {
        self.count_request();
        let options = UpdateServiceOptions {
            version: current.version.as_ref().and_then(|v| v.index).unwrap_or(0) as i32,
            ..Default::default()
        };
        let name = Self::service_name(object);
        self.reads.forget(&name);
        self.docker
            .update_service(&name, spec, options, None)
            .await
            .map_err(|e| request_error(&self.target, "update", object, e))?;
        Ok(())
    }

    /// Read, change, write; redone when another writer got there first. `change` returns
    /// whether it changed anything. Returns the service as it was read.
    async fn modify(
        &self,
        object: &ObjectRef,
        mut change: impl FnMut(&mut ServiceSpec) -> Result<bool>,
    ) -> Result<Service> {
        let mut attempt = 0;
        loop {
            let current = self.existing(object).await?;
            let held = current.spec.clone().unwrap_or_default();
            if history::revision_of(&held).is_none() {
                return Err(Error::Refused {
                    object: object_name(object),
                    target: self.target.clone(),
                    message: "this service was not deployed by rollplay (it has no rollplay.revision label), and a change through this client would drop its health check; deploy its stack file with rollplay first".into(),
                });
            }
            let mut spec = history::faithful(held.clone());
            if !change(&mut spec)? {
                return Ok(current);
            }
            if let Some(labels) = spec.labels.as_mut() {
                labels.remove(APPLIED_LABEL);
            }
            history::record(&mut spec);
            match self.replace(object, &current, spec).await {
                Ok(()) => return Ok(current),
                Err(Error::Cluster {
                    retry: Retry::Conflict,
                    ..
                }) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    self.conflicts.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The object as `get` and `list` render it: the engine's service, with a portable
    /// `metadata` header.
    fn render(service: &Service, stack: &str) -> Value {
        let spec = service.spec.clone().unwrap_or_default();
        let mut value = serde_json::to_value(service).unwrap_or(Value::Null);
        let name = key_of(spec.name.as_deref().unwrap_or(""), stack);
        value["metadata"] = json!({
            "name": name,
            "namespace": stack,
            "labels": spec.labels.unwrap_or_default(),
        });
        value
    }

    fn stack_of(service: &Service) -> String {
        service
            .spec
            .as_ref()
            .and_then(|s| s.labels.as_ref())
            .and_then(|l| l.get(STACK_NAMESPACE_LABEL))
            .cloned()
            .unwrap_or_default()
    }
}

fn wall_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[async_trait]
impl ClusterBackend for SwarmBackend {
    fn target(&self) -> &str {
        &self.target
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new([Capability::NumberedRevisions])
    }

    fn now(&self) -> f64 {
        wall_now()
    }

    async fn sleep_until(&self, at: f64, cancel: &CancellationToken) -> Result<()> {
        let wait = (at - wall_now()).max(0.0);
        tokio::select! {
            _ = cancel.cancelled() => Err(Error::Cancelled { what: "sleep".into(), why: "the run was cancelled".into() }),
            _ = tokio::time::sleep(Duration::from_secs_f64(wait)) => Ok(()),
        }
    }

    async fn changed(
        &self,
        objects: &[&ObjectRef],
        until: f64,
        cancel: &CancellationToken,
    ) -> Result<()> {
        let seen: Vec<(String, u64)> = {
            let mut read_at = self.read_at.lock();
            let seen = objects
                .iter()
                .map(|o| {
                    let name = Self::service_name(o);
                    let at = read_at
                        .get(&name)
                        .copied()
                        .unwrap_or_else(|| self.events.count(&name));
                    (name, at)
                })
                .collect();
            read_at.clear();
            seen
        };
        let limit = Duration::from_secs_f64((until - wall_now()).clamp(0.0, RESYNC.as_secs_f64()));
        tokio::select! {
            _ = cancel.cancelled() => Err(Error::Cancelled { what: "wait".into(), why: "the run was cancelled".into() }),
            _ = self.events.after(&seen, limit) => Ok(()),
        }
    }

    async fn validate(&self, batch: &[Manifest], namespace: &str) -> Result<()> {
        self.validate_stacks(batch, namespace).await.map(|_| ())
    }

    async fn apply(&self, batch: &[Manifest], namespace: &str) -> ApplyOutcome {
        self.apply_stacks(batch, namespace).await
    }

    async fn get(&self, object: &ObjectRef) -> Result<Option<Value>> {
        if !supported(object.kind) || object.name.is_empty() {
            return Ok(None);
        }
        Ok(self
            .inspect(&Self::service_name(object))
            .await?
            .map(|s| Self::render(&s, &object.namespace)))
    }

    async fn list(&self, kind: Kind, namespace: &str) -> Result<Vec<Value>> {
        if !supported(kind) {
            return Ok(Vec::new());
        }
        let services = self.stack_services(namespace).await?;
        Ok(services
            .iter()
            .map(|s| Self::render(s, &Self::stack_of(s)))
            .collect())
    }

    async fn delete(&self, object: &ObjectRef) -> Result<bool> {
        if !supported(object.kind) {
            return Ok(false);
        }
        self.count_request();
        self.reads.forget(&Self::service_name(object));
        match self
            .docker
            .delete_service(&Self::service_name(object))
            .await
        {
            Ok(()) => Ok(true),
            Err(e) if crate::errors::status_code(&e) == Some(404) => Ok(false),
            Err(e) => Err(request_error(&self.target, "delete", object, e)),
        }
    }

    async fn scale(&self, workload: &ObjectRef, replicas: i32) -> Result<(i32, i32)> {
        if replicas < 0 {
            return Err(Error::bad_input(
                format!("scale({}, {replicas})", workload.name),
                "replicas must be 0 or more",
            ));
        }
        let mut before = 0;
        let target = self.target.clone();
        self.modify(workload, |spec| {
            let Some(replicated) = spec.mode.as_mut().and_then(|m| m.replicated.as_mut()) else {
                return Err(Error::Refused {
                    object: object_name(workload),
                    target: target.clone(),
                    message: "a global service runs one task per node and cannot be scaled".into(),
                });
            };
            before = replicated.replicas.unwrap_or(1) as i32;
            replicated.replicas = Some(replicas as i64);
            Ok(before != replicas)
        })
        .await?;
        Ok((before, replicas))
    }

    async fn set_image(
        &self,
        workload: &ObjectRef,
        container: Option<&str>,
        image: &str,
    ) -> Result<ImageChange> {
        if let Some(c) = container
            && c != workload.name
        {
            return Err(Error::bad_input(
                format!("set_image({}, {c})", workload.name),
                format!(
                    "a Swarm service has one container, named after the service: \"{}\"{}",
                    workload.name,
                    rollplay_core::suggest::hint(c, [workload.name.as_str()])
                ),
            ));
        }
        let mut from = String::new();
        self.modify(workload, |spec| {
            let template = spec.task_template.get_or_insert_with(Default::default);
            from = image_of(Some(template));
            if from == without_digest(image) {
                return Ok(false);
            }
            template
                .container_spec
                .get_or_insert_with(Default::default)
                .image = Some(image.to_string());
            Ok(true)
        })
        .await?;
        Ok(ImageChange {
            container: workload.name.clone(),
            changed: from != without_digest(image),
            from,
            to: image.to_string(),
        })
    }

    async fn set_paused(&self, _workload: &ObjectRef, _paused: bool) -> Result<bool> {
        Err(self.missing(Capability::Pause, "pause"))
    }

    async fn rollback(&self, workload: &ObjectRef, to: RollbackTo) -> Result<RollbackOutcome> {
        // After the engine's own rollback (or a paused update) the spec may already be the one
        // asked for; writing it again clears the failed update status (SW-8), so the service
        // is reported as settled on that revision instead of failed.
        let failed_update = matches!(
            self.engine_rollback_finished(workload)
                .await?
                .update_status
                .and_then(|u| u.state),
            Some(
                UpdateState::PAUSED
                    | UpdateState::ROLLBACK_STARTED
                    | UpdateState::ROLLBACK_PAUSED
                    | UpdateState::ROLLBACK_COMPLETED
            )
        );
        let mut outcome = None;
        let target = self.target.clone();
        self.modify(workload, |spec| {
            let entries = history::entries(spec);
            let current = history::revision_of(spec).unwrap_or(0);
            let wanted = match to {
                RollbackTo::Previous => entries.iter().filter(|e| e.revision < current).max_by_key(|e| e.revision),
                RollbackTo::Revision(n) => entries.iter().find(|e| e.revision == n),
            };
            let Some(entry) = wanted else {
                let known: Vec<String> = entries.iter().map(|e| e.revision.to_string()).collect();
                let asked = match to {
                    RollbackTo::Previous => "no previous revision".to_string(),
                    RollbackTo::Revision(n) => format!("revision {n} not found"),
                };
                return Err(Error::bad_input(
                    format!("rollback({})", workload.name),
                    format!("{asked} of service \"{}\" on {target}; its revisions: {}", workload.name, known.join(", ")),
                ));
            };
            let images = vec![image_of(Some(&entry.template))];
            let running = spec.task_template.clone().unwrap_or_default();
            if history::same_template(&running, &entry.template) {
                // Already that template: skipped, unless the engine's own rollback put it
                // there, when writing it again clears the failed update (SW-8).
                let message = if failed_update {
                    format!("service/{} rolled back (the engine had restored revision {} already; its failed update is cleared)", workload.name, entry.revision)
                } else {
                    format!("service/{} skipped rollback (current template already matches revision {})", workload.name, entry.revision)
                };
                outcome = Some(RollbackOutcome {
                    message,
                    skipped: !failed_update,
                    to_revision: Some(entry.revision),
                    revision_now: Some(current),
                    images,
                });
                return Ok(failed_update);
            }
            let mut template = entry.template.clone();
            template.force_update = running.force_update;
            spec.task_template = Some(template);
            outcome = Some(RollbackOutcome {
                message: format!("service/{} rolled back", workload.name),
                skipped: false,
                to_revision: Some(entry.revision),
                revision_now: None,
                images,
            });
            Ok(true)
        })
        .await?;
        let mut outcome = outcome.expect("the change ran");
        if !outcome.skipped {
            let now = self.existing(workload).await?;
            outcome.revision_now = now.spec.as_ref().and_then(history::revision_of);
        }
        Ok(outcome)
    }

    async fn switch_selector(
        &self,
        _service: &ObjectRef,
        _selector: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>> {
        Err(self.missing(Capability::Selectors, "switch_selector"))
    }

    async fn status(&self, workload: &ObjectRef) -> Result<WorkloadStatus> {
        let name = Self::service_name(workload);
        let count = self.events.count(&name);
        self.read_at.lock().entry(name.clone()).or_insert(count);
        let service_count = self.events.service_count(&name);
        let service = match self.reads.service(&name, service_count) {
            Some(s) => s,
            None => {
                let s = self.existing(workload).await?;
                self.reads.keep_service(&name, service_count, s.clone());
                s
            }
        };
        let task_count = self.events.task_count(&name);
        let tasks = match self.reads.tasks(&name, task_count) {
            Some(t) => t,
            None => {
                let t = self.tasks(workload).await?;
                self.reads.keep_tasks(&name, task_count, t.clone());
                t
            }
        };
        Ok(status::workload_status(
            &service,
            &tasks,
            &workload.namespace,
        ))
    }

    async fn select(
        &self,
        kind: Kind,
        namespace: &str,
        selector: &Selector,
    ) -> Result<Vec<ObjectRef>> {
        let services = self.stack_services(namespace).await?;
        let mut out: Vec<ObjectRef> = services
            .iter()
            .filter_map(|s| {
                let spec = s.spec.as_ref()?;
                let labels: BTreeMap<String, String> = spec
                    .labels
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                selector.matches(&labels).then(|| {
                    ObjectRef::new(
                        kind,
                        namespace,
                        &key_of(spec.name.as_deref().unwrap_or(""), namespace),
                    )
                })
            })
            .collect();
        out.sort();
        Ok(out)
    }

    async fn history(&self, workload: &ObjectRef) -> Result<Vec<HistoryEntry>> {
        let service = self.existing(workload).await?;
        let spec = service.spec.clone().unwrap_or_default();
        let current = history::revision_of(&spec);
        let replicas = spec
            .mode
            .as_ref()
            .and_then(|m| m.replicated.as_ref())
            .and_then(|r| r.replicas)
            .unwrap_or(1) as i32;
        Ok(history::entries(&spec)
            .into_iter()
            .map(|e| HistoryEntry {
                revision: e.revision,
                replica_set: format!("revision {}", e.revision),
                images: vec![image_of(Some(&e.template))],
                change_cause: None,
                replicas: if Some(e.revision) == current {
                    replicas
                } else {
                    0
                },
                current: Some(e.revision) == current,
            })
            .collect())
    }

    async fn pods(&self, workload: &ObjectRef) -> Result<Vec<PodSummary>> {
        let service = self.existing(workload).await?;
        let tasks = self.tasks(workload).await?;
        Ok(status::pods(&service, &tasks))
    }

    async fn events(&self, object: &ObjectRef) -> Result<Vec<EventInfo>> {
        let service = self.existing(object).await?;
        let tasks = self.tasks(object).await?;
        Ok(status::events(&service, &tasks))
    }

    async fn endpoints(&self, service: &ObjectRef) -> Result<Vec<EndpointInfo>> {
        let found = self.existing(service).await?;
        let tasks = self.tasks(service).await?;
        Ok(status::pods(&found, &tasks)
            .into_iter()
            .map(|p| EndpointInfo {
                ready: p.ready,
                serving: p.ready,
                terminating: p.terminating,
                pod: p.name,
                ip: p.ip,
            })
            .collect())
    }

    async fn names(&self, kind: Kind, namespace: &str) -> Result<Vec<String>> {
        if !supported(kind) {
            return Ok(Vec::new());
        }
        let mut names: Vec<String> = self
            .stack_services(namespace)
            .await?
            .iter()
            .filter_map(|s| {
                s.spec
                    .as_ref()?
                    .name
                    .as_deref()
                    .map(|n| key_of(n, namespace))
            })
            .collect();
        names.sort();
        Ok(names)
    }

    fn client_report(&self) -> Value {
        json!({
            "requests": self.requests(),
            "conflicts_redone": self.conflicts.load(Ordering::Relaxed),
            "reads_repeated": self.retries.repeated.load(Ordering::Relaxed),
            "event_stream_reopened": self.events.reopened.load(Ordering::Relaxed),
        })
    }
}
