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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return flag_error(e),
    };
    match cli.command {
        Command::Run(args) => cmd::run::main(args),
        Command::Repl(args) => cmd::repl::main(args),
        Command::Playbooks { what } => cmd::playbooks::main(what),
        Command::Api => cmd::api::main(),
        Command::Sim { what } => cmd::sim::main(what),
    }
}

/// A command line clap refuses: its message and exit code 2, and with `--output json` also
/// the one JSON object on stdout that a pipeline parsing rollplay's output expects.
fn flag_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let args: Vec<String> = std::env::args().collect();
    let json_wanted = args
        .windows(2)
        .any(|w| w[0] == "--output" && w[1] == "json")
        || args.iter().any(|a| a == "--output=json");
    let _ = e.print();
    if json_wanted {
        let rendered = e.render().to_string();
        let message = rendered
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string();
        let value = serde_json::json!({
            "ok": false,
            "result": null,
            "error": {"message": message, "kind": "bad_input", "file": null, "line": null, "column": null},
            "actions": [],
            "state": [],
        });
        println!("{value}");
    }
    ExitCode::from(2)
}
