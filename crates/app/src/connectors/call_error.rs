//! How a connector's inbound call is refused, before its web layer words it in the ATS's own
//! error format (Greenhouse's `{"message","errors"}`, Workable's `{"error","errors"}`).

use crate::AppError;

#[derive(Debug)]
pub enum CallError {
    /// The fields at fault, in words for the ATS's user.
    Invalid(Vec<(String, String)>),
    /// A second order while the first is open, on a connection that refuses those.
    Duplicate(String),
    NotFound(String),
    App(AppError),
}

impl CallError {
    /// One field at fault.
    pub fn field(field: &str, message: impl Into<String>) -> CallError {
        CallError::Invalid(vec![(field.to_string(), message.into())])
    }
}

impl From<AppError> for CallError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation { fields } => {
                CallError::Invalid(fields.into_iter().map(|f| (f.field, f.message)).collect())
            }
            e => CallError::App(e),
        }
    }
}

impl From<sqlx::Error> for CallError {
    fn from(e: sqlx::Error) -> Self {
        CallError::App(e.into())
    }
}
