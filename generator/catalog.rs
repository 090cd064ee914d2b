//! The field catalog of a resource, written as a Rust literal for the generated crate's
//! `static FIELDS: &[Field]` (see `templates/crate/src/api/catalog.rs` for its type).

use crate::model::{Field, Literal};
use crate::rust::{regex_static, str_lit};
use apigen_runtime::catalog::Bound;

impl Field {
    /// This field's entry in the catalog: a `Field { .. }` expression, nested for dicts
    /// and lists. Only rules that differ from `Field::new` are written out.
    /// `regexes` counts the regex rules written so far in the resource, depth first:
    /// their statics are numbered in that order (see `rust::regex_static`).
    pub fn catalog_expr(&self, regexes: &mut usize) -> String {
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
        for (key, bound) in [("min", self.min), ("max", self.max)] {
            match bound {
                Some(Bound::Int(n)) => {
                    parts.push(format!("{key}: Some(crate::api::catalog::Bound::Int({n}))"))
                }
                Some(Bound::Float(n)) => parts.push(format!(
                    "{key}: Some(crate::api::catalog::Bound::Float({n:?}))"
                )),
                None => {}
            }
        }
        if let Some(pattern) = &self.regex {
            let name = regex_static(*regexes);
            *regexes += 1;
            parts.push(format!("regex: Some(({}, &{name}))", str_lit(pattern)));
        }
        if !self.allowed.is_empty() {
            let values: Vec<String> = self.allowed.iter().map(literal_expr).collect();
            parts.push(format!("allowed: &[{}]", values.join(", ")));
        }
        if let Some(default) = &self.default {
            parts.push(format!("default: Some({})", str_lit(&default.to_string())));
        }
        if !self.schema.is_empty() {
            let nested: Vec<String> = self
                .schema
                .iter()
                .map(|field| field.catalog_expr(regexes))
                .collect();
            parts.push(format!("schema: &[{}]", nested.join(", ")));
        }
        if let Some(items) = &self.items {
            parts.push(format!("items: Some(&{})", items.catalog_expr(regexes)));
        }
        if let Some(relation) = &self.relation {
            // The target's `INFO`: its table and datasource filter (statics may name
            // each other, even in a cycle).
            parts.push(format!(
                "relation: Some(crate::api::catalog::Relation {{ target: &crate::api::resources::{}::INFO, field: {}, embeddable: {} }})",
                crate::model::module_ident(&relation.resource),
                str_lit(&relation.field),
                relation.embeddable,
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
        if let Some(name) = &self.validator {
            // The user's rule, through the generated `validators` module.
            parts.push(format!(
                "validator: Some(({}, crate::api::validators::{name}))",
                str_lit(name)
            ));
        }
        let base = format!(
            "Field::new({}, Kind::{})",
            str_lit(&self.name),
            crate::rust::kind_variant(self.kind)
        );
        if parts.is_empty() {
            base
        } else {
            format!("Field {{ {}, ..{base} }}", parts.join(", "))
        }
    }
}

fn literal_expr(literal: &Literal) -> String {
    match literal {
        Literal::Str(s) => format!("crate::api::catalog::Literal::Str({})", str_lit(s)),
        Literal::Int(i) => format!("crate::api::catalog::Literal::Int({i})"),
        Literal::Float(f) => format!("crate::api::catalog::Literal::Float({f:?})"),
        Literal::Bool(b) => format!("crate::api::catalog::Literal::Bool({b})"),
    }
}
