//! The accessibility conventions of the settings pages, checked on rendered HTML: one `h1`,
//! every form control labelled (a `<label for>` naming its id, or a label around a checkbox or
//! radio), every `aria-describedby` pointing at an element that exists, table headers scoped,
//! and no empty button.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    tag[at..].split('"').next()
}

/// Each opening tag `<name ...>` with its offset.
fn tags<'a>(html: &'a str, name: &str) -> Vec<(usize, &'a str)> {
    let open = format!("<{name}");
    html.match_indices(&open)
        .filter(|(i, _)| {
            let next = html[i + open.len()..].chars().next();
            matches!(next, Some(' ' | '>' | '\n'))
        })
        .map(|(i, _)| (i, &html[i..i + html[i..].find('>').unwrap() + 1]))
        .collect()
}

pub fn assert_accessible(html: &str) {
    assert_eq!(tags(html, "h1").len(), 1, "one h1 per page: {html}");
    for kind in ["input", "select", "textarea"] {
        for (at, tag) in tags(html, kind) {
            let ty = attr(tag, "type").unwrap_or("text");
            if ty == "hidden" {
                continue;
            }
            if ty == "checkbox" || ty == "radio" {
                let before = &html[..at];
                let open = before
                    .rfind("<label")
                    .unwrap_or_else(|| panic!("{tag} has no label: {html}"));
                assert!(!before[open..].contains("</label>"), "{tag} is not inside its label");
                continue;
            }
            let id = attr(tag, "id").unwrap_or_else(|| panic!("{tag} has no id to label"));
            assert!(
                html.contains(&format!("<label for=\"{id}\"")),
                "no <label for=\"{id}\"> for {tag}"
            );
        }
    }
    for (_, tag) in tags(html, "input")
        .into_iter()
        .chain(tags(html, "textarea"))
        .chain(tags(html, "fieldset"))
    {
        for id in attr(tag, "aria-describedby").unwrap_or("").split_whitespace() {
            assert!(
                html.contains(&format!(" id=\"{id}\"")),
                "aria-describedby {id} of {tag} names nothing"
            );
        }
    }
    for (_, tag) in tags(html, "th") {
        assert!(attr(tag, "scope").is_some(), "{tag} has no scope");
    }
    for (at, _) in tags(html, "button") {
        let inner = html[at..].split_once('>').unwrap().1.split("</button>").next().unwrap();
        assert!(!inner.trim().is_empty(), "an empty button at {at}");
    }
}
