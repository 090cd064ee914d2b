//! How a top-level field appears in a resource's document struct: its Rust type, its
//! serde attributes, how it is read from its column and turned back into JSON.

use crate::model::{Field, Kind};
use crate::rust::str_lit;

impl Field {
    /// The struct field's type: every field may be absent from a document.
    pub fn struct_type(&self) -> String {
        format!(
            "::std::option::Option<{}>",
            crate::rust::kind_rust_type(self.kind)
        )
    }

    /// The statement that serializes this field in the document's `Serialize` impl:
    /// absent fields are left out, except nullable ones, which are `null`.
    /// Dates serialize in the API's `date_format`.
    pub fn serialize_stmt(&self) -> String {
        let value = if self.kind == Kind::Datetime {
            "&crate::api::date::Wire(*value, &crate::api::DATE_FORMAT)"
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

    /// The statement of `write_row` that writes this field from column `index` of
    /// `row` into `doc` (a `resource::JsonObject`), as `serialize_stmt` writes it.
    pub fn write_row_stmt(&self, index: impl std::borrow::Borrow<usize>) -> String {
        let index = *index.borrow();
        let name = crate::rust::str_lit(&self.name);
        let nullable = self.nullable;
        match self.kind {
            Kind::String | Kind::ObjectId | Kind::Media => {
                format!("doc.text({name}, row.text_ref({index})?, {nullable});")
            }
            Kind::Integer => format!("doc.integer({name}, row.integer({index})?, {nullable});"),
            Kind::Float | Kind::Number => {
                format!("doc.real({name}, row.real({index})?, {nullable});")
            }
            Kind::Boolean => format!("doc.boolean({name}, row.boolean({index})?, {nullable});"),
            Kind::Datetime => format!(
                "doc.date({name}, row.integer({index})?, {nullable}, &crate::api::DATE_FORMAT);"
            ),
            _ => format!("doc.raw({name}, row.json_ref({index})?, {nullable});"),
        }
    }

    /// Expression reading this field from column `index` of `row`.
    /// (askama passes template values by reference, hence `Borrow`.)
    pub fn read_expr(&self, index: impl std::borrow::Borrow<usize>) -> String {
        let index = *index.borrow();
        let read = match self.kind {
            Kind::String | Kind::ObjectId | Kind::Media => "text",
            Kind::Integer | Kind::Datetime => "integer",
            Kind::Float | Kind::Number => "real",
            Kind::Boolean => "boolean",
            _ => "json",
        };
        format!("row.{read}({index})?")
    }

    /// Expression turning `value` (the unwrapped struct field) into a `serde_json::Value`.
    pub fn json_expr(&self) -> &'static str {
        match self.kind {
            Kind::Datetime => "::serde_json::Value::String(crate::api::DATE_FORMAT.format(value))",
            kind if kind.is_json() => "crate::api::store::parse_raw(&value)",
            _ => "::serde_json::Value::from(value)",
        }
    }
}
