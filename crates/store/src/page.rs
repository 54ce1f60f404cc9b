//! Keyset pagination. Every paginated list is ordered by a timestamp and the id, newest first,
//! and a page starts strictly after the last row of the previous page. Rows inserted while a
//! caller walks the list therefore neither shift the pages nor make a row appear twice, which
//! an offset cannot promise.

use chrono::{DateTime, Utc};

/// Where a page starts: the sort key and id of the last row already seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub at: DateTime<Utc>,
    pub id: String,
}

/// The page a caller asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageReq {
    pub after: Option<Keyset>,
    pub limit: usize,
}

/// One page and, when more rows follow, the keyset to continue from.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub next: Option<Keyset>,
}

impl<T> Paged<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

impl PageReq {
    pub fn first(limit: usize) -> Self {
        PageReq { after: None, limit }
    }

    /// One row more than the page holds: its presence says whether a next page exists.
    pub(crate) fn fetch(&self) -> i64 {
        i64::try_from(self.limit).unwrap_or(i64::MAX - 1).saturating_add(1)
    }

    pub(crate) fn after_at(&self) -> Option<DateTime<Utc>> {
        self.after.as_ref().map(|k| k.at)
    }

    pub(crate) fn after_id(&self) -> Option<&str> {
        self.after.as_ref().map(|k| k.id.as_str())
    }

    /// Cuts the fetched rows to the page and notes where the next one starts.
    pub(crate) fn cut<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> Keyset) -> Paged<T> {
        let more = rows.len() > self.limit;
        rows.truncate(self.limit);
        let next = if more { rows.last().map(key) } else { None };
        Paged { items: rows, next }
    }
}

/// The SQL condition "after the keyset in newest-first order" for the columns `at` and `id`,
/// with the keyset bound at placeholders `$a` (time, NULL on the first page) and `$b` (id).
pub(crate) fn after(at: &str, id: &str, a: usize, b: usize) -> String {
    format!("(${a} IS NULL OR {at} < ${a} OR ({at} = ${a} AND {id} < ${b}))")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_notes_the_last_row_only_when_more_follow() {
        let key = |n: &i64| Keyset {
            at: DateTime::from_timestamp(*n, 0).unwrap_or_default(),
            id: n.to_string(),
        };
        let p = PageReq::first(2);
        assert_eq!(p.fetch(), 3);
        let full = p.cut(vec![5, 4, 3], key);
        assert_eq!(full.items, vec![5, 4]);
        assert_eq!(full.next.map(|k| k.id), Some("4".to_string()));
        let last = p.cut(vec![2, 1], key);
        assert!(last.next.is_none());
        assert_eq!(
            after("i.created_at", "i.id", 3, 4),
            "($3 IS NULL OR i.created_at < $3 OR (i.created_at = $3 AND i.id < $4))"
        );
    }
}
