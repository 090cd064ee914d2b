//! The field catalog of a resource, written as a Rust literal for the generated crate's
//! `static FIELDS: &[Field]` (see `templates/crate/src/api/catalog.rs` for its type).

use crate::model::{Field, Literal};

impl Field {
    /// This field's entry in the catalog: a `Field { .. }` expression, nested for dicts
    /// and lists. Only rules that differ from `Field::new` are written out.
    pub fn catalog_expr(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.required {
            parts.push("required: true".into());
        }
        if self.nullable {
            parts.push("nullable: true".into());
        }
        if self.unique {
            parts.push("unique: true".into());
        }
        if let Some(n) = self.minlength {
            parts.push(format!("minlength: Some({n})"));
        }
        if let Some(n) = self.maxlength {
            parts.push(format!("maxlength: Some({n})"));
        }
        if let Some(n) = self.min {
            parts.push(format!("min: Some({n:?})"));
        }
        if let Some(n) = self.max {
            parts.push(format!("max: Some({n:?})"));
        }
        if let (Some(pattern), Some(name)) = (&self.regex, &self.regex_static) {
            parts.push(format!("regex: Some(({pattern:?}, &{name}))"));
        }
        if !self.allowed.is_empty() {
            let values: Vec<String> = self.allowed.iter().map(literal_expr).collect();
            parts.push(format!("allowed: &[{}]", values.join(", ")));
        }
        if let Some(default) = &self.default {
            parts.push(format!("default: Some({:?})", default.to_string()));
        }
        if !self.schema.is_empty() {
            let nested: Vec<String> = self.schema.iter().map(Field::catalog_expr).collect();
            parts.push(format!("schema: &[{}]", nested.join(", ")));
        }
        if let Some(items) = &self.items {
            parts.push(format!("items: Some(&{})", items.catalog_expr()));
        }
        if let Some(relation) = &self.relation {
            parts.push(format!(
                "relation: Some(crate::api::catalog::Relation {{ resource: {:?}, table: {:?}, field: {:?}, embeddable: {}, filter: {:?} }})",
                relation.resource,
                relation.table,
                relation.field,
                relation.embeddable,
                relation.target_filter_sql
            ));
        }
        if self.kind == crate::model::Kind::Datetime {
            // Read and written in the API's `date_format`.
            parts.push("dates: &crate::api::DATE_FORMAT".into());
        }
        if self.kind.is_geo() {
            parts.push(format!(
                "shape: Some(crate::api::geo::is_{})",
                self.kind.name()
            ));
        }
        let base = format!("Field::new({:?}, Kind::{})", self.name, self.kind.variant());
        if parts.is_empty() {
            base
        } else {
            format!("Field {{ {}, ..{base} }}", parts.join(", "))
        }
    }
}

fn literal_expr(literal: &Literal) -> String {
    match literal {
        Literal::Str(s) => format!("crate::api::catalog::Literal::Str({s:?})"),
        Literal::Int(i) => format!("crate::api::catalog::Literal::Int({i})"),
        Literal::Float(f) => format!("crate::api::catalog::Literal::Float({f:?})"),
        Literal::Bool(b) => format!("crate::api::catalog::Literal::Bool({b})"),
    }
}
