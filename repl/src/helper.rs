//! The line editor's helper: completion and multi-line input from the session.

use parking_lot::Mutex;
use rollplay_script::session::Session;
use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use std::sync::Arc;

pub struct ReplHelper {
    session: Arc<Mutex<Session>>,
}

impl ReplHelper {
    pub fn new(session: Arc<Mutex<Session>>) -> ReplHelper {
        ReplHelper { session }
    }
}

impl Completer for ReplHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(self.session.lock().complete(line, pos))
    }
}

impl Validator for ReplHelper {
    /// An unfinished statement (as the script parser reports it) continues on the next line.
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        if self.session.lock().is_incomplete(ctx.input()) {
            Ok(ValidationResult::Incomplete)
        } else {
            Ok(ValidationResult::Valid(None))
        }
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Helper for ReplHelper {}
