//! Message catalogues for every candidate-facing text: flat keys, `{name}` placeholders, one
//! JSON file per language embedded at build time (crates/web/i18n). Keys starting `js.` are
//! handed to the page scripts as a JSON blob.

use std::collections::BTreeMap;
use std::sync::OnceLock;

type Catalog = BTreeMap<String, String>;

/// Languages with a complete catalogue, in the order the language switch shows them.
pub const LOCALES: [&str; 2] = ["en", "es"];

fn parse(raw: &str) -> Catalog {
    serde_json::from_str(raw).unwrap_or_default()
}

fn catalog(locale: &str) -> &'static Catalog {
    static EN: OnceLock<Catalog> = OnceLock::new();
    static ES: OnceLock<Catalog> = OnceLock::new();
    match locale {
        "es" => ES.get_or_init(|| parse(include_str!("../../i18n/es.json"))),
        _ => EN.get_or_init(|| parse(include_str!("../../i18n/en.json"))),
    }
}

/// The catalogue for one language. `Copy`, so pages carry it by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct T {
    lang: &'static str,
}

impl T {
    /// The best catalogue for a language tag (`es-MX` → `es`); English when there is none.
    pub fn for_tag(tag: &str) -> T {
        let lang = tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        T {
            lang: LOCALES.iter().copied().find(|l| *l == lang).unwrap_or("en"),
        }
    }

    /// A supported language named exactly (`?lang=es`).
    pub fn supported(tag: &str) -> Option<&'static str> {
        LOCALES.iter().copied().find(|l| *l == tag)
    }

    pub fn lang(&self) -> &'static str {
        self.lang
    }

    /// The text for `key`; English when missing in this language, the key itself when unknown.
    pub fn get<'a>(&self, key: &'a str) -> &'a str {
        catalog(self.lang)
            .get(key)
            .or_else(|| catalog("en").get(key))
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// The text for `key` with `{name}` placeholders filled in.
    pub fn fmt(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut out = self.get(key).to_string();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    /// The `js.*` messages (without the prefix) as JSON that is safe inside a `<script>`.
    pub fn js_json(&self) -> String {
        let map: BTreeMap<&str, &str> = catalog("en")
            .keys()
            .filter_map(|k| k.strip_prefix("js.").map(|short| (short, self.get(k))))
            .collect();
        serde_json::to_string(&map)
            .unwrap_or_else(|_| "{}".into())
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key() {
        let en: Vec<&String> = catalog("en").keys().collect();
        assert!(en.len() > 100, "the English catalogue did not load");
        for l in LOCALES {
            let keys: Vec<&String> = catalog(l).keys().collect();
            assert_eq!(keys, en, "{l} differs from en");
            assert!(catalog(l).values().all(|v| !v.trim().is_empty()), "{l} has empty texts");
        }
    }

    #[test]
    fn tags_fall_back_and_placeholders_fill() {
        assert_eq!(T::for_tag("es-MX").lang(), "es");
        assert_eq!(T::for_tag("de").lang(), "en");
        assert_eq!(T::supported("fr"), None);
        let t = T::for_tag("es");
        assert_eq!(
            t.fmt("question.progress", &[("n", "2"), ("total", "5")]),
            "Pregunta 2 de 5"
        );
        assert_eq!(t.get("no.such.key"), "no.such.key");
        let js: serde_json::Value = serde_json::from_str(&t.js_json()).unwrap();
        assert_eq!(js["record_again"], "Grabar otra vez");
        assert!(!t.js_json().contains('<'));
    }
}
