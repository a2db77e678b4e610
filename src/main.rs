//! The `rollplay` command: parses flags and hands over to the script layer; one file per
//! subcommand under `cmd/`.

mod cmd;
mod output;
mod report;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "rollplay",
    version,
    about = "A deployment engine you script: Rhai playbooks over Kubernetes, Docker Swarm and a deterministic simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a playbook (a built-in name or a .rhai file).
    Run(cmd::run::RunArgs),
    /// Lists the built-in playbooks or prints one to copy and customise.
    Playbooks {
        #[command(subcommand)]
        what: cmd::playbooks::PlaybooksCommand,
    },
    /// An interactive session: primitives line by line, with history and completion.
    Repl(cmd::repl::ReplArgs),
    /// Prints the reference of every primitive scripts can call.
    Api,
    /// Simulator tools.
    Sim {
        #[command(subcommand)]
        what: cmd::sim::SimCommand,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    // Diagnostics of the engine itself: RUST_LOG=debug (warnings by default), on stderr.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    match Cli::parse().command {
        Command::Run(args) => cmd::run::main(args),
        Command::Repl(args) => cmd::repl::main(args),
        Command::Playbooks { what } => cmd::playbooks::main(what),
        Command::Api => cmd::api::main(),
        Command::Sim { what } => cmd::sim::main(what),
    }
}
