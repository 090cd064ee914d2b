//! Eve's XML rendering (`XMLRenderer`), for clients whose `Accept` prefers XML.
//!
//! The handlers' JSON is read back and written in Eve's shape: a `<resource>` root
//! whose `href`/`title` come from the `self` link, one `<link rel href title />` per
//! other link, `<_meta>` with the paging numbers, then each item as its own
//! `<resource>` (a collection) or each field as an element (a document, an error).
//! Keys are written sorted, as Eve does; lists repeat their element.

use serde_json::{Map, Value};

/// Render a JSON body as Eve's XML; a body that is not JSON renders as nothing.
pub fn render(json: &[u8]) -> Vec<u8> {
    let mut out = String::new();
    match serde_json::from_slice::<Value>(json) {
        Ok(Value::Object(data)) => document(&mut out, &data),
        Ok(Value::Array(items)) => {
            let mut data = Map::new();
            data.insert("_items".into(), Value::Array(items));
            document(&mut out, &data);
        }
        // A custom endpoint may answer a bare number, string or boolean.
        Ok(scalar) => element(&mut out, "resource", &scalar, None),
        Err(_) => {}
    }
    out.into_bytes()
}

fn document(out: &mut String, data: &Map<String, Value>) {
    if data.is_empty() {
        return;
    }
    root_open(out, data);
    links(out, data);
    if let Some(Value::Object(meta)) = data.get("_meta") {
        out.push_str("<_meta>");
        for (name, value) in sorted(meta) {
            element(out, name, value, None);
        }
        out.push_str("</_meta>");
    }
    match data.get("_items") {
        Some(Value::Array(items)) => {
            for item in items {
                if let Value::Object(item) = item {
                    root_open(out, item);
                    links(out, item);
                    fields(out, item);
                    out.push_str("</resource>");
                } else {
                    // A custom endpoint's list of numbers or strings: one element each.
                    element(out, "resource", item, None);
                }
            }
        }
        _ => fields(out, data),
    }
    out.push_str("</resource>");
}

/// `<resource href=".." title="..">` from the `self` link, or a bare `<resource>`.
fn root_open(out: &mut String, data: &Map<String, Value>) {
    out.push_str("<resource");
    if let Some(Value::Object(link)) = data.get("_links").and_then(|l| l.get("self")) {
        for attribute in ["href", "title"] {
            if let Some(value) = link.get(attribute) {
                out.push(' ');
                out.push_str(attribute);
                out.push_str("=\"");
                escape(out, &text(value));
                out.push('"');
            }
        }
    }
    out.push('>');
}

/// `<link rel=".." href=".." title=".." />` for every link but `self` and `related`
/// (those are attributes of the fields they belong to), by `rel`.
fn links(out: &mut String, data: &Map<String, Value>) {
    let Some(Value::Object(all)) = data.get("_links") else {
        return;
    };
    for (rel, link) in sorted(all) {
        if rel == "self" || rel == "related" {
            continue;
        }
        let list = match link {
            Value::Array(list) => list.iter().collect(),
            other => vec![other],
        };
        for link in list {
            out.push_str("<link rel=\"");
            escape(out, rel);
            out.push_str("\" href=\"");
            escape(out, &link.get("href").map(text).unwrap_or_default());
            out.push_str("\" title=\"");
            escape(out, &link.get("title").map(text).unwrap_or_default());
            out.push_str("\" />");
        }
    }
}

/// A document's fields (not `_links`, not `_meta`) as elements; a reference with a
/// `related` link carries it as `href` and `title` attributes, as in Eve.
fn fields(out: &mut String, data: &Map<String, Value>) {
    let related = data.get("_links").and_then(|links| links.get("related"));
    for (name, value) in sorted(data) {
        if name != "_links" && name != "_meta" {
            element(out, name, value, related.and_then(|r| r.get(name)));
        }
    }
}

/// `<name>value</name>`; a list repeats the element, a dict nests its fields (and
/// its links after them, as Eve does). `link`: the field's `related` link (a list of
/// them for a list).
fn element(out: &mut String, name: &str, value: &Value, link: Option<&Value>) {
    let name = tag(name);
    match value {
        Value::Array(values) => {
            for (i, value) in values.iter().enumerate() {
                element(out, &name, value, link.and_then(|l| l.get(i)));
            }
        }
        Value::Object(map) => {
            open_linked(out, &name, link);
            fields(out, map);
            links(out, map);
            close(out, &name);
        }
        scalar => {
            open_linked(out, &name, link);
            escape(out, &text(scalar));
            close(out, &name);
        }
    }
}

/// `<name>`, or `<name href=".." title="..">` for a field with a related link.
fn open_linked(out: &mut String, name: &str, link: Option<&Value>) {
    out.push('<');
    out.push_str(name);
    if let Some(Value::Object(link)) = link {
        for attribute in ["href", "title"] {
            out.push(' ');
            out.push_str(attribute);
            out.push_str("=\"");
            escape(out, &link.get(attribute).map(text).unwrap_or_default());
            out.push('"');
        }
    }
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Entries by key, as Eve sorts them.
fn sorted(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// A scalar as Python prints it (`True`, `None`), strings as they are.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

/// A key as an XML element name: characters a name cannot hold become `_`, so a key
/// from a free-form dict cannot break the document.
fn tag(name: &str) -> String {
    let mut tag: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !tag.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        tag.insert(0, '_');
    }
    tag
}

/// Text and attribute escaping (`&`, `<`, `>`, `"`, `'`), as markupsafe does, plus
/// what JSON strings may hold and XML may not: tab, newline and carriage return are
/// written as character references (so parsers keep them, in attributes too), and the
/// other control characters and U+FFFE/U+FFFF, which no XML 1.0 document may contain
/// even as references, become U+FFFD. The document stays well-formed whatever a
/// client stored.
fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn a_collection_renders_in_eves_shape() {
        let json = br#"{"_items":[{"_id":"1","name":"a<b","tags":["x","y"],"_links":{"self":{"title":"person","href":"people/1"}}}],"_meta":{"page":1,"max_results":25,"total":1},"_links":{"self":{"title":"people","href":"people"},"parent":{"title":"home","href":"/"}}}"#;
        assert_eq!(
            String::from_utf8(render(json)).unwrap(),
            "<resource href=\"people\" title=\"people\"><link rel=\"parent\" href=\"/\" title=\"home\" /><_meta><max_results>25</max_results><page>1</page><total>1</total></_meta><resource href=\"people/1\" title=\"person\"><_id>1</_id><name>a&lt;b</name><tags>x</tags><tags>y</tags></resource></resource>"
        );
    }

    #[test]
    fn strings_json_allows_and_xml_does_not_keep_the_document_well_formed() {
        let json = br#"{"_id": "1", "note": "a\u0000b\u001fc\td\ne\rf\uffffg", "h\u0001": 1}"#;
        let xml = String::from_utf8(render(json)).expect("UTF-8");
        assert_eq!(
            xml,
            "<resource><_id>1</_id><h_>1</h_><note>a\u{fffd}b\u{fffd}c&#9;d&#10;e&#13;f\u{fffd}g</note></resource>"
        );
        assert!(!xml.chars().any(|c| c.is_control()), "{xml:?}");
    }

    #[test]
    fn bare_numbers_strings_and_lists_of_them_render() {
        let xml = |json: &[u8]| String::from_utf8(render(json)).unwrap();
        assert_eq!(xml(b"42"), "<resource>42</resource>");
        assert_eq!(xml(b"-1.5"), "<resource>-1.5</resource>");
        assert_eq!(xml(br#""a<b""#), "<resource>a&lt;b</resource>");
        assert_eq!(xml(b"true"), "<resource>True</resource>");
        assert_eq!(
            xml(b"[1,2]"),
            "<resource><resource>1</resource><resource>2</resource></resource>"
        );
        assert_eq!(
            xml(br#"[{"n":1},"x"]"#),
            "<resource><resource><n>1</n></resource><resource>x</resource></resource>"
        );
    }

    #[test]
    fn related_links_are_attributes_of_their_fields() {
        let json = br#"{"_id":"1","owner":"p1","tags":["t1","t2"],"_links":{"self":{"title":"work","href":"works/1"},"related":{"owner":{"title":"person","href":"people/p1"},"tags":[{"title":"tag","href":"tags/t1"},{"title":"tag","href":"tags/t2"}]}}}"#;
        assert_eq!(
            String::from_utf8(render(json)).unwrap(),
            "<resource href=\"works/1\" title=\"work\"><_id>1</_id><owner href=\"people/p1\" title=\"person\">p1</owner><tags href=\"tags/t1\" title=\"tag\">t1</tags><tags href=\"tags/t2\" title=\"tag\">t2</tags></resource>"
        );
    }
}
