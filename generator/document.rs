//! How a top-level field appears in a resource's document struct: its Rust type, its
//! serde attributes, how it is read from its column and turned back into JSON.

use crate::model::{Field, Kind};

impl Field {
    /// The struct field's type: every field may be absent from a document.
    pub fn struct_type(&self) -> String {
        format!("::std::option::Option<{}>", self.kind.rust_type())
    }

    /// `#[serde(...)]` for the struct field, or nothing.
    pub fn serde_attr(&self) -> String {
        let mut parts = Vec::new();
        if self.ident.trim_start_matches("r#") != self.name {
            parts.push(format!("rename = {:?}", self.name));
        }
        if !self.nullable {
            parts.push("skip_serializing_if = \"::std::option::Option::is_none\"".to_string());
        }
        if self.kind == Kind::Datetime {
            parts.push("serialize_with = \"crate::api::date::serialize_opt\"".to_string());
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("#[serde({})]", parts.join(", "))
        }
    }

    /// Expression reading this field from column `index` of `row`.
    /// (askama passes template values by reference, hence `Borrow`.)
    pub fn read_expr(&self, index: impl std::borrow::Borrow<usize>) -> String {
        let index = *index.borrow();
        match self.kind {
            Kind::Dict | Kind::List => format!("crate::api::store::raw_json_column(row, {index})?"),
            _ => format!("row.get({index})?"),
        }
    }

    /// Expression turning `value` (the unwrapped struct field) into a `serde_json::Value`.
    pub fn json_expr(&self) -> &'static str {
        match self.kind {
            Kind::Datetime => {
                "::serde_json::Value::String(crate::api::date::format_rfc1123(value))"
            }
            Kind::Dict | Kind::List => "crate::api::store::parse_raw(&value)",
            _ => "::serde_json::Value::from(value)",
        }
    }
}
