//! `rollplay playbooks list | show NAME`: the built-in playbooks, to run or to copy.

use clap::Subcommand;
use rollplay_script::stdlib;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum PlaybooksCommand {
    /// Lists the built-in playbooks.
    List,
    /// Prints a built-in playbook's source: `rollplay playbooks show rolling > my-rolling.rhai`.
    Show { name: String },
}

pub fn main(what: PlaybooksCommand) -> ExitCode {
    match what {
        PlaybooksCommand::List => {
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
        PlaybooksCommand::Show { name } => match stdlib::playbook(&name) {
            Some(source) => {
                print!("{source}");
                ExitCode::SUCCESS
            }
            None => {
                let names: Vec<&str> = stdlib::PLAYBOOKS.iter().map(|(n, _)| *n).collect();
                eprintln!(
                    "error: no built-in playbook \"{name}\"{}; built-in: {}",
                    rollplay_core::suggest::hint(&name, names.iter().copied()),
                    names.join(", ")
                );
                ExitCode::from(2)
            }
        },
    }
}
