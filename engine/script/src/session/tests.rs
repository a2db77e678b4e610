//! The session as the REPL uses it: values, functions and imports across entries, commands,
//! multi-line detection, completion, errors.

use super::*;
use crate::output::Collect;

fn session() -> (tokio::runtime::Runtime, Session) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let options = SessionOptions {
        namespace: "default".into(),
        params: Default::default(),
        target: crate::target::TargetOptions {
            seed: 1,
            ..Default::default()
        },
        assume_yes: false,
        ask: None,
        output: Arc::new(Collect::default()),
    };
    let session = Session::new("sim", options, runtime.handle().clone()).unwrap();
    (runtime, session)
}

fn value(s: &mut Session, input: &str) -> String {
    match s.submit(input) {
        Reply::Value(v) | Reply::Text(v) => v,
        Reply::Error(e) => panic!("{input}: {e}"),
    }
}

#[test]
fn variables_and_functions_persist_between_entries() {
    let (_rt, mut s) = session();
    assert_eq!(value(&mut s, "let x = 20;"), "");
    assert_eq!(value(&mut s, "fn double(n) { n * 2 }"), "");
    assert_eq!(value(&mut s, "double(x) + 2"), "42");
    assert_eq!(value(&mut s, "import \"rollplay/rollout\" as rollout;"), "");
    assert_eq!(value(&mut s, "rollout::name_of(\"web\")"), "web");
}

#[test]
fn unfinished_statements_ask_for_more() {
    let (_rt, s) = session();
    assert!(s.is_incomplete("if true {"));
    assert!(s.is_incomplete("let x = [1,\n2,"));
    assert!(!s.is_incomplete("if true { 1 } else { 2 }"));
    assert!(
        !s.is_incomplete("let x = ;"),
        "a syntax error is not an unfinished statement"
    );
}

#[test]
fn a_session_applies_rolls_out_and_rolls_back() {
    let (_rt, mut s) = session();
    let applied = value(&mut s, "apply(\"../../examples/k8s\")");
    assert!(applied.contains("deployment.apps/web created"), "{applied}");
    assert!(value(&mut s, ":ns demo").starts_with("namespace: demo"));
    value(&mut s, "wait_ready(\"web\")");
    value(
        &mut s,
        "set_image(\"web\", \"ghcr.io/rollplay-demo/web:1.1.0\")",
    );
    let status = value(&mut s, "wait_ready(\"web\")");
    let first: Vec<Vec<&str>> = status
        .lines()
        .take(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(first, [["kind", "Deployment"], ["name", "web"]], "{status}");
    let back = value(&mut s, "rollback(\"web\")");
    assert!(back.contains("deployment.apps/web rolled back"), "{back}");
    let pods = value(&mut s, "wait_ready(\"web\"); pods(\"web\")");
    assert!(pods.starts_with("NAME "), "{pods}");
    assert_eq!(
        s.actions()
            .iter()
            .filter(|a| a.action == "rollback")
            .count(),
        1
    );
}

#[test]
fn errors_point_at_the_entry() {
    let (_rt, mut s) = session();
    match s.submit("let a = 1;\nsclae(\"web\", 2)") {
        Reply::Error(e) => {
            assert!(
                e.contains("unknown function sclae()")
                    && e.contains("<repl>:2:1")
                    && e.contains("hint: did you mean `scale`?"),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
    match s.submit(":frobnicate") {
        Reply::Error(e) => assert!(e.contains("unknown command :frobnicate"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn completion_knows_primitives_names_and_commands() {
    let (_rt, mut s) = session();
    assert_eq!(s.complete("sca", 3), (0, vec!["scale".to_string()]));
    value(&mut s, "apply(\"../../tests/fixtures/web.yaml\")");
    assert_eq!(s.complete("status(\"w", 9), (8, vec!["web".to_string()]));
    assert_eq!(s.complete(":ta", 3).1, vec![":target".to_string()]);
    value(&mut s, "import \"rollplay/rollout\" as rollout;");
    assert!(
        s.complete("rollout::wa", 11)
            .1
            .contains(&"rollout::watch".to_string())
    );
}

#[test]
fn completion_in_strings_follows_the_call() {
    let (_rt, mut s) = session();
    s.options.params.insert("image".into(), "web:2".into());
    s.options.params.insert("replicas".into(), "3".into());
    assert_eq!(s.complete("param(\"im", 9), (7, vec!["image".to_string()]));
    assert_eq!(
        s.complete("import \"rollplay/ro", 19).1,
        vec!["rollplay/rollout".to_string()]
    );
    let (start, files) = s.complete(":load src/sess", 14);
    assert_eq!((start, files), (6, vec!["src/session/".to_string()]));
}

#[test]
fn help_shows_the_documented_text() {
    let (_rt, mut s) = session();
    let text = value(&mut s, "help(\"rollback\")");
    assert!(
        text.starts_with("rollback(workload)\n\nRolls the workload back to its previous revision"),
        "{text}"
    );
    assert!(
        value(&mut s, "help()")
            .contains("Workloads: scale, change images, wait, roll back, inspect")
    );
}
