//! The client-facing error vocabulary. Web surfaces turn it into problem+json, HTML pages or an
//! ATS's own error format; `Internal` carries detail for the log only.

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("invalid input")]
    Validation { fields: Vec<FieldError> },
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// An upload over its limit; the message names the limit ("at most 5 MiB").
    #[error("The file is too large: at most {} is accepted.", human_size(*limit_bytes))]
    TooLarge { limit_bytes: u64 },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl AppError {
    /// The environmental fault behind an internal error (database down, disk full), if any.
    pub fn fault(&self) -> Option<crate::faults::Fault> {
        match self {
            AppError::Internal(inner) => crate::faults::classify_anyhow(inner),
            _ => None,
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Validation {
            fields: vec![FieldError {
                field: field.into(),
                message: message.into(),
            }],
        }
    }

    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Conflict { code, .. } => code,
            AppError::Validation { .. } => "validation_failed",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::TooLarge { .. } => "payload_too_large",
            AppError::Internal(inner) => match crate::faults::classify_anyhow(inner) {
                Some(crate::faults::Fault::DatabaseUnavailable) => "service_unavailable",
                Some(crate::faults::Fault::StorageFull) => "insufficient_storage",
                None => "internal",
            },
        }
    }
}

/// A size in words: "5 MiB", "512 KiB", "300 bytes".
pub fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    match bytes {
        b if b >= GIB && b % GIB == 0 => format!("{} GiB", b / GIB),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= MIB => format!("{:.1} MiB", b as f64 / MIB as f64),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(e.into())
    }
}
