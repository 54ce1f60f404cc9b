//! An invitation's `metadata`: string pairs an integration keeps on it (its own ids, the
//! recruiter) and gets back on every read. The check and the OpenAPI schema ([`Metadata`]) are
//! built from the same limits, so the document says exactly what is accepted.

use crate::AppError;
use serde_json::{Map, Value};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

pub const METADATA_MAX_PAIRS: usize = 50;
/// In characters (as JSON Schema's `maxLength` counts), like [`METADATA_MAX_VALUE`].
pub const METADATA_MAX_KEY: usize = 64;
pub const METADATA_MAX_VALUE: usize = 1024;

/// Refuses more than [`METADATA_MAX_PAIRS`] entries, empty or long keys and values that are
/// not short strings: integrations filter on these values, so they stay plain text.
pub(crate) fn check(m: &Map<String, Value>) -> Result<(), AppError> {
    if m.len() > METADATA_MAX_PAIRS {
        return Err(AppError::field(
            "metadata",
            format!("at most {METADATA_MAX_PAIRS} entries"),
        ));
    }
    for (k, v) in m {
        let ok_key = !k.is_empty() && k.chars().count() <= METADATA_MAX_KEY;
        let ok_value = v.as_str().is_some_and(|s| s.chars().count() <= METADATA_MAX_VALUE);
        if !ok_key || !ok_value {
            return Err(AppError::field(
                &format!("metadata.{k}"),
                format!("keys of 1–{METADATA_MAX_KEY} characters with string values of at most {METADATA_MAX_VALUE}"),
            ));
        }
    }
    Ok(())
}

/// Only the schema of `metadata` in the OpenAPI document (`#[schema(value_type = Metadata)]`
/// on the fields that carry it); the values themselves stay JSON objects.
pub struct Metadata;

fn text(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(METADATA_MAX_VALUE))
        .description(Some(description))
}

impl utoipa::PartialSchema for Metadata {
    fn schema() -> RefOr<Schema> {
        let description = format!(
            "String pairs kept on the invitation and returned on every read, for example the \
             ATS's `candidateId` and `applicationId` and the recruiter's `user_email`. At most \
             {METADATA_MAX_PAIRS} entries; keys of 1–{METADATA_MAX_KEY} and values of at most \
             {METADATA_MAX_VALUE} characters; every value is a string. Anything else is \
             422 `validation_failed` naming `metadata.<key>`."
        );
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(description))
            .property(
                "candidateId",
                text("The candidate's id in the ATS (`candidate_id` of `GET /invitations` and `GET /results`)."),
            )
            .property(
                "applicationId",
                text("The application's id in the ATS (`application_id` of `GET /invitations` and `GET /results`)."),
            )
            .property("user_email", text("The ATS user the invitation was sent for."))
            .additional_properties(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(METADATA_MAX_VALUE)),
            ))
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(METADATA_MAX_KEY)),
            ))
            .max_properties(Some(METADATA_MAX_PAIRS))
            .examples([serde_json::json!({
                "candidateId": "C-1042",
                "applicationId": "A-77",
                "user_email": "recruiter@acme.example.com",
            })])
            .into()
    }
}

impl utoipa::ToSchema for Metadata {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn strings_within_the_limits_pass_and_nothing_else() {
        assert!(check(&map(json!({ "candidateId": "C-1", "user_email": "r@example.com" }))).is_ok());
        assert!(check(&map(json!({ "candidateId": 17 }))).is_err());
        assert!(check(&map(json!({ "": "x" }))).is_err());
        assert!(check(&map(json!({ "k".repeat(METADATA_MAX_KEY + 1): "x" }))).is_err());
        assert!(check(&map(json!({ "k": "v".repeat(METADATA_MAX_VALUE + 1) }))).is_err());
        // Characters, not bytes: a key of accented letters at the limit passes.
        assert!(
            check(&map(
                json!({ "é".repeat(METADATA_MAX_KEY): "ü".repeat(METADATA_MAX_VALUE) })
            ))
            .is_ok()
        );
        let many: Map<String, Value> = (0..=METADATA_MAX_PAIRS)
            .map(|i| (format!("k{i}"), json!("v")))
            .collect();
        assert!(check(&many).is_err());
    }
}
