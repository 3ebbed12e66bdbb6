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
    #[error("{0} not found")]
    NotFound(String),
    /// Concurrent commands kept changing the stream under this one.
    #[error("the {stream_id} stream kept changing; try again")]
    Aborted { stream_id: String },
    #[error("not implemented yet: {0}")]
    Unimplemented(&'static str),
    #[error("unauthenticated")]
    Unauthenticated,
    #[error(transparent)]
    Store(#[from] eventstore::Error),
    /// A read model failed to answer.
    #[error(transparent)]
    View(#[from] projections::Error),
    /// The caller asked to read its own write and the view did not get there in time.
    #[error("the {view} view has not caught up with the requested position yet; try again")]
    ViewBehind { view: String },
    /// A fault of ours (e.g. a stored event this build cannot read).
    #[error("internal error: {0}")]
    Internal(String),
}

fn describe(violations: &[(String, String)]) -> String {
    violations
        .iter()
        .map(|(field, reason)| format!("{field} {reason}"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// One field is wrong.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![(field.into(), reason.into())])
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
            DomainError::ReportNotReceived => Self::NotFound("report".into()),
            DomainError::CaseNotOpened => Self::NotFound("case".into()),
            DomainError::UnknownStoredEvent { .. } => Self::Internal(error.to_string()),
            refused => Self::Refused(refused),
        }
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match &error {
            Error::InvalidArgument(violations) => {
                let mut details = ErrorDetails::new();
                for (field, reason) in violations {
                    details.add_bad_request_violation(field.clone(), reason.clone());
                }
                Status::with_error_details(Code::InvalidArgument, error.to_string(), details)
            }
            Error::Refused(_) => Status::failed_precondition(error.to_string()),
            Error::NotFound(_) => Status::not_found(error.to_string()),
            Error::Aborted { .. } => Status::aborted(error.to_string()),
            Error::Unimplemented(_) => Status::unimplemented(error.to_string()),
            Error::Unauthenticated => Status::unauthenticated("a valid bearer token is required"),
            Error::Store(store) if store.is_unavailable() => {
                tracing::warn!(error = %store, "database unavailable");
                Status::unavailable("the database is unavailable; try again")
            }
            Error::View(projections::Error::Store(store)) if store.is_unavailable() => {
                tracing::warn!(error = %store, "database unavailable");
                Status::unavailable("the database is unavailable; try again")
            }
            Error::ViewBehind { .. } => Status::unavailable(error.to_string()),
            Error::Store(_) | Error::Internal(_) | Error::View(_) => {
                // Details stay in our logs; the caller learns only that it was not their fault.
                tracing::error!(%error, "command failed");
                Status::internal("internal error")
            }
        }
    }
}
