//! What we read from iCIMS: a person and a job, parsed leniently (unknown fields ignored,
//! a multi-select list as an array or a bare node).

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Person {
    #[serde(default)]
    pub firstname: Option<String>,
    #[serde(default)]
    pub lastname: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

impl Person {
    pub fn full_name(&self) -> String {
        let parts = [self.firstname.as_deref(), self.lastname.as_deref()];
        parts
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListValue {
    #[serde(default)]
    pub id: Option<serde_json::Value>,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Job {
    #[serde(default)]
    pub jobtitle: Option<String>,
    /// The Video Interviewing Package(s) chosen on the job; we match on the label.
    #[serde(default, deserialize_with = "one_or_many")]
    pub assessmenttype: Vec<ListValue>,
}

/// iCIMS sends a multi-select list as an array, but a single node may come bare.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ListValue>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<ListValue>),
        One(ListValue),
        Null(()),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        Some(OneOrMany::Many(v)) => v,
        Some(OneOrMany::One(v)) => vec![v],
        _ => vec![],
    })
}
