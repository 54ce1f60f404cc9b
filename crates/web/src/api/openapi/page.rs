//! The API reference as a plain HTML page, rendered from the same document as openapi.json:
//! each tag's operations with parameters, bodies and answers, then every schema, the ways to
//! authenticate and the error answers. No script and no outside assets: installations may have
//! no network.

use askama::Template;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Text with `code` spans, as the descriptions write them.
pub struct Seg {
    pub code: bool,
    pub text: String,
}

fn segs(s: &str) -> Vec<Seg> {
    s.split('`')
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(i, t)| Seg {
            code: i % 2 == 1,
            text: t.to_string(),
        })
        .collect()
}

/// A type in words, linking to the schema it names.
pub struct Type {
    pub text: String,
    pub link: Option<String>,
}

pub struct Field {
    pub name: String,
    pub required: bool,
    pub ty: Type,
    pub description: Vec<Seg>,
}

pub struct Body {
    pub content_type: String,
    pub ty: Type,
    pub description: Vec<Seg>,
}

pub struct Answer {
    pub status: String,
    pub description: Vec<Seg>,
    pub bodies: Vec<Body>,
}

pub struct Op {
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: Vec<Vec<Seg>>,
    pub params: Vec<Field>,
    pub bodies: Vec<Body>,
    pub answers: Vec<Answer>,
}

pub struct Tag {
    pub name: String,
    pub description: Vec<Seg>,
    pub ops: Vec<Op>,
}

pub struct SchemaDoc {
    pub name: String,
    pub description: Vec<Seg>,
    pub kind: String,
    pub includes: Vec<Type>,
    pub fields: Vec<Field>,
}

pub struct Scheme {
    pub name: String,
    pub how: String,
    pub description: Vec<Seg>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
pub(super) struct Page {
    title: String,
    version: String,
    description: Vec<Seg>,
    schemes: Vec<Scheme>,
    tags: Vec<Tag>,
    errors: Vec<Answer>,
    schemas: Vec<SchemaDoc>,
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn ref_name(r: &str) -> String {
    r.rsplit('/').next().unwrap_or(r).to_string()
}

/// `doc`'s `$ref` target, or `v` itself.
fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap_or(v),
        None => v,
    }
}

fn ty(v: &Value) -> Type {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        let name = ref_name(r);
        return Type {
            link: Some(format!("#schema-{name}")),
            text: name,
        };
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(parts) = v.get(key).and_then(Value::as_array) {
            let parts: Vec<Type> = parts.iter().map(ty).collect();
            return Type {
                link: parts.iter().find_map(|p| p.link.clone()),
                text: parts.into_iter().map(|p| p.text).collect::<Vec<_>>().join(" or "),
            };
        }
    }
    let types: Vec<&str> = match v.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let mut link = None;
    let words: Vec<String> = types
        .iter()
        .map(|t| match *t {
            "array" => {
                let inner = v.get("items").map(ty).unwrap_or(Type {
                    text: "any".into(),
                    link: None,
                });
                link = inner.link;
                format!("array of {}", inner.text)
            }
            "object" => match v.get("additionalProperties") {
                Some(a) if a.is_object() => {
                    let inner = ty(a);
                    link = inner.link;
                    format!("map of {}", inner.text)
                }
                _ => "object".into(),
            },
            "string" => match (v.get("format").and_then(Value::as_str), v.get("enum")) {
                (_, Some(Value::Array(e))) => format!(
                    "string, one of: {}",
                    e.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
                ),
                (Some(f), _) => format!("string ({f})"),
                _ => "string".into(),
            },
            other => other.to_string(),
        })
        .collect();
    Type {
        text: if words.is_empty() {
            "any".into()
        } else {
            words.join(" or ")
        },
        link,
    }
}

fn bodies(content: Option<&Value>, description: &str) -> Vec<Body> {
    let Some(content) = content.and_then(Value::as_object) else {
        return vec![];
    };
    content
        .iter()
        .map(|(ct, c)| Body {
            content_type: ct.clone(),
            ty: c.get("schema").map(ty).unwrap_or(Type {
                text: "—".into(),
                link: None,
            }),
            description: segs(description),
        })
        .collect()
}

fn answer(doc: &Value, status: &str, r: &Value) -> Answer {
    let r = deref(doc, r);
    Answer {
        status: status.to_string(),
        description: segs(s(r, "description")),
        bodies: bodies(r.get("content"), ""),
    }
}

fn param(doc: &Value, p: &Value) -> Field {
    let p = deref(doc, p);
    Field {
        name: format!("{} ({})", s(p, "name"), s(p, "in")),
        required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
        ty: p.get("schema").map(ty).unwrap_or(Type {
            text: "string".into(),
            link: None,
        }),
        description: segs(s(p, "description")),
    }
}

fn op(doc: &Value, method: &str, path: &str, o: &Value) -> Op {
    let body = o.get("requestBody").map(|b| deref(doc, b));
    let description = s(o, "description")
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| segs(&p.replace('\n', " ")))
        .collect();
    Op {
        anchor: format!("op-{method}-{}", path.replace(['/', '{', '}'], "-")),
        method: method.to_uppercase(),
        path: path.to_string(),
        summary: s(o, "summary").to_string(),
        description,
        params: o
            .get("parameters")
            .and_then(Value::as_array)
            .map(|ps| ps.iter().map(|p| param(doc, p)).collect())
            .unwrap_or_default(),
        bodies: body
            .map(|b| bodies(b.get("content"), s(b, "description")))
            .unwrap_or_default(),
        answers: o
            .get("responses")
            .and_then(Value::as_object)
            .map(|rs| rs.iter().map(|(st, r)| answer(doc, st, r)).collect())
            .unwrap_or_default(),
    }
}

fn fields(v: &Value) -> Vec<Field> {
    let required: Vec<&str> = v
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    v.get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, p)| Field {
                    name: name.clone(),
                    required: required.contains(&name.as_str()),
                    ty: ty(p),
                    description: segs(s(p, "description")),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn schema(name: &str, v: &Value) -> SchemaDoc {
    let mut doc = SchemaDoc {
        name: name.to_string(),
        description: segs(s(v, "description")),
        kind: ty(v).text,
        includes: vec![],
        fields: fields(v),
    };
    if let Some(parts) = v.get("allOf").and_then(Value::as_array) {
        doc.kind = "object".into();
        for p in parts {
            if p.get("$ref").is_some() {
                doc.includes.push(ty(p));
            } else {
                doc.fields.extend(fields(p));
            }
        }
    }
    doc
}

fn scheme(name: &str, v: &Value) -> Scheme {
    let how = match s(v, "type") {
        "http" => format!("Authorization: {} …", capitalise(s(v, "scheme"))),
        "apiKey" => format!("{} {}", s(v, "in"), s(v, "name")),
        other => other.to_string(),
    };
    Scheme {
        name: name.to_string(),
        how,
        description: segs(s(v, "description")),
    }
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

pub(super) fn build(doc: &Value) -> Page {
    let empty = serde_json::Map::new();
    let obj = |p: &str| doc.pointer(p).and_then(Value::as_object).unwrap_or(&empty);
    let mut tags: Vec<Tag> = doc
        .get("tags")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| Tag {
                    name: s(t, "name").to_string(),
                    description: segs(s(t, "description")),
                    ops: vec![],
                })
                .collect()
        })
        .unwrap_or_default();
    for (path, item) in obj("/paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(o) = item.get(method) else { continue };
            let tag = o
                .pointer("/tags/0")
                .and_then(Value::as_str)
                .unwrap_or("other")
                .to_string();
            let i = match tags.iter().position(|t| t.name == tag) {
                Some(i) => i,
                None => {
                    tags.push(Tag {
                        name: tag,
                        description: vec![],
                        ops: vec![],
                    });
                    tags.len() - 1
                }
            };
            tags[i].ops.push(op(doc, method, path, o));
        }
    }
    Page {
        title: s(&doc["info"], "title").to_string(),
        version: s(&doc["info"], "version").to_string(),
        description: segs(s(&doc["info"], "description")),
        schemes: obj("/components/securitySchemes")
            .iter()
            .map(|(n, v)| scheme(n, v))
            .collect(),
        tags,
        errors: super::shared::ERRORS
            .iter()
            .filter_map(|(st, name, _)| Some(answer(doc, st, obj("/components/responses").get(*name)?)))
            .collect(),
        schemas: obj("/components/schemas").iter().map(|(n, v)| schema(n, v)).collect(),
    }
}

pub async fn show() -> Response {
    let html = build(&super::document()).render();
    match html {
        Ok(h) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, super::CACHE),
            ],
            h,
        )
            .into_response(),
        Err(e) => crate::error::ApiError(shortlist_app::AppError::Internal(e.into())).into_response(),
    }
}
