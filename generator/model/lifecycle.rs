//! Eve's data lifecycle settings of a resource: `soft_delete` and `versioning`
//! (each inherited from `[api]`, default off), and the fields they add to its
//! documents: `_deleted` and `_version`, which the server keeps and clients may not
//! send. They are ordinary columns of the resource's table, so a `where` can name
//! them and a migration adds them to a table that had none (stored documents get
//! their default: live, version 1).

use toml::Spanned;

use super::{Field, Kind, Resolver, Resource};
use crate::diagnostic::Diagnostic;
use crate::spec::{FieldSpec, ResourceSpec};
use apigen_runtime::lifecycle::DELETED;
use apigen_runtime::versioning::{LATEST_VERSION, VERSION, VERSION_ID_SUFFIX, VERSIONS};

/// What of Eve's data lifecycle a resource has.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lifecycle {
    /// Eve's `soft_delete`: DELETE marks documents `_deleted`.
    pub soft_delete: bool,
    /// Eve's `versioning`: every version is kept in `<table>_versions`.
    pub versioning: bool,
    /// The fields kept out of versions (`versioned = false`), in schema order.
    pub unversioned: Vec<String>,
    /// Eve's `VERSION_DIFF_INCLUDE` (`[api] version_diff_include`): the fields
    /// `?version=diffs` always shows.
    pub diff_include: Vec<String>,
}

impl Lifecycle {
    /// The fields the server keeps on each document, after the schema's.
    pub fn kept_fields(&self) -> Vec<Field> {
        // `_deleted`, `_version`: plain identifiers, never escaped.
        let field = |name: &str, kind, default| Field {
            ident: name.to_string(),
            default: Some(default),
            ..Field::plain(name, kind)
        };
        let mut fields = Vec::new();
        if self.soft_delete {
            fields.push(field(
                DELETED,
                Kind::Boolean,
                serde_json::Value::Bool(false),
            ));
        }
        if self.versioning {
            fields.push(field(VERSION, Kind::Integer, serde_json::Value::from(1)));
        }
        fields
    }
}

impl Resource {
    /// The fields of the spec's schema: those a client sends, without the ones the
    /// server keeps (which `Lifecycle::kept_fields` put last).
    pub fn schema_fields(&self) -> &[Field] {
        let kept = usize::from(self.lifecycle.soft_delete) + usize::from(self.lifecycle.versioning);
        &self.fields[..self.fields.len() - kept]
    }

    /// The members a write's answer has besides `_id`, `_created`, `_updated` and
    /// `_etag` (Eve's `auto_fields`), with their kinds: the kept fields, and
    /// `_latest_version` with `_version`.
    pub fn kept_members(&self) -> Vec<(&'static str, Kind)> {
        let mut members = Vec::new();
        if self.lifecycle.soft_delete {
            members.push((DELETED, Kind::Boolean));
        }
        if self.lifecycle.versioning {
            members.push((VERSION, Kind::Integer));
            members.push((LATEST_VERSION, Kind::Integer));
        }
        members
    }

    /// The table of the resource's versions (`versioning`), `<table>_versions`.
    pub fn versions_table(&self) -> Option<String> {
        self.lifecycle
            .versioning
            .then(|| format!("{}{VERSIONS}", self.table))
    }
}

/// The column of a versions table that holds the document's `_id` (`_id_document`).
pub fn version_id_column() -> String {
    format!("_id{VERSION_ID_SUFFIX}")
}

impl Resolver<'_> {
    /// A resource's `soft_delete` and `versioning`, with the fields `versioned = false`
    /// keeps out of versions. A resource serving another one's table
    /// (`datasource.source`) has the source's: its documents are the source's.
    pub(super) fn lifecycle(
        &self,
        spec: &ResourceSpec,
        source: Option<&ResourceSpec>,
    ) -> Result<Lifecycle, Diagnostic> {
        let api = self.spec.api.get_ref();
        let own = |setting: &Option<Spanned<bool>>, api: Option<bool>| {
            setting
                .as_ref()
                .map(|s| *s.get_ref())
                .or(api)
                .unwrap_or(false)
        };
        if source.is_some() {
            for (setting, name) in [
                (&spec.soft_delete, "soft_delete"),
                (&spec.versioning, "versioning"),
            ] {
                if let Some(setting) = setting {
                    return Err(self
                        .error(
                            setting,
                            format!("`{name}` on a resource that serves another one's table"),
                        )
                        .with_help(format!(
                            "its documents are those of its `datasource.source`: set `{name}` there"
                        )));
                }
            }
        }
        let owner = source.unwrap_or(spec);
        let versioning = own(&owner.versioning, api.versioning);
        let mut unversioned = Vec::new();
        for (name, field) in &owner.schema {
            self.check_nested_versioned(field.get_ref())?;
            let Some(versioned) = &field.get_ref().versioned else {
                continue;
            };
            if !versioning {
                return Err(self
                    .error(
                        versioned,
                        format!("`versioned` on `{}` of a resource without `versioning`", name.get_ref()),
                    )
                    .with_help("set `versioning = true` on the resource (or in `[api]`), or remove `versioned`"));
            }
            if !*versioned.get_ref() {
                unversioned.push(name.get_ref().clone());
            }
        }
        let diff_include = match (&api.version_diff_include, versioning) {
            (Some(names), true) => names.iter().map(|n| n.get_ref().clone()).collect(),
            _ => Vec::new(),
        };
        Ok(Lifecycle {
            soft_delete: own(&owner.soft_delete, api.soft_delete),
            versioning,
            unversioned,
            diff_include,
        })
    }

    /// `versioned` is a rule of top-level fields (Eve reads it only there).
    fn check_nested_versioned(&self, field: &FieldSpec) -> Result<(), Diagnostic> {
        let nested = field
            .schema
            .iter()
            .flat_map(|schema| schema.values())
            .chain(field.items.as_deref());
        for inner in nested {
            if let Some(versioned) = &inner.get_ref().versioned {
                return Err(self
                    .error(versioned, "`versioned` on a nested field")
                    .with_help("a version keeps or leaves out a whole top-level field: set `versioned` on the field that holds this one"));
            }
            self.check_nested_versioned(inner.get_ref())?;
        }
        Ok(())
    }

    /// No resource's table may be named like another's versions table.
    pub(super) fn check_versions_tables(&self, resources: &[Resource]) -> Result<(), Diagnostic> {
        for resource in resources {
            let Some(versions) = resource.versions_table() else {
                continue;
            };
            if let Some(other) = resources.iter().find(|r| r.table == versions) {
                let spanned = self
                    .spec
                    .resources
                    .keys()
                    .find(|k| k.get_ref() == &other.name)
                    .expect("resource came from the spec");
                return Err(self
                    .error(
                        spanned,
                        format!(
                            "table `{versions}` would hold both the resource `{}` and the versions of `{}`",
                            other.name, resource.name
                        ),
                    )
                    .with_help(format!(
                        "rename the resource `{}`, or turn `versioning` off on `{}`",
                        other.name, resource.name
                    )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::tests::model;

    const API: &str = "[api]\nname = \"shop\"\nversion = \"1.0.0\"\n";

    #[test]
    fn lifecycle_settings_inherit_from_the_api_and_add_kept_fields() {
        let m = model(&format!(
            "{API}soft_delete = true\n[resources.a.schema]\nx = {{ type = \"integer\" }}\n\
             [resources.b]\nsoft_delete = false\nversioning = true\n[resources.b.schema]\nx = {{ type = \"integer\" }}\n"
        ))
        .expect("valid");
        let names = |i: usize| {
            m.resources[i]
                .fields
                .iter()
                .map(|f| f.name.clone())
                .collect::<Vec<_>>()
        };
        assert!(m.resources[0].lifecycle.soft_delete && !m.resources[0].lifecycle.versioning);
        assert_eq!(names(0), ["x", "_deleted"]);
        assert_eq!(names(1), ["x", "_version"]);
        assert_eq!(
            m.resources[1].versions_table().as_deref(),
            Some("b_versions")
        );
        assert_eq!(m.resources[0].versions_table(), None);
    }

    #[test]
    fn a_view_has_its_sources_lifecycle_and_may_not_set_its_own() {
        let spec = format!(
            "{API}[resources.a]\nsoft_delete = true\n[resources.a.schema]\nx = {{ type = \"integer\" }}\n\
             [resources.v]\ndatasource = {{ source = \"a\" }}\n"
        );
        let m = model(&spec).expect("valid");
        assert!(m.resources[1].lifecycle.soft_delete);
        assert_eq!(
            m.resources[1].fields.last().map(|f| f.name.as_str()),
            Some("_deleted")
        );
        let error = model(&format!("{spec}versioning = true\n")).unwrap_err();
        assert!(
            error.to_string().contains("serves another one's table"),
            "{error}"
        );
    }

    /// Turning both on for a resource that has documents: a migration adds the columns
    /// (stored documents live, version 1), the versions table, and makes the unique
    /// index a plain one (uniqueness among live documents is checked by the server).
    #[test]
    fn turning_the_lifecycle_on_is_a_migration() {
        let before =
            format!("{API}[resources.a.schema]\nx = {{ type = \"string\", unique = true }}\n");
        let after = before.replace(
            "[resources.a.schema]",
            "[resources.a]\nsoft_delete = true\nversioning = true\n[resources.a.schema]",
        );
        let old = model(&before).expect("valid").tables;
        let old = old.into_iter().map(|t| (t.name.clone(), t)).collect();
        let new = model(&after).expect("valid");
        let migration = crate::migration::plan(&old, 0, &new, "test.toml", &after, false)
            .expect("a migration")
            .expect("a change");
        use crate::migration::Step;
        use crate::model::storage::{Column, ColumnType};
        let versions = new
            .tables
            .iter()
            .find(|t| t.name == "a_versions")
            .expect("a versions table");
        let plain_index = new.tables[0].indexes[0].clone();
        assert!(
            !plain_index.unique,
            "unique among live documents: checked by the server"
        );
        assert_eq!(
            migration.steps,
            [
                Step::DropIndex("a_x_unique".to_string()),
                Step::CreateTable(versions.clone()),
                Step::AddColumn {
                    table: "a".to_string(),
                    column: Column {
                        name: "_deleted".to_string(),
                        ty: ColumnType::Boolean
                    },
                    fill: Some(serde_json::json!(false)),
                },
                Step::AddColumn {
                    table: "a".to_string(),
                    column: Column {
                        name: "_version".to_string(),
                        ty: ColumnType::Integer
                    },
                    fill: Some(serde_json::json!(1)),
                },
                Step::CreateIndex {
                    table: "a".to_string(),
                    index: plain_index
                },
            ]
        );
        let columns: Vec<&str> = versions.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(columns, ["_id_document", "x", "_deleted", "_version"]);
    }

    #[test]
    fn a_versions_table_may_not_be_a_resource() {
        let error = model(&format!(
            "{API}[resources.a]\nversioning = true\n[resources.a.schema]\nx = {{ type = \"integer\" }}\n\
             [resources.a_versions.schema]\nx = {{ type = \"integer\" }}\n"
        ))
        .unwrap_err();
        assert!(error.to_string().contains("versions of `a`"), "{error}");
    }
}
