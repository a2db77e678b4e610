//! Scripts run within bounds: a loop that never ends is stopped with a message that says how
//! to raise the bound, the bound is the user's to raise, and modules come only from the stdlib
//! and the playbook's own folder.

mod common;

use common::*;

const COUNTING: &str = "let n = 0;\nwhile n < 100000 {\n    n += 1;\n}\nn\n";

#[test]
fn a_loop_past_max_operations_is_stopped_at_its_line_with_the_fix() {
    let dir = scratch("limits-forever");
    let playbook = write(&dir, "forever.rhai", "let n = 0;\nloop {\n    n += 1;\n}\n");
    let (code, report) = run_json(&["run", &playbook, "--max-operations", "50000"]);
    assert_eq!(code, 1, "{report:#}");
    let error = &report["error"];
    assert_eq!(
        error["message"],
        "the script ran more than 50000 operations (--max-operations)"
    );
    assert_eq!(error["kind"], "too_many_operations");
    assert!(
        error["hint"]
            .as_str()
            .is_some_and(|h| h.contains("raise --max-operations")),
        "{error}"
    );
    assert_eq!(
        error["file"].as_str().map(|f| f.ends_with("forever.rhai")),
        Some(true)
    );
    assert_eq!(report["actions"], serde_json::json!([]));
}

#[test]
fn the_bound_is_the_users_to_raise() {
    let dir = scratch("limits-counting");
    let playbook = write(&dir, "counting.rhai", COUNTING);
    let (tight, report) = run_json(&["run", &playbook, "--max-operations", "10000"]);
    assert_eq!(tight, 1, "{report:#}");
    let (raised, report) = run_json(&["run", &playbook, "--max-operations", "10000000"]);
    assert_eq!(raised, 0, "{report:#}");
    assert_eq!(report["result"], 100000);
}

#[test]
fn a_bound_of_zero_is_refused_as_bad_input() {
    let dir = scratch("limits-zero");
    let playbook = write(&dir, "counting.rhai", COUNTING);
    let (code, report) = run_json(&["run", &playbook, "--max-operations", "0"]);
    assert_eq!(code, 2, "{report:#}");
    assert!(
        report["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--max-operations")),
        "{report:#}"
    );
}

#[test]
fn modules_come_only_from_the_stdlib_and_the_playbooks_own_folder() {
    let dir = scratch("limits-imports");
    std::fs::create_dir_all(dir.join("playbook/lib")).expect("dirs");
    write(&dir, "outside.rhai", "fn answer() { 42 }\n");
    write(
        &dir.join("playbook/lib"),
        "inside.rhai",
        "fn answer() { 42 }\n",
    );
    let inside = write(
        &dir.join("playbook"),
        "inside.rhai",
        "import \"rollplay/rollout\" as rollout;\nimport \"lib/inside\" as lib;\nlib::answer()\n",
    );
    let (code, report) = run_json(&["run", &inside]);
    assert_eq!(
        (code, &report["result"]),
        (0, &serde_json::json!(42)),
        "{report:#}"
    );

    let outside = dir.join("outside").display().to_string();
    for import in ["../outside", outside.as_str()] {
        let playbook = write(
            &dir.join("playbook"),
            "escape.rhai",
            &format!("import \"{import}\" as o;\no::answer()\n"),
        );
        let (code, report) = run_json(&["run", &playbook]);
        assert_eq!(code, 2, "{import}: {report:#}");
        let message = report["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!(
                "import \"{import}\": modules come from the stdlib"
            )),
            "{message}"
        );
        assert_eq!(report["error"]["line"], 1, "{report:#}");
    }
}
