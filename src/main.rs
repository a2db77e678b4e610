//! The `rollplay` command: parses flags and hands over to the engine.

mod output;
mod repl;
mod report;
mod run;

use clap::{Parser, Subcommand, ValueEnum};
use rollplay_engine::script::stdlib;
use std::path::PathBuf;
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
    Run(run::RunArgs),
    /// Lists the built-in playbooks or prints one to copy and customise.
    Playbooks {
        #[command(subcommand)]
        what: PlaybooksCommand,
    },
    /// An interactive session: primitives line by line, with history and completion.
    Repl(repl::ReplArgs),
    /// Prints the reference of every primitive scripts can call.
    Api,
    /// Simulator tools.
    Sim {
        #[command(subcommand)]
        what: SimCommand,
    },
}

#[derive(Subcommand)]
enum PlaybooksCommand {
    /// Lists the built-in playbooks.
    List,
    /// Prints a built-in playbook's source: `rollplay playbooks show rolling > my-rolling.rhai`.
    Show { name: String },
}

#[derive(Subcommand)]
enum SimCommand {
    /// Runs reference case files (a file or a directory of *.json) and prints "N passed, M failed".
    Conformance {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
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
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::main(args),
        Command::Repl(args) => repl::main(args),
        Command::Playbooks {
            what: PlaybooksCommand::List,
        } => {
            let width = stdlib::PLAYBOOKS
                .iter()
                .map(|(n, _)| n.len())
                .max()
                .unwrap_or(0);
            for (name, source) in stdlib::PLAYBOOKS {
                println!("{name:width$}  {}", stdlib::description(source));
            }
            ExitCode::SUCCESS
        }
        Command::Playbooks {
            what: PlaybooksCommand::Show { name },
        } => match stdlib::playbook(&name) {
            Some(source) => {
                print!("{source}");
                ExitCode::SUCCESS
            }
            None => {
                let names: Vec<&str> = stdlib::PLAYBOOKS.iter().map(|(n, _)| *n).collect();
                eprintln!(
                    "error: no built-in playbook \"{name}\"{}; built-in: {}",
                    rollplay_engine::suggest::hint(&name, names.iter().copied()),
                    names.join(", ")
                );
                ExitCode::from(2)
            }
        },
        Command::Api => {
            print!("{}", rollplay_engine::api::docs::reference());
            ExitCode::SUCCESS
        }
        Command::Sim {
            what: SimCommand::Conformance { paths },
        } => conformance(&paths),
    }
}

fn conformance(paths: &[PathBuf]) -> ExitCode {
    let report = match rollplay_engine::conformance::run_paths(paths) {
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
