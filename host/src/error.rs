//! The host's one error type: a failure with the kind that picks the exit status, so a script
//! can tell "nothing to hand off" from "broken". Other errors (anyhow's) are plain failures.

use handoff_plugin_api::ErrorKind;

/// What went wrong, as far as the exit status tells it. The codes are documented in the README
/// and in `handoff --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Anything else: a file that cannot be read or written, a session that did not verify.
    Failure,
    /// The command line does not work: a missing or unknown agent, an ambiguous id prefix, an id
    /// that could be a path.
    Usage,
    /// No session to hand off: none for the project, none with that id, or an empty one.
    NoSession,
    /// The session exists but cannot be read as one.
    InvalidSession,
    /// The agent cannot do that: it has no writer, or its store is newer than this handoff knows.
    Unsupported,
    /// An adapter broke: it crashed, hung, answered garbage, or speaks another protocol version.
    Adapter,
    /// stdout was closed by its reader (`| head`): the end of its interest, not a failure.
    ClosedOutput,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::ClosedOutput => 0,
            Kind::Failure => 1,
            Kind::Usage => 2,
            Kind::NoSession => 3,
            Kind::InvalidSession => 4,
            Kind::Unsupported => 5,
            Kind::Adapter => 6,
        }
    }
}

impl From<ErrorKind> for Kind {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::NotFound => Kind::NoSession,
            ErrorKind::Ambiguous => Kind::Usage,
            ErrorKind::Unsupported => Kind::Unsupported,
            ErrorKind::InvalidInput => Kind::InvalidSession,
            ErrorKind::Io => Kind::Failure,
            ErrorKind::Internal => Kind::Adapter,
        }
    }
}

/// A failure whose kind is known. Adapters' errors keep their own kind (`adapter`) for the
/// callers that tell "not found" from the rest.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub kind: Kind,
    /// The adapter's own kind, when an adapter said so.
    pub adapter: Option<ErrorKind>,
    pub message: String,
}

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            adapter: None,
            message: message.into(),
        }
    }

    pub fn from_adapter(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            adapter: Some(kind),
            message: message.into(),
        }
    }

    /// Whether an adapter said there is no such session (the one failure listings pass over).
    pub fn is_not_found(&self) -> bool {
        self.adapter == Some(ErrorKind::NotFound)
    }
}

/// Whether an adapter said there is no such session (the one failure a lookup passes over).
pub fn is_not_found(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<Error>()
        .is_some_and(Error::is_not_found)
}

/// The kind of any error: the first [`Error`] in its chain, a closed stdout, or a plain failure.
pub fn kind_of(error: &anyhow::Error) -> Kind {
    for cause in error.chain() {
        if let Some(known) = cause.downcast_ref::<Error>() {
            return known.kind;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return Kind::ClosedOutput;
        }
    }
    Kind::Failure
}

/// `Err(Error)` of `kind`, for `?` in functions returning anyhow's `Result`.
pub fn fail<T>(kind: Kind, message: impl Into<String>) -> anyhow::Result<T> {
    Err(Error::new(kind, message).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_known_kind_in_the_chain_wins() {
        let error = anyhow::Error::from(Error::new(Kind::NoSession, "none")).context("outer");
        assert_eq!(kind_of(&error), Kind::NoSession);
        assert_eq!(kind_of(&anyhow::anyhow!("plain")), Kind::Failure);
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert_eq!(kind_of(&anyhow::Error::from(pipe)), Kind::ClosedOutput);
    }
}
