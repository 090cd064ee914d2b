//! What every document has: its `_id` and `_etag` (reads remember the ETag in the
//! document itself, writes send it as `If-Match`), the write result, bulk results and
//! embeddable references.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::{Error, Result};
use super::transport::{Request, Transport};

/// A document as the server serves it.
pub trait Document:
    Serialize + DeserializeOwned + Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static
{
    /// The type of `_id`: a string (object ids, UUIDs) or an integer.
    type Id: Serialize
        + DeserializeOwned
        + ToString
        + Clone
        + std::fmt::Debug
        + PartialEq
        + Send
        + Sync
        + 'static;

    /// Its `_id`.
    fn id(&self) -> &Self::Id;

    /// Its `_etag` as read: the `If-Match` of a write.
    fn etag(&self) -> &str;
}

/// What a write answers (`POST`, `PATCH`, `PUT`): the document's `_id`, its new
/// `_etag` and dates, and what else the server adds (`_links`, `_version`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteResult<I> {
    #[serde(rename = "_id")]
    pub id: I,
    #[serde(rename = "_etag")]
    pub etag: String,
    #[serde(rename = "_created", default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(rename = "_updated", default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// `_status`, `_links`, `_version`...
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One document of a bulk create.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkItem<I> {
    /// Written.
    Created(WriteResult<I>),
    /// Valid, but not written: another document of the request was refused, and a
    /// bulk create writes all or nothing.
    NotWritten,
    /// Refused, with `_issues` by field.
    Rejected(Map<String, Value>),
}

impl<I> BulkItem<I> {
    /// The write result, when written.
    pub fn created(&self) -> Option<&WriteResult<I>> {
        match self {
            BulkItem::Created(result) => Some(result),
            _ => None,
        }
    }

    /// The issues, when refused.
    pub fn issues(&self) -> Option<&Map<String, Value>> {
        match self {
            BulkItem::Rejected(issues) => Some(issues),
            _ => None,
        }
    }
}

/// Sends a bulk create (a JSON list) and reads one result per document: the
/// written ones' write results, or, when the server refused the request (422 with
/// `_items`), which documents were refused and why.
pub async fn bulk<I: DeserializeOwned>(
    transport: &Transport,
    request: &Request,
) -> Result<Vec<BulkItem<I>>> {
    #[derive(Deserialize)]
    #[serde(bound = "I: DeserializeOwned")]
    struct Written<I> {
        #[serde(rename = "_items")]
        items: Vec<WriteResult<I>>,
    }
    match transport.json::<Written<I>>(request).await {
        Ok(written) => Ok(written.items.into_iter().map(BulkItem::Created).collect()),
        Err(Error::Api(error)) if error.status == 422 && !error.items.is_empty() => Ok(error
            .items
            .iter()
            .map(|item| match item.get("_status").and_then(Value::as_str) {
                Some("OK") => BulkItem::NotWritten,
                _ => BulkItem::Rejected(
                    item.get("_issues")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default(),
                ),
            })
            .collect()),
        Err(error) => Err(error),
    }
}

/// A reference to another resource's document: its id, or the document itself when
/// the read embedded it (`Query::embed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Ref<I, D> {
    Id(I),
    Embedded(Box<D>),
}

impl<I: Default, D> Default for Ref<I, D> {
    fn default() -> Self {
        Ref::Id(I::default())
    }
}

impl<I, D> Ref<I, D> {
    /// The id, when the read did not embed the document.
    pub fn id(&self) -> Option<&I> {
        match self {
            Ref::Id(id) => Some(id),
            Ref::Embedded(_) => None,
        }
    }

    /// The embedded document, when the read embedded it.
    pub fn document(&self) -> Option<&D> {
        match self {
            Ref::Embedded(d) => Some(d),
            Ref::Id(_) => None,
        }
    }
}

/// The fields of `changed` that differ from `original`, both serialized: the body of
/// a PATCH that sends only what changed (flowthings' `M`). System fields (`_...`)
/// are never sent; a field removed from `changed` is sent as `null`.
pub fn diff<T: Serialize>(original: &T, changed: &T) -> Map<String, Value> {
    let as_map = |value: &T| match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let (before, after) = (as_map(original), as_map(changed));
    let mut out = Map::new();
    for (key, value) in &after {
        if key.starts_with('_') {
            continue;
        }
        if before.get(key) != Some(value) {
            out.insert(key.clone(), value.clone());
        }
    }
    for key in before.keys() {
        if !key.starts_with('_') && !after.contains_key(key) {
            out.insert(key.clone(), Value::Null);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_diff_holds_only_what_changed() {
        let a = json!({"_id": "1", "_etag": "x", "title": "A", "pages": 3, "tags": ["a"]});
        let b = json!({"_id": "1", "_etag": "x", "title": "B", "pages": 3});
        assert_eq!(
            Value::Object(diff(&a, &b)),
            json!({"title": "B", "tags": null})
        );
    }
}
