//! Connectors to applicant tracking systems: inbound events, outbound clients, mapping to the
//! recruiting use cases.

pub mod icims;
