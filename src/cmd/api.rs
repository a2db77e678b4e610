//! `rollplay api`: the reference of every primitive, from the same `///` docs as `help()`.

use std::process::ExitCode;

pub fn main() -> ExitCode {
    print!("{}", rollplay_script::api::docs::reference());
    ExitCode::SUCCESS
}
