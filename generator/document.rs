//! How a top-level field appears in a resource's document struct: its Rust type, its
//! serde attributes, how it is read from its column and turned back into JSON.

use crate::model::{Field, Kind};
use crate::rust::str_lit;

impl Field {
    /// The struct field's type: every field may be absent from a document.
    pub fn struct_type(&self) -> String {
        format!("::std::option::Option<{}>", self.kind.rust_type())
    }

    /// The statement that serializes this field in the document's `Serialize` impl:
    /// absent fields are left out, except nullable ones, which are `null`.
    /// `custom_dates`: the API has a custom `date_format` (dates serialize as `WireDate`).
    pub fn serialize_stmt(&self, custom_dates: &bool) -> String {
        let value = if self.kind == Kind::Datetime && *custom_dates {
            "&crate::api::date::WireDate(*value)"
        } else if self.kind == Kind::Datetime {
            "&crate::api::date::Rfc1123(*value)"
        } else {
            "value"
        };
        let name = str_lit(&self.name);
        if self.nullable {
            format!(
                "match &self.{ident} {{ ::std::option::Option::Some(value) => state.serialize_field({name}, {value})?, ::std::option::Option::None => state.serialize_field({name}, &())? }}",
                ident = self.ident
            )
        } else {
            format!(
                "if let ::std::option::Option::Some(value) = &self.{ident} {{ state.serialize_field({name}, {value})?; }}",
                ident = self.ident
            )
        }
    }

    /// Expression reading this field from column `index` of `row`.
    /// (askama passes template values by reference, hence `Borrow`.)
    pub fn read_expr(&self, index: impl std::borrow::Borrow<usize>) -> String {
        let index = *index.borrow();
        if self.kind.is_json() {
            format!("crate::api::store::raw_json_column(row, {index})?")
        } else {
            format!("row.get({index})?")
        }
    }

    /// Expression turning `value` (the unwrapped struct field) into a `serde_json::Value`.
    pub fn json_expr(&self, custom_dates: &bool) -> &'static str {
        match self.kind {
            Kind::Datetime if *custom_dates => {
                "::serde_json::Value::String(crate::api::date::format_wire(value))"
            }
            Kind::Datetime => {
                "::serde_json::Value::String(crate::api::date::format_rfc1123(value))"
            }
            kind if kind.is_json() => "crate::api::store::parse_raw(&value)",
            _ => "::serde_json::Value::from(value)",
        }
    }
}
