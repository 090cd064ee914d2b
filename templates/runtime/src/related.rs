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
