//! The Rust emitter: Model values written as the Rust source of the generated crate.
//!
//! Templates print what is made here (and in `catalog` and `document`, the emitters of
//! a resource's catalog and struct), never a raw spec string:
//!
//! - user text becomes a string literal escaped by `proc_macro2` ([`str_lit`]), so a
//!   `"`, `\` or newline in a title cannot end the literal, and `{` cannot become a
//!   format argument;
//! - user text in a doc comment is written a line at a time ([`doc_lines`]), so a
//!   newline cannot end the comment;
//! - the crate's type names, variants and expressions for Model values are chosen here.

use crate::model::{IdType, Kind};
use apigen_runtime::date::DateFormat;

/// A Rust string literal holding `text`: `"..."`, escaped as `proc_macro2` writes it.
pub fn str_lit(text: &str) -> String {
    proc_macro2::Literal::string(text).to_string()
}

/// A Rust string literal holding `text`, laid out a line of source per line of text
/// (for long texts, like a usage message): `"\`, then each line escaped as
/// [`str_lit`] escapes it, the line breaks kept as they are.
pub fn multiline_str_lit(text: &str) -> String {
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            let lit = str_lit(line);
            lit[1..lit.len() - 1].to_string()
        })
        .collect();
    // `"\` and a line break skip the whitespace that follows: only start so when the
    // text does not start with whitespace of its own.
    let open = if text.starts_with(char::is_whitespace) {
        "\""
    } else {
        "\"\\\n"
    };
    format!("{open}{}\"", lines.join("\n"))
}

/// `text` as doc comment lines, each starting with `marker` (`//!` or `///`): a line
/// break in the text starts another comment line instead of ending the comment.
/// Characters a comment cannot hold (control characters, text direction overrides)
/// are written as escapes. The lines are joined by `\n`, without a final one.
pub fn doc_lines(marker: &str, text: &str) -> String {
    text.split('\n')
        .flat_map(|line| line.strip_suffix('\r').unwrap_or(line).split('\r'))
        .map(|line| {
            let line: String = line
                .chars()
                .map(|c| {
                    let direction = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
                    if direction || (c.is_control() && c != '\t') {
                        c.escape_unicode().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            if line.is_empty() {
                marker.to_string()
            } else {
                format!("{marker} {line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A `regex` rule or lookup pattern as the crate compiles it, as a string literal:
/// anchored at both ends, since Cerberus (and Eve's lookup) match the whole value.
pub fn anchored_regex_lit(pattern: &str) -> String {
    str_lit(&format!("^(?:{pattern})$"))
}

/// The name of the resource module's `static` holding its `index`th regex, counted
/// depth first through the fields as `Resource::regex_fields` lists them.
pub fn regex_static(index: usize) -> String {
    format!("REGEX_{index}")
}

/// The variant of the generated crate's `catalog::Kind` (the runtime's own enum).
pub fn kind_variant(kind: Kind) -> String {
    format!("{kind:?}")
}

/// The Rust type of a present value of `kind` in the document struct.
pub fn kind_rust_type(kind: Kind) -> &'static str {
    match kind {
        // A media field holds its file's id.
        Kind::String | Kind::ObjectId | Kind::Media => "::std::string::String",
        Kind::Integer | Kind::Datetime => "i64",
        Kind::Float | Kind::Number => "f64",
        Kind::Boolean => "bool",
        // Served as stored: the JSON text is copied out, never parsed into a tree.
        _ => "::std::boxed::Box<::serde_json::value::RawValue>",
    }
}

/// A resource's `_id` when it is not the default objectid: the `ResourceInfo` fields
/// that say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomId {
    /// The variant of the generated crate's `routes::IdType`.
    pub variant: &'static str,
    /// How a new `_id` is made: `None` lets SQLite number it.
    pub new_id: &'static str,
}

impl CustomId {
    /// `None` for objectid ids, `ResourceInfo`'s default.
    pub fn of(id_type: IdType) -> Option<CustomId> {
        match id_type {
            IdType::ObjectId => None,
            IdType::Uuid => Some(CustomId {
                variant: "Uuid",
                new_id: "Some(crate::api::uuid::new_v4)",
            }),
            IdType::Integer => Some(CustomId {
                variant: "Integer",
                new_id: "None",
            }),
        }
    }
}

/// A table of the storage schema as a `schema::Table` expression of the runtime (the
/// module imports `crate::api::schema`).
pub fn table_expr(table: &crate::model::storage::Table) -> String {
    use crate::model::storage::{ColumnType, Key};
    const SCHEMA: &str = "schema";
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|column| {
            let ty = match column.ty {
                ColumnType::Text => "Text",
                ColumnType::Integer => "Integer",
                ColumnType::Real => "Real",
                ColumnType::Boolean => "Boolean",
                ColumnType::Datetime => "Datetime",
                ColumnType::Json => "Json",
                ColumnType::Blob => "Blob",
            };
            format!(
                "{SCHEMA}::Column::new({}, {SCHEMA}::ColumnType::{ty})",
                str_lit(&column.name)
            )
        })
        .collect();
    let indexes: Vec<String> = table
        .indexes
        .iter()
        .map(|index| {
            let columns: Vec<String> = index
                .columns
                .iter()
                .map(|c| {
                    let order = if c.descending {
                        "Descending"
                    } else {
                        "Ascending"
                    };
                    format!("({}, {SCHEMA}::Order::{order})", str_lit(&c.column))
                })
                .collect();
            format!(
                "{SCHEMA}::Index {{ name: {}, columns: &[{}], unique: {} }}",
                str_lit(&index.name),
                columns.join(", "),
                index.unique
            )
        })
        .collect();
    let key = match table.key {
        Key::Text => "Text",
        Key::Integer => "Integer",
    };
    format!(
        "{SCHEMA}::Table {{ name: {}, key: {SCHEMA}::Key::{key}, columns: &[{}], indexes: &[{}] }}",
        str_lit(&table.name),
        columns.join(", "),
        indexes.join(", ")
    )
}

/// The API's date format as a `date::DateFormat` expression.
pub fn date_format_expr(format: Option<&DateFormat>) -> String {
    let Some(format) = format else {
        return "date::DateFormat::RFC1123".to_string();
    };
    let items: Vec<String> = format
        .items()
        .iter()
        .map(|item| format!("date::Item::{item:?}"))
        .collect();
    format!(
        "date::DateFormat::custom({}, &[{}])",
        str_lit(format.pattern()),
        items.join(", ")
    )
}

/// The HTTP-layer settings as a `layers::Web` expression.
pub fn web_expr(web: &crate::model::Web) -> String {
    let strings = |list: &[String]| {
        let items: Vec<String> = list.iter().map(|s| str_lit(s)).collect();
        format!("&[{}]", items.join(", "))
    };
    let cors = match &web.cors {
        None => "None".to_string(),
        Some(cors) => format!(
            "Some(apigen_runtime::cors::Cors {{ domains: {}, any_domain: {}, domains_re: {}, headers: {}, expose_headers: {}, allow_credentials: {}, max_age: {}, compiled: ::std::sync::OnceLock::new() }})",
            strings(&cors.domains),
            cors.any_domain,
            strings(&cors.domains_re),
            str_lit(&cors.headers),
            str_lit(&cors.expose_headers),
            cors.allow_credentials,
            cors.max_age
        ),
    };
    format!(
        "layers::Web {{ method_override: {}, json: {}, xml: {}, jsonp_argument: {}, cors: {cors} }}",
        web.method_override,
        web.json,
        web.xml,
        match &web.jsonp_argument {
            None => "None".to_string(),
            Some(arg) => format!("Some({})", str_lit(arg)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_what_would_end_them() {
        assert_eq!(str_lit("people"), "\"people\"");
        assert_eq!(
            str_lit("Say \"hi\" \\ {x}\nit's <b> & co"),
            r#""Say \"hi\" \\ {x}\nit's <b> & co""#
        );
        let lit: syn::LitStr = syn::parse_str(&str_lit("a\u{202E}\0\r\"")).expect("a literal");
        assert_eq!(lit.value(), "a\u{202E}\0\r\"");
    }

    #[test]
    fn multiline_literals_keep_their_lines() {
        let text = "Say \"hi\" \\ there\nsecond line\n";
        let lit = multiline_str_lit(text);
        assert_eq!(lit, "\"\\\nSay \\\"hi\\\" \\\\ there\nsecond line\n\"");
        let parsed: syn::LitStr = syn::parse_str(&lit).expect("a literal");
        assert_eq!(parsed.value(), text);
        let indented: syn::LitStr =
            syn::parse_str(&multiline_str_lit("  two spaces")).expect("a literal");
        assert_eq!(indented.value(), "  two spaces", "leading whitespace kept");
    }

    #[test]
    fn doc_comments_take_a_line_per_line() {
        assert_eq!(doc_lines("//!", "Title"), "//! Title");
        assert_eq!(
            doc_lines("///", "one \"quoted\" \\\n\ntwo\r\nthree\rfour"),
            "/// one \"quoted\" \\\n///\n/// two\n/// three\n/// four"
        );
        assert_eq!(doc_lines("//!", "a\u{202E}b\u{7}"), "//! a\\u{202e}b\\u{7}");
    }

    #[test]
    fn regexes_are_anchored() {
        assert_eq!(anchored_regex_lit("[a-z]+"), r#""^(?:[a-z]+)$""#);
        assert_eq!(anchored_regex_lit("(?P<x>a)'s"), r#""^(?:(?P<x>a)'s)$""#);
    }

    #[test]
    fn the_catalog_names_the_regex_statics_the_module_declares() {
        let model = crate::model_from_str(
            "test.toml",
            "[api]\nname = \"t\"\nversion = \"1.0.0\"\n[resources.things.schema]\n\
             a = { type = \"string\", regex = \"x0\" }\n\
             d = { type = \"dict\", schema = { b = { type = \"string\", regex = \"x1\" } } }\n\
             l = { type = \"list\", items = { type = \"string\", regex = \"x2\" } }\n\
             c = { type = \"string\", regex = \"x3\" }\n",
        )
        .expect("valid spec");
        let module = crate::render::ResourceRs::new(&model, &model.resources[0]);
        let statics: Vec<(&str, &str, &str)> = module
            .regexes
            .iter()
            .map(|r| (r.name.as_str(), r.field, r.pattern.as_str()))
            .collect();
        assert_eq!(
            statics,
            [
                ("REGEX_0", "a", r#""^(?:x0)$""#),
                ("REGEX_1", "b", r#""^(?:x1)$""#),
                ("REGEX_2", "", r#""^(?:x2)$""#),
                ("REGEX_3", "c", r#""^(?:x3)$""#),
            ]
        );
        let catalog = module.catalog.join("\n");
        for i in 0..4 {
            assert!(
                catalog.contains(&format!("regex: Some((\"x{i}\", &REGEX_{i}))")),
                "{catalog}"
            );
        }
    }

    #[test]
    fn only_custom_ids_are_declared() {
        assert_eq!(CustomId::of(IdType::ObjectId), None);
        assert_eq!(
            CustomId::of(IdType::Integer).map(|c| c.new_id),
            Some("None")
        );
        assert_eq!(CustomId::of(IdType::Uuid).map(|c| c.variant), Some("Uuid"));
    }
}
