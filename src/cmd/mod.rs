//! One file per subcommand; `args` holds the flags they share.

pub mod api;
pub mod args;
pub mod playbooks;
pub mod repl;
pub mod run;
pub mod signals;
pub mod sim;
pub mod sim_serve;
