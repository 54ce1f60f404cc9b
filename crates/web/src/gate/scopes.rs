//! Which scopes each /api/v1 operation needs, read from the OpenAPI document: every handler's
//! `#[utoipa::path]` declares them in `security(("api_key" = [...]))`, and the document shows
//! them as `x-required-scopes` (see `api::openapi::shared`). The gate enforces exactly what the
//! document says, so the reference cannot promise one scope while the server checks another.
//!
//! An operation is looked up by the route axum matched (`MatchedPath`), never by a prefix of
//! the URL. An operation that declares nothing is refused to every machine credential: a
//! forgotten declaration closes the route instead of opening it.

use axum::http::Method;
use serde_json::Value;
use shortlist_app::credentials::Scope;
use std::collections::HashMap;

/// The document member that lists an operation's scopes.
pub const EXTENSION: &str = "x-required-scopes";

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// What the gate knows about one request's route.
#[derive(Debug, PartialEq, Eq)]
pub enum Need<'a> {
    /// Every one of these scopes (none: the operation needs no scope, said so explicitly).
    Scopes(&'a [Scope]),
    /// The route exists but declares nothing for this method; `allow` lists the methods it
    /// declares.
    Undeclared { allow: Vec<Method> },
}

#[derive(Debug, Default, Clone)]
pub struct ScopeTable {
    /// Path as the document writes it (`/invitations/{id}`) → (method, scopes).
    ops: HashMap<String, Vec<(Method, Vec<Scope>)>>,
}

impl ScopeTable {
    /// Every operation of `doc` with its `x-required-scopes`, plus `public`: routes outside the
    /// document that need no credentials at all (the document itself). An operation without the
    /// member, or naming a scope that does not exist, is left out (so refused) and reported in
    /// the error list.
    pub fn from_document(doc: &Value, public: &[&str]) -> (Self, Vec<String>) {
        let mut t = ScopeTable::default();
        let mut errors = vec![];
        for p in public {
            for m in [Method::GET, Method::HEAD] {
                t.ops.entry((*p).to_string()).or_default().push((m, vec![]));
            }
        }
        let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
            errors.push("the document has no paths".to_string());
            return (t, errors);
        };
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                match declared(op) {
                    Ok(scopes) => {
                        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap_or(Method::GET);
                        let entry = t.ops.entry(path.clone()).or_default();
                        if m == Method::GET {
                            entry.push((Method::HEAD, scopes.clone()));
                        }
                        entry.push((m, scopes));
                    }
                    Err(e) => errors.push(format!("{} {path}: {e}", method.to_uppercase())),
                }
            }
        }
        (t, errors)
    }

    /// What a request to `route` (axum's matched path, with or without the `/api/v1` prefix)
    /// needs; `None` when the path is no operation of the API.
    pub fn need(&self, method: &Method, route: &str) -> Option<Need<'_>> {
        let route = route.strip_prefix("/api/v1").unwrap_or(route);
        // axum writes a rest-of-path parameter `{*key}`; the document writes `{key}`.
        let route = route.replace("{*", "{");
        let ops = self.ops.get(&route)?;
        Some(match ops.iter().find(|(m, _)| m == method) {
            Some((_, scopes)) => Need::Scopes(scopes),
            None => Need::Undeclared {
                allow: ops.iter().map(|(m, _)| m.clone()).collect(),
            },
        })
    }
}

/// The scopes an operation of the document declares.
fn declared(op: &Value) -> Result<Vec<Scope>, String> {
    let list = op
        .get(EXTENSION)
        .and_then(Value::as_array)
        .ok_or_else(|| "declares no scope: add security((\"api_key\" = [...])) to its #[utoipa::path]".to_string())?;
    list.iter()
        .map(|s| {
            s.as_str()
                .ok_or_else(|| format!("{EXTENSION} holds a non-string: {s}"))
                .and_then(Scope::parse)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_are_found_by_their_route_and_undeclared_ones_are_reported() {
        let doc = json!({ "paths": {
            "/invitations/{id}/review": { "get": { EXTENSION: ["results:read"] } },
            "/media/{key}": { "get": { EXTENSION: ["media:read"] } },
            "/me": { "get": { EXTENSION: [] } },
            "/forgot": { "get": {}, "post": { EXTENSION: ["templates:bogus"] } },
        }});
        let (t, errors) = ScopeTable::from_document(&doc, &["/openapi.json"]);
        assert_eq!(errors.len(), 2, "{errors:?}");
        let read = |r: &str| Scope::parse(r).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            t.need(&Method::GET, "/api/v1/invitations/{id}/review"),
            Some(Need::Scopes(&[read("results:read")]))
        );
        assert_eq!(
            t.need(&Method::HEAD, "/api/v1/media/{*key}"),
            Some(Need::Scopes(&[read("media:read")]))
        );
        assert_eq!(t.need(&Method::GET, "/me"), Some(Need::Scopes(&[])));
        assert_eq!(t.need(&Method::GET, "/openapi.json"), Some(Need::Scopes(&[])));
        assert!(matches!(t.need(&Method::DELETE, "/me"), Some(Need::Undeclared { .. })));
        // Nothing usable declared: unknown to the table, which the gate refuses for a matched route.
        assert_eq!(t.need(&Method::GET, "/forgot"), None);
        assert_eq!(t.need(&Method::GET, "/nowhere"), None);
    }
}
