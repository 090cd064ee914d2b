//! HATEOAS: the `_links` of Eve's responses, written in one place.
//!
//! A collection links to itself, to the API home (`parent`) and, when they exist, to
//! its `next`, `prev` and `last` pages; a document read by itself links to itself,
//! the home and its collection; a document in a page or in a write's answer links to
//! itself, and to the documents its references name (`related`). Every `href` is relative to the API root, as in Eve, and is the concrete
//! path of the request (`url`): a sub-resource's `people/<id>/invoices`, while the
//! `title` stays the resource's url pattern. A resource with
//! `hateoas = false` has no `_links` at all (its `_meta` stays).

use serde_json::{Map, Value};

use crate::http::{self, ListParams};
use crate::related;
use crate::resource::ResourceInfo;

/// What a document's `_links` hold.
#[derive(Clone, Copy)]
pub enum DocumentLinks {
    /// In a collection page or a write's answer: only `self`.
    SelfOnly,
    /// A document by itself: `self`, `parent` and `collection`.
    Full,
}

/// Append `,"_links":{...}` of a collection page (nothing when links are off).
pub fn page(out: &mut Vec<u8>, info: &ResourceInfo, url: &str, params: &ListParams, total: i64) {
    if !info.hateoas {
        return;
    }
    out.extend_from_slice(b",\"_links\":{");
    http::write_link(out, "self", info.url, url);
    out.push(b',');
    parent(out);
    let last_page = ((total.max(0) as u64).div_ceil(u64::from(params.max_results))).max(1);
    // Without pagination there are no other pages.
    if info.pagination && u64::from(params.page) < last_page {
        let next = format!("{}?{}", url, params.link_query(params.page + 1));
        let last = format!("{}?{}", url, params.link_query(last_page as u32));
        out.push(b',');
        http::write_link(out, "next", "next page", &next);
        out.push(b',');
        http::write_link(out, "last", "last page", &last);
    }
    if info.pagination && params.page > 1 {
        let prev = format!("{}?{}", url, params.link_query(params.page - 1));
        out.push(b',');
        http::write_link(out, "prev", "previous page", &prev);
    }
    out.push(b'}');
}

/// Append `,"_links":{...}` of one document (nothing when links are off).
pub fn document(out: &mut Vec<u8>, info: &ResourceInfo, url: &str, id: &str, links: DocumentLinks) {
    document_with_related(out, info, url, id, links, None);
}

/// [`document`], with the `related` links of the references in `fields` when given
/// (`related::links` says whether a resource has any).
pub fn document_with_related(
    out: &mut Vec<u8>,
    info: &ResourceInfo,
    url: &str,
    id: &str,
    links: DocumentLinks,
    fields: Option<&Map<String, Value>>,
) {
    if !info.hateoas {
        return;
    }
    out.extend_from_slice(b",\"_links\":{");
    http::write_item_link(out, "self", info.item_title, url, id);
    if let DocumentLinks::Full = links {
        out.push(b',');
        parent(out);
        out.push(b',');
        http::write_link(out, "collection", info.url, url);
    }
    if let Some(fields) = fields {
        related::write(out, info, fields);
    }
    out.push(b'}');
}

/// `"parent":{"title":"home","href":"/"}`: the API home.
fn parent(out: &mut Vec<u8>) {
    http::write_link(out, "parent", "home", "/");
}
