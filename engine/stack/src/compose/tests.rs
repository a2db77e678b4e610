//! Stack files: what `docker stack deploy` accepts, and the errors for what it does not.

use super::*;

const GOOD: &str = r#"version: "3.8"
services:
  web:
    image: rollplay-demo/web:${TAG:-1.0.0}
    environment:
      - VERSION=1.0.0
    healthcheck:
      test: ["CMD", "/web", "probe", "/ready"]
      interval: 1s
      retries: 3
    ports:
      - target: 8080
        published: 18080
        mode: host
    networks: [front]
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      update_config:
        parallelism: 1
        delay: 1s
        failure_action: rollback
        monitor: 5s
        order: start-first
  exporter:
    image: node-exporter:1
    deploy:
      mode: global
networks:
  front:
    driver: overlay
    driver_opts:
      encrypted: "true"
"#;

fn load(text: &str) -> Result<Stack> {
    load_stack(
        text,
        "stack.yml",
        "demo",
        &BTreeMap::from([("TAG".to_string(), "1.1.0".to_string())]),
    )
}

fn error(text: &str) -> String {
    load(text).expect_err("refused").to_string()
}

#[test]
fn a_stack_file_becomes_services_with_their_update_configs() {
    let stack = load(GOOD).expect("valid");
    let web = &stack.services.iter().find(|s| s.key == "web").expect("web");
    assert_eq!(web.name, "demo_web");
    assert_eq!(web.image, "rollplay-demo/web:1.1.0");
    assert_eq!(web.mode, Mode::Replicated(3));
    assert_eq!(web.update.order, Order::StartFirst);
    assert_eq!(web.update.failure_action, FailureAction::Rollback);
    assert_eq!(web.update.delay_seconds, 1.0);
    assert_eq!(web.rollback, UpdateConfig::default());
    assert_eq!(
        web.healthcheck.as_ref().map(|h| h.interval_seconds),
        Some(1.0)
    );
    assert_eq!(web.environment["VERSION"], "1.0.0");
    assert_eq!(
        web.ports[0],
        Port {
            target: 8080,
            published: Some(18080),
            protocol: "tcp".into(),
            mode: "host".into()
        }
    );
    assert_eq!(web.endpoint_mode, "dnsrr");
    let exporter = stack
        .services
        .iter()
        .find(|s| s.key == "exporter")
        .expect("exporter");
    assert_eq!(exporter.mode, Mode::Global);
    assert_eq!(stack.networks, ["front"]);
}

#[test]
fn an_unknown_key_is_named_with_its_line_and_a_suggestion() {
    let e = error(&GOOD.replace("        monitor: 5s", "        monitr: 5s"));
    assert!(e.contains("stack.yml:23:9"), "{e}");
    assert!(
        e.contains("services.web.deploy.update_config.monitr"),
        "{e}"
    );
    assert!(e.contains("did you mean \"monitor\""), "{e}");
}

#[test]
fn a_key_swarm_ignores_is_reported_not_dropped() {
    let e = error(&GOOD.replace(
        "    environment:\n",
        "    depends_on: [db]\n    environment:\n",
    ));
    assert!(e.contains("stack.yml:5"), "{e}");
    assert!(
        e.contains("\"depends_on\" is not supported by docker stack deploy"),
        "{e}"
    );
}

#[test]
fn a_wrong_type_names_the_key_the_type_and_the_line() {
    let e = error(&GOOD.replace("replicas: 3", "replicas: three"));
    assert!(e.contains("stack.yml:17:7"), "{e}");
    assert!(
        e.contains(
            "services.web.deploy.replicas: expected a whole number of at least 0, got \"three\""
        ),
        "{e}"
    );
    let e = error(&GOOD.replace("order: start-first", "order: sideways"));
    assert!(e.contains("one of stop-first, start-first"), "{e}");
    let e = error(&GOOD.replace("delay: 1s", "delay: soon"));
    assert!(e.contains("a duration"), "{e}");
}

#[test]
fn a_missing_image_or_network_is_named() {
    let e = error(&GOOD.replace("    image: node-exporter:1\n", ""));
    assert!(
        e.contains("services.exporter.image") && e.contains("needs an image"),
        "{e}"
    );
    let e = error(&GOOD.replace("networks: [front]", "networks: [back]"));
    assert!(e.contains("\"back\" is not defined"), "{e}");
    let e = error(&GOOD.replace("${TAG:-1.0.0}", "${RELEASE:?set RELEASE}"));
    assert!(
        e.contains("services.web.image") && e.contains("set RELEASE"),
        "{e}"
    );
}

#[test]
fn global_services_take_no_replicas() {
    let e = error(&GOOD.replace(
        "      mode: global",
        "      mode: global\n      replicas: 2",
    ));
    assert!(e.contains("services.exporter.deploy.replicas"), "{e}");
}

#[test]
fn short_form_ports() {
    assert_eq!(
        port(&serde_json::json!("18080:8080")).unwrap().published,
        Some(18080)
    );
    assert_eq!(
        port(&serde_json::json!("127.0.0.1:18080:8080/udp"))
            .unwrap()
            .protocol,
        "udp"
    );
    assert!(port(&serde_json::json!("x:8080")).is_err());
}
