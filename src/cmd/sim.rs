//! `rollplay sim ...`: tools of the simulator itself (its conformance to the reference cases,
//! and serving it over the Kubernetes API).

use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum SimCommand {
    /// Runs reference case files (a file or a directory of *.json) and prints "N passed, M failed".
    Conformance {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Serves the simulator over the Kubernetes REST API (kubectl and `--target kube` use it
    /// as a cluster).
    Serve(super::sim_serve::ServeArgs),
}

pub fn main(what: SimCommand) -> ExitCode {
    match what {
        SimCommand::Conformance { paths } => conformance(&paths),
        SimCommand::Serve(args) => super::sim_serve::main(args),
    }
}

fn conformance(paths: &[PathBuf]) -> ExitCode {
    let report = match rollplay_sim::conformance::run_paths(paths) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    for r in report.results.iter().filter(|r| !r.passed) {
        println!("FAIL {} ({}): {}", r.id, r.file, r.detail);
    }
    println!("{} passed, {} failed", report.passed(), report.failed());
    if report.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
