//! `?embedded=`: references replaced by the documents they name (Eve's embedding).
//!
//! A resource whose schema has `data_relation` fields marked `embeddable` lists them
//! in its module (`EMBEDS`), each with the query that reads the referenced resource.
//! A request asks for some with `embedded={"author": 1}` and opts out of the
//! resource's defaults (`embedded_fields`) with `{"author": 0}`. As in Eve: names that
//! are not embeddable are ignored, a reference whose document is gone becomes `null`,
//! references inside dicts (and lists of dicts) are reached with dotted names
//! (`meta.editor`), a list of references becomes a list of documents, and embedding
//! goes one level deep. A document of a resource with an `auth_field` is embedded
//! only for its owner: for anyone else (a caller without a user too) the reference
//! stays the plain value it is, whether the document exists or not, so embedding
//! neither shows another user's document nor tells whether it exists. The documents of one relation are read for a whole page at
//! once (`store::Read::find_in`), and the served JSON is rewritten in place, so a
//! document keeps the field order clients see without embedding.

use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::db::Reader;
use crate::error::ApiError;
use crate::options::Projections;
use crate::resource::Resource;
use crate::store::Read;

/// One embeddable reference of a resource.
#[derive(Debug)]
pub struct Embed {
    /// Dotted path from the document: `author`, `meta.editor`.
    pub path: &'static str,
    /// Embedded unless the request opts out (the resource's `embedded_fields`).
    pub default: bool,
    /// The referenced field of the target resource (`_id` or a unique field).
    pub key: &'static str,
    /// Reads the target documents whose `key` is one of the given values.
    pub fetch: Fetch,
}

/// Target documents as served, by the JSON text of their key.
pub type Found = HashMap<String, Box<RawValue>>;

/// Reads through the store's read connection (see `fetch`).
pub type Fetch = fn(&Reader, &str, &[Value], Option<&str>) -> Result<Found, ApiError>;

/// Embed what the request asks for into a page's documents: `None` when nothing is
/// asked (the caller serves the documents as usual).
pub fn embed(
    embeds: &'static [Embed],
    conn: &Reader,
    query: Option<&str>,
    user: Option<&str>,
    documents: &mut dyn FnMut() -> Vec<Vec<u8>>,
) -> Result<Option<Vec<Vec<u8>>>, ApiError> {
    let wanted = wanted(embeds, query)?;
    if wanted.is_empty() {
        return Ok(None);
    }
    let mut documents = documents();
    for embed in wanted {
        let path: Vec<&str> = embed.path.split('.').collect();
        let mut references = Vec::new();
        let mut seen = HashSet::new();
        for document in &documents {
            let raw: &RawValue = serde_json::from_slice(document).map_err(ApiError::internal)?;
            collect(raw, &path, &mut |reference| {
                if seen.insert(reference.to_string()) {
                    references.push(reference);
                }
            });
        }
        let found = if references.is_empty() {
            Found::new()
        } else {
            (embed.fetch)(conn, embed.key, &references, user)?
        };
        for document in &mut documents {
            let raw: &RawValue = serde_json::from_slice(document).map_err(ApiError::internal)?;
            let mut out = Vec::with_capacity(document.len() * 2);
            rewrite(raw, &path, &found, &mut out).map_err(ApiError::internal)?;
            *document = out;
        }
    }
    Ok(Some(documents))
}

/// The embeddable references to embed: the defaults, plus those the request's
/// `embedded` object sets to 1, minus those it sets to 0.
fn wanted(embeds: &'static [Embed], query: Option<&str>) -> Result<Vec<&'static Embed>, ApiError> {
    let mut on = HashSet::new();
    let mut off = HashSet::new();
    let clause = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(key, _)| key == "embedded")
        .map(|(_, value)| value.into_owned());
    // An empty `embedded=` asks for nothing, as in Eve.
    if let Some(text) = clause.filter(|t| !t.trim().is_empty()) {
        let unparsable = || ApiError::bad_request("Unable to parse `embedded` clause");
        let Value::Object(asked) = serde_json::from_str(&text).map_err(|_| unparsable())? else {
            return Err(unparsable());
        };
        for (name, value) in asked {
            // Eve compares with `== 1` and `== 0`: true and false count too.
            match value {
                Value::Bool(true) => on.insert(name),
                Value::Bool(false) => off.insert(name),
                Value::Number(n) if n.as_f64() == Some(1.0) => on.insert(name),
                Value::Number(n) if n.as_f64() == Some(0.0) => off.insert(name),
                _ => false,
            };
        }
    }
    Ok(embeds
        .iter()
        .filter(|e| (e.default || on.contains(e.path)) && !off.contains(e.path))
        .collect())
}

/// Read the documents of `R` whose `key` is one of `values`, serialized as `R` serves
/// them: inside its datasource filter, with its default projection; of a resource
/// with an `auth_field`, only `user`'s, any other reference standing for itself.
pub fn fetch<R: Resource>(
    conn: &Reader,
    key: &str,
    values: &[Value],
    user: Option<&str>,
) -> Result<Found, ApiError> {
    let mut found = Found::new();
    let owner = match (R::INFO.auth_field, user) {
        (None, _) => None,
        (Some(field), Some(user)) => Some((field, user)),
        // No user owns anything: every reference stays as it is.
        (Some(_), None) => return as_they_are(found, values),
    };
    let projections = Projections::new(R::INFO, None)?;
    // Through the target's datasource, as Eve reads it: its fixed filter hides
    // documents (their references embed as `null`), its projection hides fields.
    for document in conn.find_in::<R>(key, values, owner)? {
        let mut text = serde_json::to_string(&document).map_err(ApiError::internal)?;
        if !R::INFO.media.fields.is_empty() {
            // An embedded document serves its files as its own GET does (Eve's
            // `embedded_document` resolves them too).
            let resolved = crate::media::rewrite(R::INFO.media, conn, text.as_bytes())?;
            text = String::from_utf8(resolved).map_err(ApiError::internal)?;
        }
        // The key as served, so it compares with the reference as stored: an
        // integer `_id` is a JSON number, an objectid or uuid one a string.
        let key_value = serde_json::from_str::<Value>(&text)
            .map_err(ApiError::internal)?
            .get(key)
            .cloned()
            .unwrap_or(Value::Null);
        let text = if projections.is_empty() {
            text
        } else {
            let mut projected = Vec::with_capacity(text.len());
            if projections.write(&mut projected, text.as_bytes()) {
                String::from_utf8(projected).map_err(ApiError::internal)?
            } else {
                text
            }
        };
        let raw = RawValue::from_string(text).map_err(ApiError::internal)?;
        found.insert(key_value.to_string(), raw);
    }
    if owner.is_some() {
        // Another user's document, or none: the same plain reference.
        return as_they_are(found, values);
    }
    Ok(found)
}

/// `found`, with each of `values` it has no document for standing for itself.
fn as_they_are(mut found: Found, values: &[Value]) -> Result<Found, ApiError> {
    for value in values {
        if let std::collections::hash_map::Entry::Vacant(entry) = found.entry(value.to_string()) {
            let raw = RawValue::from_string(entry.key().clone()).map_err(ApiError::internal)?;
            entry.insert(raw);
        }
    }
    Ok(found)
}

/// Call `visit` with every reference at `path` (through dicts and lists of dicts).
fn collect(value: &RawValue, path: &[&str], visit: &mut dyn FnMut(Value)) {
    match path.split_first() {
        None => match serde_json::from_str::<Value>(value.get()) {
            Ok(Value::Array(items)) => items
                .into_iter()
                .filter(|v| !v.is_null())
                .for_each(&mut *visit),
            Ok(Value::Null) | Err(_) => {}
            Ok(reference) => visit(reference),
        },
        Some((first, rest)) => {
            if let Ok(Entries(entries)) = serde_json::from_str::<Entries<'_>>(value.get()) {
                for (name, nested) in entries {
                    if name == *first {
                        collect(nested, rest, visit);
                    }
                }
            } else if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(value.get()) {
                for item in items {
                    collect(item, path, visit);
                }
            }
        }
    }
}

/// Write `value` with the references at `path` replaced by the documents found.
fn rewrite(
    value: &RawValue,
    path: &[&str],
    found: &Found,
    out: &mut Vec<u8>,
) -> Result<(), serde_json::Error> {
    let text = value.get();
    match path.split_first() {
        None if text.trim_start().starts_with('[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text)?;
            out.push(b'[');
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                replace(item, found, out)?;
            }
            out.push(b']');
        }
        None => replace(value, found, out)?,
        Some((first, rest)) => {
            let start = text.trim_start();
            if start.starts_with('{') {
                let Entries(entries) = serde_json::from_str(text)?;
                out.push(b'{');
                for (i, (name, nested)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut *out, &name)?;
                    out.push(b':');
                    if name == *first {
                        rewrite(nested, rest, found, out)?;
                    } else {
                        out.extend_from_slice(nested.get().as_bytes());
                    }
                }
                out.push(b'}');
            } else if start.starts_with('[') {
                let items: Vec<&RawValue> = serde_json::from_str(text)?;
                out.push(b'[');
                for (i, item) in items.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    rewrite(item, path, found, out)?;
                }
                out.push(b']');
            } else {
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
    Ok(())
}

/// One reference replaced by its document; a reference to no document is `null`.
fn replace(
    reference: &RawValue,
    found: &Found,
    out: &mut Vec<u8>,
) -> Result<(), serde_json::Error> {
    let value: Value = serde_json::from_str(reference.get())?;
    match found.get(&value.to_string()) {
        Some(document) => out.extend_from_slice(document.get().as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
    Ok(())
}

/// A JSON object's members in their order, values left as raw text.
pub(crate) struct Entries<'a>(pub(crate) Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for Members<'a> {
            type Value = Entries<'a>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'a>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'a RawValue>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }

        deserializer.deserialize_map(Members(PhantomData))
    }
}
