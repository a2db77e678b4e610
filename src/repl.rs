//! `rollplay repl`: flags for the interactive session, handed to the REPL crate.

use clap::Args;
use rollplay_engine::session::SessionOptions;
use rollplay_repl::{ReplOptions, default_history_file};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ReplArgs {
    /// sim, kube[:CONTEXT] or swarm[:HOST]; the simulator when omitted.
    #[arg(long, default_value = "sim")]
    target: String,
    /// Namespace for objects named without one (`:ns NAME` changes it).
    #[arg(short = 'n', long, default_value = "default")]
    namespace: String,
    /// A parameter, read with param("K"); repeatable.
    #[arg(long = "set", value_name = "K=V", value_parser = crate::run::parse_set)]
    set: Vec<(String, String)>,
    /// Simulator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulator image profiles (YAML: `defaults:` and `images:`).
    #[arg(long, value_name = "FILE")]
    sim: Option<PathBuf>,
    /// Simulator only: play waits at this many virtual seconds per second (1 = real time).
    #[arg(long, value_name = "FACTOR")]
    pace: Option<f64>,
    /// Answer yes to confirm() gates.
    #[arg(long)]
    yes: bool,
    /// Keep no input history on disk.
    #[arg(long)]
    no_history: bool,
}

pub fn main(args: ReplArgs) -> ExitCode {
    let profiles = match crate::run::load_profiles(args.sim.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = crate::run::check_pace(args.pace) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    rollplay_repl::run(ReplOptions {
        target: args.target,
        session: SessionOptions {
            namespace: args.namespace,
            params: args.set.into_iter().collect(),
            seed: args.seed,
            profiles,
            pace: args.pace,
            assume_yes: args.yes,
            ask: crate::output::terminal_asker(),
            output: rollplay_repl::output(),
        },
        history: if args.no_history {
            None
        } else {
            default_history_file()
        },
    })
}
