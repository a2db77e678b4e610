//! `rollplay repl`: the shared target flags, handed to the REPL crate's line editor.

use super::args::{ParamArgs, TargetArgs};
use clap::Args;
use rollplay_repl::{ReplOptions, default_history_file};
use rollplay_script::session::SessionOptions;
use std::process::ExitCode;

#[derive(Args)]
pub struct ReplArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    params: ParamArgs,
    /// Keep no input history on disk.
    #[arg(long)]
    no_history: bool,
}

pub fn main(args: ReplArgs) -> ExitCode {
    let checked = args.target.target().and_then(|_| args.target.options());
    let options = match checked {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    rollplay_repl::run(ReplOptions {
        target: args.target.target_name(),
        session: SessionOptions {
            namespace: args.target.namespace().to_string(),
            params: args.params.params(),
            target: options,
            assume_yes: args.params.yes,
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
