//! Eve's `_links.related`: a document with data relations links to the documents its
//! references name.
//!
//! For each top-level field with a `data_relation` (or a list of them) that the
//! document holds, `_links` gets `"related": {"<field>": {"title": "<target's
//! item_title>", "href": "<target's url>/<value>"}}`, a list of such links for a list
//! of references (Eve's `resolve_data_relation_links`). Eve builds them before it
//! embeds, so an embedded document links by its related field's value. A `null` or
//! empty reference has no link, and neither has a field a projection leaves out.
//!
//! Which fields relate is read once per resource from its field catalog; a resource
//! without relations pays nothing.

use std::mem::ManuallyDrop;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::catalog::{Kind, Relation};
use crate::http;
use crate::resource::ResourceInfo;

/// A resource's top-level references, found in its catalog on first use. Write
/// `Related::new()` (as `ResourceInfo::DEFAULTS` does). `ManuallyDrop` because it
/// lives in a `static` built with `..ResourceInfo::DEFAULTS`, which a type with a
/// destructor could not be (as `sqlite::statements::Cache`).
pub struct Related(ManuallyDrop<OnceLock<Vec<Reference>>>);

/// A top-level field holding a reference, or a list of them.
struct Reference {
    field: &'static str,
    relation: &'static Relation,
}

impl Related {
    pub const fn new() -> Related {
        Related(ManuallyDrop::new(OnceLock::new()))
    }
}

impl Default for Related {
    fn default() -> Self {
        Related::new()
    }
}

/// Names the fields only: relations may form cycles.
impl std::fmt::Debug for Related {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Vec<&str> = self
            .0
            .get()
            .into_iter()
            .flatten()
            .map(|r| r.field)
            .collect();
        f.debug_tuple("Related").field(&fields).finish()
    }
}

fn references(info: &ResourceInfo) -> &[Reference] {
    info.related.0.get_or_init(|| {
        info.fields
            .iter()
            .filter_map(|field| {
                let relation = match (field.kind, field.items) {
                    (Kind::List, Some(items)) => items.relation.as_ref(),
                    _ => field.relation.as_ref(),
                }?;
                Some(Reference {
                    field: field.name,
                    relation,
                })
            })
            .collect()
    })
}

/// Whether documents of `info` may carry related links (it has references and links).
pub fn links(info: &ResourceInfo) -> bool {
    info.hateoas && !references(info).is_empty()
}

/// The references a serialized document (a JSON object) holds, read without building
/// the rest of it; `None` when it is not an object.
pub fn references_in(info: &ResourceInfo, json: &[u8]) -> Option<Map<String, Value>> {
    let entries: Vec<(std::borrow::Cow<'_, str>, &serde_json::value::RawValue)> =
        serde_json::from_slice::<Entries<'_>>(json).ok()?.0;
    let mut found = Map::new();
    for reference in references(info) {
        if let Some((_, raw)) = entries.iter().find(|(key, _)| key == reference.field) {
            found.insert(
                reference.field.to_string(),
                serde_json::from_str(raw.get()).ok()?,
            );
        }
    }
    Some(found)
}

/// A JSON object's entries, values left as raw JSON.
struct Entries<'a>(Vec<(std::borrow::Cow<'a, str>, &'a serde_json::value::RawValue)>);

impl<'de> serde::Deserialize<'de> for Entries<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> serde::de::Visitor<'de> for EntriesVisitor {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Entries<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<Key<'de>, _>()? {
                    entries.push((key.0, value));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// An object key, borrowed unless it has escapes.
struct Key<'a>(std::borrow::Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(text.to_string())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Append `,"related":{...}` inside a document's `_links` for the references that
/// `document` holds (nothing when it holds none).
pub fn write(out: &mut Vec<u8>, info: &ResourceInfo, document: &Map<String, Value>) {
    let mut first = true;
    for reference in references(info) {
        let Some(value) = document.get(reference.field) else {
            continue;
        };
        let mark = out.len();
        out.extend_from_slice(if first { b",\"related\":{" } else { b"," });
        http::write_json_str(out, reference.field);
        out.push(b':');
        let written = match value {
            Value::Array(items) => {
                out.push(b'[');
                let mut any = false;
                for item in items {
                    let at = out.len();
                    if any {
                        out.push(b',');
                    }
                    if write_link(out, reference, item) {
                        any = true;
                    } else {
                        out.truncate(at);
                    }
                }
                out.push(b']');
                any
            }
            other => write_link(out, reference, other),
        };
        if written {
            first = false;
        } else {
            out.truncate(mark);
        }
    }
    if !first {
        out.push(b'}');
    }
}

/// Append `{"title":...,"href":"<url>/<value>"}` for one reference; `false` (nothing
/// written) for a value that names no document (`null`).
fn write_link(out: &mut Vec<u8>, reference: &Reference, value: &Value) -> bool {
    // An embedded document links by the value of the field it was found by.
    let value = match value {
        Value::Object(embedded) => embedded.get(reference.relation.field),
        other => Some(other),
    };
    let number;
    let id = match value {
        Some(Value::String(text)) => text.as_str(),
        Some(Value::Number(n)) => {
            number = n.to_string();
            number.as_str()
        }
        _ => return false,
    };
    let target = reference.relation.target;
    out.extend_from_slice(b"{\"title\":");
    http::write_json_str(out, target.item_title);
    out.extend_from_slice(b",\"href\":\"");
    http::write_json_str_content(out, target.url);
    out.push(b'/');
    http::write_json_str_content(out, id);
    out.extend_from_slice(b"\"}");
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Field;

    static PEOPLE: ResourceInfo = ResourceInfo {
        name: "people",
        url: "people",
        item_title: "person",
        ..ResourceInfo::DEFAULTS
    };
    static OWNER: Relation = Relation {
        target: &PEOPLE,
        field: "_id",
        embeddable: true,
    };
    static BY_NAME: Relation = Relation {
        target: &PEOPLE,
        field: "lastname",
        embeddable: false,
    };
    static MEMBER: Field = Field {
        relation: Some(OWNER),
        ..Field::new("", Kind::ObjectId)
    };
    static FIELDS: [Field; 4] = [
        Field::new("title", Kind::String),
        Field {
            relation: Some(OWNER),
            ..Field::new("owner", Kind::ObjectId)
        },
        Field {
            items: Some(&MEMBER),
            ..Field::new("members", Kind::List)
        },
        Field {
            relation: Some(BY_NAME),
            ..Field::new("editor", Kind::String)
        },
    ];
    static WORKS: ResourceInfo = ResourceInfo {
        name: "works",
        url: "works",
        fields: &FIELDS,
        ..ResourceInfo::DEFAULTS
    };

    fn related(json: &str) -> String {
        let fields = references_in(&WORKS, json.as_bytes()).expect("an object");
        let mut out = Vec::new();
        write(&mut out, &WORKS, &fields);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn references_link_to_their_documents() {
        assert!(links(&WORKS));
        assert!(!links(&PEOPLE));
        assert_eq!(
            related(
                r#"{"title":"T","owner":"a1","members":["b2",null,"c3"],"editor":{"_id":"x","lastname":"Doe"}}"#
            ),
            r#","related":{"owner":{"title":"person","href":"people/a1"},"members":[{"title":"person","href":"people/b2"},{"title":"person","href":"people/c3"}],"editor":{"title":"person","href":"people/Doe"}}"#
        );
    }

    #[test]
    fn missing_null_and_empty_references_link_nothing() {
        assert_eq!(related(r#"{"title":"T"}"#), "");
        assert_eq!(
            related(r#"{"owner":null,"members":[],"editor":{"_id":"x"}}"#),
            ""
        );
        assert_eq!(
            related(r#"{"owner":7,"members":[null]}"#),
            r#","related":{"owner":{"title":"person","href":"people/7"}}"#
        );
    }
}
