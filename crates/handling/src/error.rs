use domain::DomainError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

/// Why a command or query failed. `From<Error> for Status` is the one place these become gRPC
/// status codes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: the fields and what is wrong with each. Nothing was written.
    #[error("invalid request: {}", describe(.0))]
    InvalidArgument(Vec<(String, String)>),
    /// The lifecycle does not allow this step now.
    #[error("{0}")]
    Refused(DomainError),
    /// The case or report does not exist, or the caller may not reach it: which one, the
    /// answer does not say.
    #[error(
        "no {0} with this id that you may reach: it does not exist, or its municipality is not \
         one your token serves"
    )]
    OutOfReach(&'static str),
    /// The caller may not see what it asked for (say, a municipality its token does not serve).
    #[error("{0}")]
    Denied(String),
    /// Concurrent commands kept changing the stream under this one.
    #[error("the {stream_id} stream kept changing; try again")]
    Aborted { stream_id: String },
    #[error("not implemented yet: {0}")]
    Unimplemented(&'static str),
    #[error("unauthenticated")]
    Unauthenticated,
    #[error(transparent)]
    Store(eventstore::Error),
    /// A read model failed to answer: for a moment (`retry`: the database away, or the view
    /// not yet at the position asked for), or for good.
    #[error("{message}")]
    View { message: String, retry: bool },
    /// A fault of ours (e.g. a stored event this build cannot read).
    #[error("internal error: {0}")]
    Internal(String),
}

/// The violations on one line, stopping once past what an answer's message carries
/// ([`MAX_MESSAGE`]), so a thousand of them are not all written out to be cut.
fn describe(violations: &[(String, String)]) -> String {
    let mut line = String::new();
    for (field, reason) in violations {
        if line.len() > MAX_MESSAGE {
            break;
        }
        if !line.is_empty() {
            line.push_str("; ");
        }
        line.push_str(field);
        line.push(' ');
        line.push_str(reason);
    }
    line
}

impl Error {
    /// One field is wrong.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![(field.into(), reason.into())])
    }

    /// A command id sent again with another command than the first: the caller's mistake,
    /// answered as such rather than with the first command's result.
    pub fn command_id_reused() -> Self {
        Self::invalid(
            "command_id",
            "was already used for another command; send a new id for a new command",
        )
    }
}

impl Error {
    /// A read model's failure, as the services answer it. Which one it was, this crate does
    /// not know (the read models are the query side's); whether to try again, it reads from
    /// the error's chain: the store or its driver away, or a wait that timed out.
    pub fn view(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        let mut away = false;
        let mut timed_out = false;
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(cause) = next {
            away |= cause
                .downcast_ref::<eventstore::Error>()
                .is_some_and(eventstore::Error::is_unavailable)
                || cause.downcast_ref::<sqlx::Error>().is_some_and(|error| {
                    matches!(
                        error,
                        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
                    )
                });
            timed_out |= cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|error| error.kind() == std::io::ErrorKind::TimedOut);
            next = cause.source();
        }
        match (away, timed_out) {
            // The driver's words stay in the log.
            (true, _) => {
                tracing::warn!(%error, "database unavailable");
                Self::View {
                    message: "the database is unavailable".into(),
                    retry: true,
                }
            }
            (false, retry) => Self::View {
                message: error.to_string(),
                retry,
            },
        }
    }
}

impl From<eventstore::Error> for Error {
    fn from(error: eventstore::Error) -> Self {
        match error {
            eventstore::Error::CommandIdReused { .. } => Self::command_id_reused(),
            other => Self::Store(other),
        }
    }
}

impl From<DomainError> for Error {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::InvalidField { field, reason } => {
                Self::InvalidArgument(vec![(field, reason)])
            }
            DomainError::NoRuleSetInForce { date } => {
                Self::invalid("received_at", format!("no act in force on {date}"))
            }
            DomainError::ReportNotReceived => Self::OutOfReach("report"),
            DomainError::CaseNotOpened => Self::OutOfReach("case"),
            DomainError::UnknownStoredEvent { .. } => Self::Internal(error.to_string()),
            refused => Self::Refused(refused),
        }
    }
}

/// The longest message an answer carries, and the longest field name or reason of a
/// violation. A reason may quote what the caller sent; quoting 200,000 characters back would
/// make the answer's headers larger than HTTP/2 peers accept (found by `tests/it/fuzz.rs`),
/// so quotes are cut.
const MAX_MESSAGE: usize = 1000;
const MAX_VIOLATION_TEXT: usize = 300;
/// The most text of violations one answer carries. The details travel in a header, and HTTP/2
/// peers refuse headers past 16 KiB (tonic's client does): a request with a thousand bad list
/// items would otherwise be answered with nothing but a transport error. Past this, one last
/// violation says how many more there are.
const MAX_VIOLATIONS_TEXT: usize = 6 * 1024;

fn clip(text: String) -> String {
    clip_to(text, MAX_MESSAGE)
}

fn clip_to(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… (cut)", &text[..end])
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match &error {
            Error::InvalidArgument(violations) => {
                let mut details = ErrorDetails::new();
                let mut size = 0;
                for (index, (field, reason)) in violations.iter().enumerate() {
                    if size >= MAX_VIOLATIONS_TEXT {
                        details.add_bad_request_violation(
                            "request",
                            format!(
                                "and {} more violations like these; fix these and send again",
                                violations.len() - index
                            ),
                        );
                        break;
                    }
                    let (field, reason) = (
                        clip_to(field.clone(), MAX_VIOLATION_TEXT),
                        clip_to(reason.clone(), MAX_VIOLATION_TEXT),
                    );
                    size += field.len() + reason.len();
                    details.add_bad_request_violation(field, reason);
                }
                Status::with_error_details(Code::InvalidArgument, clip(error.to_string()), details)
            }
            Error::Refused(_) => Status::failed_precondition(clip(error.to_string())),
            Error::OutOfReach(_) | Error::Denied(_) => {
                Status::permission_denied(clip(error.to_string()))
            }
            Error::Aborted { .. } => Status::aborted(clip(error.to_string())),
            Error::Unimplemented(_) => Status::unimplemented(clip(error.to_string())),
            Error::Unauthenticated => Status::unauthenticated("a valid bearer token is required"),
            Error::Store(store) if store.is_unavailable() => {
                tracing::warn!(error = %store, "database unavailable");
                Status::unavailable("the database is unavailable; try again")
            }
            Error::View {
                message,
                retry: true,
            } => Status::unavailable(clip(format!("{message}; try again"))),
            Error::Store(_) | Error::Internal(_) | Error::View { retry: false, .. } => {
                // Details stay in our logs; the caller learns only that it was not their fault.
                tracing::error!(%error, "command failed");
                Status::internal("internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thousand_violations_fit_in_an_answer_and_say_how_many_more() {
        use tonic_types::StatusExt as _;
        let violations = (0..1000)
            .map(|index| {
                (
                    format!("concerns[{index}]"),
                    "has unknown value 42".to_owned(),
                )
            })
            .collect();
        let status = Status::from(Error::InvalidArgument(violations));
        let named = status
            .get_details_bad_request()
            .expect("BadRequest")
            .field_violations;
        let text: usize = named
            .iter()
            .map(|v| v.field.len() + v.description.len())
            .sum();
        assert!(text < 8 * 1024, "{text}");
        assert_eq!(named[0].field, "concerns[0]");
        let last = named.last().expect("a last violation");
        assert_eq!(last.field, "request");
        assert!(
            last.description
                .contains(&format!("and {} more", 1000 - (named.len() - 1))),
            "{last:?}"
        );
        assert!(status.message().len() <= MAX_MESSAGE + "… (cut)".len());
    }

    #[test]
    fn answers_cut_what_they_quote_at_a_character_boundary() {
        let status = Status::from(Error::invalid(
            "name",
            format!("{:?} is too long", "ø".repeat(100_000)),
        ));
        assert!(status.message().len() <= MAX_MESSAGE + "… (cut)".len());
        assert!(status.message().ends_with("… (cut)"));
        assert_eq!(clip_to("short".into(), 300), "short");
        // 'ø' is two bytes: a cut at an odd byte moves back to a boundary.
        assert_eq!(clip_to("øøø".into(), 3), "ø… (cut)");
    }
}
