//! What the tests of a target on this machine's Docker engine share: the docker CLI as an
//! independent client, and the reason to skip when no engine in swarm mode with the demo
//! images is here, which is a failure under `ROLLPLAY_REQUIRE_SWARM=1` (CI must not skip).

use std::process::Command;

/// Runs `docker ARGS`: its trimmed stdout, or its stderr as the error.
pub fn docker(args: &[&str]) -> Result<String, String> {
    let out = Command::new("docker")
        .args(args)
        .output()
        .map_err(|e| format!("docker {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "docker {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// None when the engine's tests can run; otherwise why not, printed as the reason to skip.
/// Panics when `ROLLPLAY_REQUIRE_SWARM=1`.
pub fn swarm_engine_missing() -> Option<String> {
    let why = match docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"]) {
        Ok(state) if state == "active" => {
            match docker(&["image", "inspect", "rollplay-demo/web:1.0.0"]) {
                Ok(_) => return None,
                Err(_) => {
                    "the demo images are not built (examples/app/build-images.sh)".to_string()
                }
            }
        }
        Ok(state) => format!(
            "the engine is not in swarm mode ({state}); run docker swarm init --advertise-addr 127.0.0.1"
        ),
        Err(e) => format!("no Docker engine: {e}"),
    };
    if std::env::var("ROLLPLAY_REQUIRE_SWARM").is_ok_and(|v| v == "1") {
        panic!("ROLLPLAY_REQUIRE_SWARM=1 but {why}");
    }
    eprintln!("skipped: {why}");
    Some(why)
}
