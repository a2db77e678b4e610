//! Errors of the engine: each one names the object, the target and what to do about it.

use std::fmt;

/// Whether an error is the caller's input (exit 2, nothing changed) or a failure of the run
/// itself (exit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Usage, manifests, scripts, flags or a request the cluster refused: nothing was changed.
    BadInput,
    /// The playbook ran and something did not work out (rollout failed, timed out, cancelled).
    Failed,
}

/// Where in a manifest file an error was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    pub file: String,
    pub line: usize,
    pub column: Option<usize>,
    /// 1-based index of the YAML document within the file and the number of documents.
    pub document: Option<(usize, usize)>,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(col) = self.column {
            write!(f, ":{col}")?;
        }
        if let Some((n, of)) = self.document
            && of > 1
        {
            write!(f, " (document {n} of {of})")?;
        }
        Ok(())
    }
}

/// Every error the engine reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A manifest could not be read, parsed or validated; nothing was applied.
    #[error("{location}: {message}")]
    Manifest {
        location: SourceLocation,
        message: String,
    },

    /// A flag, parameter or primitive argument is wrong.
    #[error("{what}: {message}")]
    BadInput { what: String, message: String },

    /// The named object does not exist on the target.
    #[error("{kind} \"{name}\" not found in namespace \"{namespace}\" on {target}{hint}")]
    NotFound {
        kind: String,
        name: String,
        namespace: String,
        target: String,
        hint: String,
    },

    /// The target refused a request (validation, immutable field, precondition).
    #[error("{object} on {target}: {message}")]
    Refused {
        object: String,
        target: String,
        message: String,
    },

    /// The primitive has no meaning on this target.
    #[error("{primitive} is not available on the {target} target: {reason}")]
    Unsupported {
        primitive: String,
        target: String,
        reason: String,
    },

    /// A rollout reported an error (for example its progress deadline was exceeded).
    #[error("{object} on {target}: {message}")]
    Rollout {
        object: String,
        target: String,
        message: String,
    },

    /// Waiting ran out of time.
    #[error("{object} on {target}: timed out waiting for the condition after {after} ({last})")]
    Timeout {
        object: String,
        target: String,
        after: String,
        last: String,
    },

    /// The run was cancelled (Ctrl-C or the run's --timeout).
    #[error("{what}: cancelled ({why})")]
    Cancelled { what: String, why: String },

    /// The target could not be reached or answered with an error.
    #[error("{target}: {message}")]
    Cluster {
        target: String,
        message: String,
        /// Whether trying again can help.
        retry: Retry,
        /// The client's own error (an HTTP or API error), kept for its chain.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// Another run holds the lock on the object (a Lease on Kubernetes); nothing was changed.
    #[error(
        "{object} on {target} is being changed by another run: {}, since {} (renewed {}); wait for it to end, or pass --force-unlock if that run is gone",
        .held.holder, .held.since, .held.renewed
    )]
    Locked {
        object: String,
        target: String,
        held: Box<LockHeld>,
    },

    /// The target lacks what a playbook or primitive needs (traffic weights, a metrics
    /// source, ...); found before anything changed.
    #[error("{needed_by} needs {capability}, which the {target} target does not have: {reason}")]
    MissingCapability {
        capability: String,
        target: String,
        needed_by: String,
        reason: String,
    },
}

/// The run that holds a lock another run asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHeld {
    /// Its identity (`rollplay run rolling, pid 4242 on ci-runner-7`).
    pub holder: String,
    /// When it took the lock, and last renewed it (RFC 3339).
    pub since: String,
    pub renewed: String,
}

/// What a caller may do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Retry {
    /// The target was unavailable or overloaded for a moment: the same request may succeed.
    Transient,
    /// The object changed under the request: read it again and redo the change.
    Conflict,
    /// Trying again gives the same answer.
    Final,
}

impl Error {
    /// Exit-code class of this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Manifest { .. }
            | Error::BadInput { .. }
            | Error::NotFound { .. }
            | Error::Refused { .. }
            | Error::Unsupported { .. }
            | Error::Locked { .. }
            | Error::MissingCapability { .. } => ErrorClass::BadInput,
            Error::Rollout { .. }
            | Error::Timeout { .. }
            | Error::Cancelled { .. }
            | Error::Cluster { .. } => ErrorClass::Failed,
        }
    }

    /// A short machine-readable kind, exposed to scripts as `err.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Manifest { .. } => "invalid_manifest",
            Error::BadInput { .. } => "bad_input",
            Error::NotFound { .. } => "not_found",
            Error::Refused { .. } => "refused",
            Error::Unsupported { .. } => "unsupported",
            Error::Rollout { .. } => "rollout_failed",
            Error::Timeout { .. } => "timeout",
            Error::Cancelled { .. } => "cancelled",
            Error::Cluster { .. } => "cluster_error",
            Error::MissingCapability { .. } => "missing_capability",
            Error::Locked { .. } => "locked",
        }
    }

    /// Whether retrying can help: only a target's own transient failures and conflicts.
    pub fn retry(&self) -> Retry {
        match self {
            Error::Cluster { retry, .. } => *retry,
            _ => Retry::Final,
        }
    }

    /// A target's failure, with the client error that caused it.
    pub fn cluster(
        target: impl Into<String>,
        message: impl Into<String>,
        retry: Retry,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Cluster {
            target: target.into(),
            message: message.into(),
            retry,
            source,
        }
    }

    pub fn bad_input(what: impl Into<String>, message: impl Into<String>) -> Self {
        Error::BadInput {
            what: what.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
