//! What a spec asks of the user's own code: custom validation rules (`validator`),
//! each a method of the generated `Validators` trait the user's `src/validators.rs`
//! implements, so a rule named in the spec but not written is a build error.

use toml::Spanned;

use super::{Field, Model, Resolver, rust_ident};
use crate::diagnostic::Diagnostic;

/// A custom rule the spec names, and where: one required method of `Validators`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validator {
    /// The rule's name in the spec and its method's name (`odd`).
    pub name: String,
    /// The fields that use it, as `resource.field.path` (list items: `field[]`).
    pub used_by: Vec<String>,
}

impl Resolver<'_> {
    /// A field's `validator`: a name that is a plain Rust method name.
    pub(super) fn validator(
        &self,
        name: Option<&Spanned<String>>,
    ) -> Result<Option<String>, Diagnostic> {
        let Some(name) = name else {
            return Ok(None);
        };
        let text = name.get_ref();
        let plain = text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !plain || rust_ident(text) != *text {
            return Err(self
                .error(name, format!("invalid validator name `{text}`"))
                .with_help("a validator is a method of your `Validators` implementation: a lowercase name of letters, digits and `_` that is not a Rust keyword, like `odd` or `is_isbn`"));
        }
        Ok(Some(text.clone()))
    }
}

impl Model {
    /// The custom rules the spec names, sorted by name, each with the fields using it.
    pub fn validators(&self) -> Vec<Validator> {
        fn collect(
            field: &Field,
            path: String,
            out: &mut std::collections::BTreeMap<String, Vec<String>>,
        ) {
            if let Some(name) = &field.validator {
                out.entry(name.clone()).or_default().push(path.clone());
            }
            for nested in &field.schema {
                collect(nested, format!("{path}.{}", nested.name), out);
            }
            if let Some(items) = &field.items {
                collect(items, format!("{path}[]"), out);
            }
        }
        let mut out = std::collections::BTreeMap::new();
        for resource in &self.resources {
            for field in &resource.fields {
                collect(field, format!("{}.{}", resource.name, field.name), &mut out);
            }
        }
        out.into_iter()
            .map(|(name, used_by)| Validator { name, used_by })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::model;

    const API: &str = "[api]\nname = \"t\"\nversion = \"1.0.0\"\n";

    #[test]
    fn validators_are_listed_once_with_every_field_using_them() {
        let source = format!(
            "{API}[resources.things.schema]\nn = {{ type = \"integer\", validator = \"odd\" }}\n\
             tags = {{ type = \"list\", items = {{ type = \"integer\", validator = \"odd\" }} }}\n\
             meta = {{ type = \"dict\", schema = {{ code = {{ type = \"string\", validator = \"is_code\" }} }} }}\n"
        );
        let model = model(&source).expect("a valid spec");
        let names: Vec<(String, Vec<String>)> = model
            .validators()
            .into_iter()
            .map(|v| (v.name, v.used_by))
            .collect();
        assert_eq!(
            names,
            [
                ("is_code".to_string(), vec!["things.meta.code".to_string()]),
                (
                    "odd".to_string(),
                    vec!["things.n".to_string(), "things.tags[]".to_string()]
                ),
            ]
        );
    }

    #[test]
    fn a_validator_name_must_be_a_method_name() {
        for bad in ["Odd", "is-odd", "fn", "1st", ""] {
            let source = format!(
                "{API}[resources.things.schema]\nn = {{ type = \"integer\", validator = \"{bad}\" }}\n"
            );
            let error = model(&source).expect_err(bad).to_string();
            assert!(error.contains("invalid validator name"), "{bad}: {error}");
        }
    }
}
