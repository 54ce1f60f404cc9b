//! The few HTML helpers the simulators' pages share: escaping (everything shown comes from a test
//! or from the vendor under test, so all of it is escaped) and the page frame.

pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:15px/1.4 system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1d2330}\
table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}th,td{border-bottom:1px solid #dde;\
padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f3f4f8}.ok{color:#176b2c}\
.err{color:#a4161a}small{color:#667}button{padding:.4rem 1rem}";

pub(crate) fn page(title: &str, body: &str) -> axum::response::Html<String> {
    axum::response::Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>{STYLE}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    ))
}
