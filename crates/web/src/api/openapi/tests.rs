//! The document covers every /api/v1 route. The routes are read from the router sources (every
//! `.route(...)` in `api/`, `review/api.rs` and `auth.rs`'s `api_routes`), so a new endpoint
//! without an entry fails here.

use super::document;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// Routes of this module, about the document itself.
const SELF: [&str; 2] = ["/openapi.json", "/docs"];

/// `(METHOD, /path/{param})` of every `.route("…", get(…).post(…))` call in `src`.
fn routes_in(src: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut rest = src;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        // The call's arguments: up to the parenthesis that closes `.route(`.
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                depth == 0
            })
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let call = &rest[..end];
        let Some(path) = call.split('"').nth(1) else { continue };
        // `{*key}` (axum's rest-of-path) is `{key}` in OpenAPI.
        let path = path.replace("{*", "{");
        for method in ["get", "post", "put", "patch", "delete"] {
            let mut from = 0;
            while let Some(i) = call[from..].find(&format!("{method}(")) {
                let i = from + i;
                let before = call[..i].chars().last();
                if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    out.push((method.to_uppercase(), path.clone()));
                }
                from = i + method.len();
            }
        }
    }
    out
}

fn read(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn api_routes() -> BTreeSet<(String, String)> {
    let mut srcs = vec![];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    for e in std::fs::read_dir(&dir).expect("src/api") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "rs") {
            srcs.push(std::fs::read_to_string(&p).expect("source"));
        }
    }
    srcs.push(read("review/api.rs"));
    let auth = read("auth.rs");
    let start = auth.find("pub fn api_routes").expect("auth::api_routes");
    let body = &auth[start..];
    srcs.push(body[..body.find("\n}").unwrap_or(body.len())].to_string());
    srcs.iter()
        .flat_map(|s| routes_in(s))
        .filter(|(_, p)| !SELF.contains(&p.as_str()))
        .collect()
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn the_route_reader_reads_routes() {
    let src = r#"Router::new().route("/a/{id}", get(show).patch(update))
        .route(
            "/b/{*key}", post(upload).layer(DefaultBodyLimit::max(LIMIT)))"#;
    assert_eq!(
        routes_in(src),
        vec![
            ("GET".into(), "/a/{id}".into()),
            ("PATCH".into(), "/a/{id}".into()),
            ("POST".into(), "/b/{key}".into()),
        ]
    );
}

#[test]
fn every_route_is_documented_and_nothing_else() {
    let routes = api_routes();
    assert!(routes.len() > 40, "too few routes found: {routes:?}");
    let doc = documented(&document());
    let missing: Vec<_> = routes.difference(&doc).collect();
    let extra: Vec<_> = doc.difference(&routes).collect();
    assert!(missing.is_empty(), "routes without an OpenAPI entry: {missing:?}");
    assert!(extra.is_empty(), "OpenAPI entries without a route: {extra:?}");
}

#[test]
fn the_document_is_openapi_3_1_with_summaries_and_problems() {
    let doc = document();
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")),
        "{}",
        doc["openapi"]
    );
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let what = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{what}: no summary"
            );
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{what}: no tag");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{what}: no success answer"
            );
            assert!(responses.contains_key("401"), "{what}: no 401");
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{what}: no 404");
            }
            if method == "post" {
                let idem = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p.to_string().contains("IdempotencyKey")));
                assert!(idem, "{what}: no Idempotency-Key");
            }
        }
    }
    let problem = &doc["components"]["schemas"]["Problem"]["properties"];
    for field in ["type", "title", "status", "detail", "code", "errors"] {
        assert!(problem.get(field).is_some(), "Problem lacks {field}");
    }
    let schemes = doc["components"]["securitySchemes"].as_object().expect("schemes");
    assert_eq!(schemes.len(), 4);
}

#[test]
fn the_reference_page_renders_every_operation() {
    use askama::Template;
    let doc = document();
    let html = super::page::build(&doc).render().expect("page");
    for (path, _) in doc["paths"].as_object().expect("paths") {
        assert!(html.contains(&format!("<code>{path}</code>")), "{path} not on the page");
    }
    assert!(html.contains("id=\"schema-Problem\""));
    // Bodies and answers name their schema and link to it.
    assert!(html.contains("<a href=\"#schema-InviteRequest\">InviteRequest</a>"));
    assert!(html.contains("<a href=\"#schema-Problem\">Problem</a>"));
    assert!(html.contains("X-Shortlist-Partner-Authorization"));
    for asset in ["<script", "<link", "src=\"http", "@import"] {
        assert!(!html.contains(asset), "no scripts or outside assets: {asset}");
    }
}

/// docs/openapi.json is the document as served, so API changes show in review. After changing an
/// annotation: `SHORTLIST_UPDATE_OPENAPI=1 cargo nextest run -p shortlist-web openapi`.
#[test]
fn the_checked_in_document_is_current() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let current = format!("{}\n", serde_json::to_string_pretty(&document()).expect("json"));
    if std::env::var_os("SHORTLIST_UPDATE_OPENAPI").is_some() {
        std::fs::write(&file, &current).expect("write docs/openapi.json");
        return;
    }
    let checked_in = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        checked_in == current,
        "docs/openapi.json is not the served document; regenerate it with \
         SHORTLIST_UPDATE_OPENAPI=1 cargo nextest run -p shortlist-web openapi"
    );
}

/// Medium finding (scopes by path prefix): every operation declares the scopes it needs next to
/// its annotation, the document shows them, and the gate's table has every one of them. An
/// operation without a declaration fails here (and is refused to API credentials at run time).
#[test]
fn every_operation_declares_its_scope() {
    let doc = document();
    let mut undeclared = vec![];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let what = format!("{} {path}", method.to_uppercase());
            let Some(scopes) = op[crate::gate::scopes::EXTENSION].as_array() else {
                undeclared.push(what);
                continue;
            };
            let names: Vec<&str> = scopes.iter().filter_map(Value::as_str).collect();
            for s in &names {
                shortlist_app::credentials::Scope::parse(s).unwrap_or_else(|e| panic!("{what}: {e}"));
            }
            let security = op["security"].as_array().expect("security");
            assert_eq!(security[0]["api_key"], Value::from(names.clone()), "{what}");
            assert_eq!(security[1]["partner_key"], Value::from(names.clone()), "{what}");
            assert!(
                op["description"].as_str().is_some_and(|d| d.contains("Required scope")),
                "{what}: the description does not say the scope"
            );
        }
    }
    assert!(
        undeclared.is_empty(),
        "operations without a declared scope: {undeclared:?}"
    );
    let (_, errors) = super::scope_table();
    assert!(errors.is_empty(), "{errors:?}");
}

/// The scopes the partner guide documents for the operations the penetration test named.
#[test]
fn the_operations_the_finding_named_need_the_documented_scope() {
    let doc = document();
    let need = |method: &str, path: &str| -> Vec<String> {
        doc["paths"][path][method][crate::gate::scopes::EXTENSION]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path} declares nothing"))
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    for (method, path, scopes) in [
        ("get", "/review-settings", "settings:read"),
        ("put", "/review-settings", "settings:write"),
        ("get", "/email-templates/{kind}", "settings:read"),
        ("put", "/email-templates/{kind}", "settings:write"),
        ("delete", "/email-templates/{kind}", "settings:write"),
        ("post", "/share-links/{id}/revoke", "results:write"),
        ("get", "/share-links/{id}/views", "results:read"),
        ("get", "/invitations/{id}/review", "results:read"),
        ("get", "/invitations/{id}/evaluations", "results:read"),
        ("post", "/invitations/{id}/evaluations", "results:write"),
        ("get", "/invitations/{id}/report", "invitations:read results:read"),
        ("get", "/me", ""),
    ] {
        let want: Vec<String> = scopes.split_whitespace().map(str::to_string).collect();
        assert_eq!(need(method, path), want, "{method} {path}");
    }
}
