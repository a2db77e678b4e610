//! The contract checks, each on a fresh target: what every backend must do the same way.

use crate::{Fixture, NAMESPACE};
use rollplay_core::backend::{ApplyResult, Capability, ClusterBackend, Quiet, RollbackTo};
use rollplay_core::error::{Error, ErrorClass};
use rollplay_core::kind::Kind;
use rollplay_core::objref::ObjectRef;
use rollplay_core::selector::Selector;
use rollplay_core::wait::{Deadline, WaitFor, wait_ready};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn web() -> ObjectRef {
    ObjectRef::new(Kind::Deployment, NAMESPACE, "web")
}

fn service() -> ObjectRef {
    ObjectRef::new(Kind::Service, NAMESPACE, "web")
}

/// A fresh target with the application applied and rolled out.
async fn deployed(f: &dyn Fixture) -> Arc<dyn ClusterBackend> {
    let backend = f.backend().await;
    let app = f.app();
    backend
        .validate(&app, NAMESPACE)
        .await
        .expect("the app is valid");
    let outcome = backend.apply(&app, NAMESPACE).await;
    assert!(outcome.refused.is_none(), "{:?}", outcome.refused);
    wait(
        backend.as_ref(),
        WaitFor::One(web()),
        Duration::from_secs(300),
    )
    .await
    .expect("the app rolls out");
    backend
}

async fn wait(
    backend: &dyn ClusterBackend,
    what: WaitFor,
    timeout: Duration,
) -> rollplay_core::Result<Vec<rollplay_core::backend::WorkloadStatus>> {
    let deadline = Deadline::within(backend.now(), timeout, None);
    wait_ready(backend, &what, &deadline, &CancellationToken::new(), &Quiet).await
}

fn skipped(backend: &dyn ClusterBackend, capability: Capability) -> bool {
    let missing = !backend.capabilities().has(capability);
    if missing {
        eprintln!(
            "skipped: the {} target has no {capability}",
            backend.target()
        );
    }
    missing
}

pub async fn apply_get_list_delete(f: &dyn Fixture) {
    let backend = f.backend().await;
    let app = f.app();
    let outcome = backend.apply(&app, NAMESPACE).await;
    assert!(outcome.refused.is_none());
    assert!(
        outcome
            .applied
            .iter()
            .all(|a| a.result == ApplyResult::Created),
        "{:?}",
        outcome.applied
    );
    assert!(backend.get(&web()).await.unwrap().is_some());
    assert!(backend.get(&service()).await.unwrap().is_some());
    let names = backend.names(Kind::Deployment, NAMESPACE).await.unwrap();
    assert!(names.contains(&"web".to_string()), "{names:?}");
    let listed = backend.list(Kind::Deployment, NAMESPACE).await.unwrap();
    assert!(
        listed
            .iter()
            .any(|o| o.pointer("/metadata/name").and_then(|n| n.as_str()) == Some("web"))
    );
    let again = backend.apply(&app, NAMESPACE).await;
    assert!(
        again
            .applied
            .iter()
            .all(|a| a.result == ApplyResult::Unchanged),
        "applying the same manifests again changes nothing: {:?}",
        again.applied
    );
    assert!(backend.delete(&web()).await.unwrap());
    assert!(backend.get(&web()).await.unwrap().is_none());
    assert!(!backend.delete(&web()).await.unwrap(), "already gone");
}

/// A workload that a wait has watched is gone for `status` as soon as `delete` returns: a
/// backend that reads from a watch must not answer from a copy older than its own delete.
pub async fn a_deleted_workload_is_gone_at_once(f: &dyn Fixture) {
    let backend = deployed(f).await;
    assert!(backend.status(&web()).await.unwrap().done());
    assert!(backend.delete(&web()).await.unwrap());
    let err = backend.status(&web()).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(backend.get(&web()).await.unwrap().is_none());
}

pub async fn a_refused_batch_changes_nothing(f: &dyn Fixture) {
    let backend = f.backend().await;
    let batch = f.invalid_batch();
    let err = backend
        .validate(&batch, NAMESPACE)
        .await
        .expect_err("the batch is refused");
    assert_eq!(err.class(), ErrorClass::BadInput, "{err}");
    let first = batch[0].object_ref(NAMESPACE);
    assert!(
        backend.get(&first).await.unwrap().is_none(),
        "nothing of the batch was applied"
    );
}

pub async fn scale_sets_replicas_and_waits(f: &dyn Fixture) {
    let backend = deployed(f).await;
    assert_eq!(backend.scale(&web(), 5).await.unwrap(), (3, 5));
    let st = wait(
        backend.as_ref(),
        WaitFor::One(web()),
        Duration::from_secs(300),
    )
    .await
    .unwrap();
    assert_eq!((st[0].replicas, st[0].ready, st[0].available), (5, 5, 5));
    assert_eq!(backend.scale(&web(), 5).await.unwrap(), (5, 5));
    let err = backend.scale(&web(), -1).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::BadInput);
}

pub async fn set_image_rolls_out_a_new_version(f: &dyn Fixture) {
    let backend = deployed(f).await;
    let change = backend
        .set_image(&web(), None, f.next_image())
        .await
        .unwrap();
    assert!(change.changed);
    assert_eq!(
        (change.from.as_str(), change.to.as_str()),
        (f.image(), f.next_image())
    );
    let st = wait(
        backend.as_ref(),
        WaitFor::One(web()),
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    assert!(st[0].done());
    assert_eq!(st[0].images[0].1, f.next_image());
    assert_eq!(st[0].updated, 3);
    let same = backend
        .set_image(&web(), Some("web"), f.next_image())
        .await
        .unwrap();
    assert!(!same.changed, "already that image");
    let err = backend
        .set_image(&web(), Some("nope"), f.image())
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::BadInput);
}

pub async fn wait_ready_takes_a_list_and_a_selector(f: &dyn Fixture) {
    let backend = deployed(f).await;
    let listed = wait(
        backend.as_ref(),
        WaitFor::All(vec![web()]),
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 1);
    let selected = wait(
        backend.as_ref(),
        WaitFor::Selected {
            kind: Kind::Deployment,
            namespace: NAMESPACE.into(),
            selector: Selector::parse("app in (web,api)").unwrap(),
        },
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert_eq!(selected.len(), 1);
    assert_eq!(selected[0].name, "web");
    let none = wait(
        backend.as_ref(),
        WaitFor::Selected {
            kind: Kind::Deployment,
            namespace: NAMESPACE.into(),
            selector: Selector::parse("app=nothing").unwrap(),
        },
        Duration::from_secs(60),
    )
    .await
    .unwrap_err();
    assert!(matches!(none, Error::NotFound { .. }), "{none}");
}

pub async fn wait_ready_stops_at_its_deadline_naming_the_workload(f: &dyn Fixture) {
    let backend = deployed(f).await;
    let image = f.never_ready_image(backend.as_ref()).await;
    backend.set_image(&web(), None, &image).await.unwrap();
    let started = backend.now();
    let err = wait(
        backend.as_ref(),
        WaitFor::One(web()),
        Duration::from_secs(20),
    )
    .await
    .unwrap_err();
    let waited = backend.now() - started;
    match &err {
        Error::Timeout { object, .. } => assert_eq!(object, "deployment/web"),
        other => panic!("expected a timeout, got {other}"),
    }
    assert!((20.0..25.0).contains(&waited), "stopped after {waited} s");
    assert_eq!(err.class(), ErrorClass::Failed);
}

pub async fn wait_ready_stops_at_once_when_cancelled(f: &dyn Fixture) {
    let backend = deployed(f).await;
    let image = f.never_ready_image(backend.as_ref()).await;
    backend.set_image(&web(), None, &image).await.unwrap();
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        stopper.cancel();
    });
    let started = std::time::Instant::now();
    let deadline = Deadline::within(backend.now(), Duration::from_secs(3600), None);
    // A paced or real target is still waiting when the token fires; one in virtual time may
    // reach its deadline first, so cancel it from the start too.
    if backend.virtual_time() {
        cancel.cancel();
    }
    let err = wait_ready(
        backend.as_ref(),
        &WaitFor::One(web()),
        &deadline,
        &cancel,
        &Quiet,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

pub async fn rollback_goes_to_the_previous_or_a_numbered_revision(f: &dyn Fixture) {
    let backend = deployed(f).await;
    backend
        .set_image(&web(), None, f.next_image())
        .await
        .unwrap();
    wait(
        backend.as_ref(),
        WaitFor::One(web()),
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    let back = backend
        .rollback(&web(), RollbackTo::Previous)
        .await
        .unwrap();
    assert!(!back.skipped);
    assert_eq!(back.images, [f.image()]);
    let st = wait(
        backend.as_ref(),
        WaitFor::One(web()),
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    assert_eq!(st[0].images[0].1, f.image());
    if skipped(backend.as_ref(), Capability::NumberedRevisions) {
        return;
    }
    assert_eq!(back.to_revision, Some(1));
    let forward = backend
        .rollback(&web(), RollbackTo::Revision(2))
        .await
        .unwrap();
    assert_eq!(forward.images, [f.next_image()]);
    let missing = backend
        .rollback(&web(), RollbackTo::Revision(99))
        .await
        .unwrap_err();
    assert_eq!(missing.class(), ErrorClass::BadInput, "{missing}");
    assert!(missing.to_string().contains("99"), "{missing}");
}

pub async fn switch_selector_moves_the_endpoints(f: &dyn Fixture) {
    let backend = deployed(f).await;
    if skipped(backend.as_ref(), Capability::Selectors) {
        return;
    }
    let ready = backend.endpoints(&service()).await.unwrap();
    assert_eq!(ready.iter().filter(|e| e.ready).count(), 3);
    let previous = backend
        .switch_selector(
            &service(),
            [("app".to_string(), "nothing".to_string())].into(),
        )
        .await
        .unwrap();
    assert_eq!(previous.get("app").map(String::as_str), Some("web"));
    assert!(backend.endpoints(&service()).await.unwrap().is_empty());
    backend
        .switch_selector(&service(), previous.clone())
        .await
        .unwrap();
    assert_eq!(backend.endpoints(&service()).await.unwrap().len(), 3);
    let empty = backend
        .switch_selector(&service(), Default::default())
        .await
        .unwrap_err();
    assert_eq!(empty.class(), ErrorClass::BadInput);
}

pub async fn history_pods_and_events_describe_the_workload(f: &dyn Fixture) {
    let backend = deployed(f).await;
    let pods = backend.pods(&web()).await.unwrap();
    assert_eq!(pods.len(), 3);
    assert!(pods.iter().all(|p| p.ready && p.images == [f.image()]));
    assert!(pods.iter().all(|p| p.created <= backend.now()));
    let events = backend.events(&web()).await.unwrap();
    assert!(!events.is_empty(), "a rollout leaves events");
    if skipped(backend.as_ref(), Capability::NumberedRevisions) {
        return;
    }
    backend
        .set_image(&web(), None, f.next_image())
        .await
        .unwrap();
    wait(
        backend.as_ref(),
        WaitFor::One(web()),
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    let history = backend.history(&web()).await.unwrap();
    let revisions: Vec<i64> = history.iter().map(|h| h.revision).collect();
    assert_eq!(revisions, [1, 2]);
    assert!(history[1].current && history[1].images == [f.next_image()]);
}

pub async fn a_missing_workload_is_named_with_the_target(f: &dyn Fixture) {
    let backend = f.backend().await;
    let missing = ObjectRef::new(Kind::Deployment, NAMESPACE, "absent");
    let err = backend.status(&missing).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("\"absent\"") && text.contains(backend.target()),
        "{text}"
    );
    assert_eq!(err.class(), ErrorClass::BadInput);
}
