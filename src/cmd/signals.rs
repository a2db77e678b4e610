//! Ctrl-C and SIGTERM during a run, in three steps: the first takes the playbook's abort path
//! (a rollback, the selector restored) within `--abort-timeout`; the second stops where the
//! run is and states what it left; the third quits at once.

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Waits for signals: cancels `interrupt` at the first, `stop` at the second, exits 130 at the
/// third.
pub async fn escalate(interrupt: CancellationToken, stop: CancellationToken) {
    let Ok(mut terminate) = signal(SignalKind::terminate()) else {
        return;
    };
    let Ok(mut ctrl_c) = signal(SignalKind::interrupt()) else {
        return;
    };
    let how = next(&mut ctrl_c, &mut terminate).await;
    eprintln!(
        "\nrollplay: {how}; taking the playbook's abort path (press Ctrl-C again to stop where it is)"
    );
    interrupt.cancel();
    let how = next(&mut ctrl_c, &mut terminate).await;
    eprintln!(
        "\nrollplay: {how} again; stopping where the run is (press Ctrl-C again to quit at once)"
    );
    stop.cancel();
    next(&mut ctrl_c, &mut terminate).await;
    std::process::exit(130);
}

async fn next(ctrl_c: &mut Signal, terminate: &mut Signal) -> &'static str {
    tokio::select! {
        _ = ctrl_c.recv() => "interrupted",
        _ = terminate.recv() => "terminated",
    }
}
