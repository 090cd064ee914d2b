//! Tabular imports (`[resources.<r>.import]`): the dataset API's bulk load of a table
//! (a header row, then rows), as JSON, a form, CSV or XLSX, into a resource. The
//! runtime's `import` module does the work; here the settings are checked: an upsert
//! key must name one document (`_id` or a `unique` scalar field), and the numbers must
//! be ones a server can live with.

use toml::Spanned;

use super::{Datasource, Field, Kind, Resolver};
use crate::diagnostic::Diagnostic;
use crate::spec::ImportSpec;

/// A resource's import settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// Fields an upsert may match documents by, besides `_id`.
    pub upsert_on: Vec<String>,
    /// Whether `mode=replace` may empty the collection first.
    pub replace: bool,
    /// Rows per batch.
    pub batch: u64,
    /// Largest import body, in bytes.
    pub max_bytes: u64,
}

/// 1 GiB: a file is streamed, so the bound is the disk's, not memory's.
const DEFAULT_MAX_BYTES: u64 = 1 << 30;
const DEFAULT_BATCH: u64 = 1000;
const MAX_BATCH: i64 = 100_000;

impl Resolver<'_> {
    /// The resource's import settings, when it has an `import` table.
    pub(super) fn import(
        &self,
        spec: Option<&Spanned<ImportSpec>>,
        fields: &[Field],
        datasource: &Datasource,
        internal: bool,
    ) -> Result<Option<Import>, Diagnostic> {
        let Some(spanned) = spec else {
            return Ok(None);
        };
        if internal {
            return Err(self
                .error(
                    spanned,
                    "an internal resource has no routes to import through",
                )
                .with_help(
                    "import into a served resource, or write internal documents from a hook",
                ));
        }
        if datasource.aggregation.is_some() {
            return Err(self
                .error(
                    spanned,
                    "an aggregation resource has no documents to import into",
                )
                .with_help("put `import` on the resource the pipeline reads"));
        }
        let spec = spanned.get_ref();
        let mut upsert_on = Vec::new();
        for key in spec.upsert_on.iter().flatten() {
            let name = key.get_ref();
            if name == "_id" {
                return Err(self
                    .error(key, "`_id` is always a key of an upsert")
                    .with_help("list only the other fields rows may be matched by"));
            }
            let Some(field) = fields.iter().find(|f| &f.name == name) else {
                let known: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                return Err(self
                    .error(
                        key,
                        format!("`upsert_on` names `{name}`, which is not a field"),
                    )
                    .with_help(format!("the fields: {}", known.join(", "))));
            };
            if !field.unique {
                return Err(self
                    .error(
                        key,
                        format!("`{name}` is not `unique`: a row could match several documents"),
                    )
                    .with_help(format!(
                        "add `unique = true` to `{name}`, or match rows by `_id`"
                    )));
            }
            if !matches!(field.kind, Kind::String | Kind::Integer | Kind::ObjectId) {
                return Err(self
                    .error(
                        key,
                        format!(
                            "`{name}` is {} {} field",
                            super::article(field.kind.name()),
                            field.kind.name()
                        ),
                    )
                    .with_help("an upsert key is a string, integer or objectid field"));
            }
            if upsert_on.contains(name) {
                return Err(self.error(key, format!("`{name}` is listed twice")));
            }
            upsert_on.push(name.clone());
        }
        let batch = match &spec.batch {
            None => DEFAULT_BATCH,
            Some(batch) if (1..=MAX_BATCH).contains(batch.get_ref()) => *batch.get_ref() as u64,
            Some(batch) => {
                return Err(self
                    .error(batch, format!("`batch` is {}", batch.get_ref()))
                    .with_help(format!(
                        "rows per batch: 1 to {MAX_BATCH} (default {DEFAULT_BATCH})"
                    )));
            }
        };
        let max_bytes = match &spec.max_bytes {
            None => DEFAULT_MAX_BYTES,
            Some(bytes) if *bytes.get_ref() >= 1 => *bytes.get_ref() as u64,
            Some(bytes) => {
                return Err(self
                    .error(bytes, format!("`max_bytes` is {}", bytes.get_ref()))
                    .with_help("the largest import body, in bytes: at least 1 (default 1 GiB)"));
            }
        };
        Ok(Some(Import {
            upsert_on,
            replace: spec.replace.unwrap_or(false),
            batch,
            max_bytes,
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::model::tests::model;

    const API: &str = "[api]\nname = \"shop\"\nversion = \"1.0.0\"\n[resources.rows.schema]\ncode = { type = \"string\", unique = true }\nyear = { type = \"integer\" }\n";

    #[test]
    fn an_import_is_an_operation_of_its_resource() {
        let m = model(&format!(
            "{API}[resources.rows.import]\nupsert_on = [\"code\"]\nreplace = true\n"
        ))
        .expect("valid spec");
        let import = m.resources[0].import.as_ref().expect("an import");
        assert_eq!(import.upsert_on, ["code"]);
        assert!(import.replace);
        assert_eq!(import.batch, 1000);
        let op = m
            .operations
            .iter()
            .find(|o| o.id == "rows.import")
            .expect("the operation");
        assert_eq!(op.routes(&m.api.prefix), ["/api/v1/rows/import"]);
        assert_eq!(op.method, crate::model::operations::Method::Post);
    }

    #[test]
    fn a_resource_without_import_has_no_import_operation() {
        let m = model(API).expect("valid spec");
        assert!(m.operations.iter().all(|o| o.id != "rows.import"));
    }

    #[test]
    fn an_upsert_key_must_be_unique() {
        let error = model(&format!(
            "{API}[resources.rows.import]\nupsert_on = [\"year\"]\n"
        ))
        .unwrap_err();
        assert!(error.to_string().contains("not `unique`"), "{error}");
        let error = model(&format!(
            "{API}[resources.rows.import]\nupsert_on = [\"nope\"]\n"
        ))
        .unwrap_err();
        assert!(error.to_string().contains("not a field"), "{error}");
        let error = model(&format!("{API}[resources.rows.import]\nbatch = 0\n")).unwrap_err();
        assert!(error.to_string().contains("rows per batch"), "{error}");
    }
}
