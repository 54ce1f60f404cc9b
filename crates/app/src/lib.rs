//! Use cases (services), the ports they need (mail, clock-free time via `store::now`), and the
//! background job kinds with the worker that runs them.

pub mod accounts;
pub mod clock;
pub mod connectors;
pub mod credentials;
pub mod error;
pub mod events;
pub mod faults;
pub mod interview;
pub mod jobs;
pub mod links;
pub mod mailer;
pub mod media_type;
pub mod notify;
pub mod outbound;
pub mod paging;
pub mod passwords;
pub mod recruiting;
pub mod review;
pub mod secrets;
pub mod storage;
pub mod tokens;
pub mod uploads;
pub mod webhooks;

pub use error::AppError;
