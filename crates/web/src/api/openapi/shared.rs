//! What every operation of /api/v1 shares, added to the generated document in one place rather
//! than repeated on each handler: the ways to authenticate (checked by `crate::gate`), the
//! problem+json answers the gate and the extractors give to any request, `Idempotency-Key` on
//! POST and the rate-limit headers.
//!
//! Each operation's annotation declares the scopes it needs as `security(("api_key" =
//! ["results:read"]))` (an empty list: no scope, explicitly). Here that declaration becomes the
//! operation's full security requirements (the same scopes for partners; sessions have no
//! scopes), the `x-required-scopes` member the gate enforces, and a line of its description.

use serde_json::{Map, Value, json};

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Shared error answers: (status, name in components/responses, what it means).
pub const ERRORS: [(&str, &str, &str); 9] = [
    (
        "400",
        "BadRequest",
        "`bad_request`: the request could not be read; `invalid_idempotency_key`: the key is not 1–255 ASCII characters.",
    ),
    (
        "401",
        "Unauthorized",
        "No or unusable credentials: `unauthorized`, `malformed_credentials`, `invalid_credentials`, `credential_revoked`, `credential_expired`.",
    ),
    (
        "403",
        "Forbidden",
        "The credentials may not do this: `forbidden` (role or organisation), `insufficient_scope` (the credential lacks a scope the operation declares; `required_scopes` lists them), `ip_not_allowed`, `partner_suspended`, and the partner refusals of the partner guide.",
    ),
    (
        "404",
        "NotFound",
        "`not_found`: no such object in the caller's organisation (objects of other organisations are never revealed).",
    ),
    (
        "409",
        "Conflict",
        "The object's state does not allow this (the `code` says which rule), or `idempotency_in_progress`: a request with the same `Idempotency-Key` is still running.",
    ),
    (
        "413",
        "PayloadTooLarge",
        "`payload_too_large`: the body is over the limit.",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "`unsupported_media_type`: send JSON with `Content-Type: application/json`.",
    ),
    (
        "422",
        "ValidationFailed",
        "`validation_failed`: `errors` names each field at fault and why; or `idempotency_key_mismatch`: the same `Idempotency-Key` came with a different request.",
    ),
    (
        "429",
        "RateLimited",
        "`rate_limited`: the credential's rate limit is used up; retry after `Retry-After` seconds.",
    ),
];

const RATE_HEADERS: [(&str, &str); 3] = [
    (
        "RateLimit-Limit",
        "Requests the credential may burst (machine callers only).",
    ),
    ("RateLimit-Remaining", "Requests left in the current burst."),
    ("RateLimit-Reset", "Seconds until the burst is full again."),
];

/// Adds the shared parts to `doc` (an OpenAPI document as JSON).
pub fn apply(doc: &mut Value) {
    components(doc);
    doc["security"] = json!([
        { "api_key": [] },
        { "partner_key": [], "partner_user": [] },
        { "session": [] },
    ]);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            if let Some(op) = item.get_mut(method) {
                operation(path, method, op);
            }
        }
    }
}

fn components(doc: &mut Value) {
    let c = doc
        .as_object_mut()
        .map(|d| d.entry("components").or_insert_with(|| json!({})));
    let Some(c) = c else { return };
    c["securitySchemes"] = json!({
        "api_key": {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation API key or a personal access token: `Authorization: Bearer <key>`. Organisation keys carry scopes (`templates:read`, `invitations:write`, …) and act for no user.",
        },
        "partner_key": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Shortlist-Partner-Authorization",
            "description": "A partner's credentials: base64 of `key:secret`. Always with `X-Shortlist-User-Email`.",
        },
        "partner_user": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Shortlist-User-Email",
            "description": "The e-mail of an existing user of an organisation the partner may serve; the request acts as that user with that user's permissions.",
        },
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": "shortlist_session",
            "description": "A signed-in browser's session (the web app itself).",
        },
    });
    let mut headers = Map::new();
    for (name, description) in RATE_HEADERS {
        headers.insert(
            name.into(),
            json!({ "description": description, "schema": { "type": "integer", "minimum": 0 } }),
        );
    }
    headers.insert(
        "Retry-After".into(),
        json!({ "description": "Seconds to wait before trying again.", "schema": { "type": "integer", "minimum": 0 } }),
    );
    c["headers"] = Value::Object(headers);
    let mut responses = Map::new();
    for (status, name, description) in ERRORS {
        let mut r = json!({
            "description": description,
            "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } },
        });
        if status == "429" {
            r["headers"] = rate_headers(true);
        }
        responses.insert(name.into(), r);
    }
    c["responses"] = Value::Object(responses);
    c["parameters"] = json!({
        "IdempotencyKey": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "Any 1–255 ASCII characters, new for each intended change. The same key with the same request answers the first response again (status and body) without doing the work twice; with a different request 422; while the first is still running 409. Keys are kept 24 hours.",
            "schema": { "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$" },
        },
    });
}

fn rate_headers(retry: bool) -> Value {
    let mut h = Map::new();
    for (name, _) in RATE_HEADERS {
        h.insert(name.into(), json!({ "$ref": format!("#/components/headers/{name}") }));
    }
    if retry {
        h.insert(
            "Retry-After".into(),
            json!({ "$ref": "#/components/headers/Retry-After" }),
        );
    }
    Value::Object(h)
}

/// Which shared errors an operation can answer with, from its shape.
fn errors_of(path: &str, method: &str, op: &Value) -> Vec<&'static str> {
    let has_body = op.get("requestBody").is_some();
    let json_body = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
        .is_some_and(|c| c.contains_key("application/json"));
    let has_params = op
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty());
    let mut out = vec!["401", "403", "429"];
    if method == "post" || has_body {
        out.extend(["400", "413"]);
    }
    if path.contains('{') || has_body {
        out.push("404");
    }
    if method == "post" {
        out.push("409");
    }
    if json_body {
        out.push("415");
    }
    if has_body || has_params || method == "post" {
        out.push("422");
    }
    out
}

/// The scopes the annotation declared on the `api_key` scheme; `None` when it declared none.
fn declared_scopes(op: &Value) -> Option<Vec<Value>> {
    op.get("security")?
        .as_array()?
        .iter()
        .find_map(|r| r.get("api_key"))?
        .as_array()
        .cloned()
}

/// Security requirements, `x-required-scopes` and a sentence of the description, from the
/// declared scopes. An operation that declared nothing is left without them: the gate refuses
/// it to machine credentials and the tests name it.
fn scopes(op: &mut Value) {
    let Some(scopes) = declared_scopes(op) else { return };
    let names: Vec<String> = scopes
        .iter()
        .filter_map(Value::as_str)
        .map(|s| format!("`{s}`"))
        .collect();
    let line = match names.len() {
        0 => "Required scope: none.".to_string(),
        1 => format!("Required scope: {} (API keys, personal tokens and partners).", names[0]),
        _ => format!(
            "Required scopes: {} (API keys, personal tokens and partners).",
            names.join(" and ")
        ),
    };
    let description = match op.get("description").and_then(Value::as_str) {
        Some(d) if !d.is_empty() => format!("{d}\n\n{line}"),
        _ => line,
    };
    op["description"] = Value::from(description);
    op["security"] = json!([
        { "api_key": scopes },
        { "partner_key": scopes, "partner_user": [] },
        { "session": [] },
    ]);
    op[crate::gate::scopes::EXTENSION] = Value::Array(scopes);
}

fn operation(path: &str, method: &str, op: &mut Value) {
    scopes(op);
    let errors = errors_of(path, method, op);
    if method == "post"
        && let Some(o) = op.as_object_mut()
        && let Some(params) = o.entry("parameters").or_insert_with(|| json!([])).as_array_mut()
    {
        params.push(json!({ "$ref": "#/components/parameters/IdempotencyKey" }));
    }
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    for r in responses.values_mut() {
        if let Some(r) = r.as_object_mut() {
            let headers = r.entry("headers").or_insert_with(|| json!({}));
            if let (Some(h), Value::Object(rate)) = (headers.as_object_mut(), rate_headers(false)) {
                h.extend(rate);
            }
        }
    }
    for status in errors {
        if responses.contains_key(status) {
            continue;
        }
        if let Some((_, name, _)) = ERRORS.iter().find(|(s, _, _)| *s == status) {
            responses.insert(
                status.into(),
                json!({ "$ref": format!("#/components/responses/{name}") }),
            );
        }
    }
}
