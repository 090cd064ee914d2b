//! Migrations: what changed in the stored schema since the crate was last generated,
//! as a numbered SQL file the server applies.
//!
//! `apigen.json` records the typed tables (`model::storage`) the crate was generated
//! from. Regenerating compares them with the spec's new tables:
//!
//! - additive changes are written as a migration without asking: a new resource, a
//!   new field (existing documents get its `default`, or nothing), a new index, a new
//!   `unique` (the server refuses the migration, changing nothing, if stored documents
//!   already share a value);
//! - renames need the spec to say so (`renamed_from = "old"` on the field or
//!   resource), since a rename and a drop-plus-add look the same from the outside;
//! - changes that lose data or cannot be decided stop generation with a diagnostic
//!   that names the change and says how to say what is meant: a dropped field or
//!   resource (`apigen generate --allow-drop`), a changed storage type, a new
//!   `required` field with no `default` (stored documents would break the rule), a new
//!   `unique` field with a `default` (every stored document would get the same value).
//!
//! Rules only the server checks (`min`, `regex`, `allowed`, ...) need no migration.
//! The SQL itself is the runtime's (`sqlite::migrate::script`): apigen makes no SQL.

use std::collections::BTreeMap;

use apigen_runtime::schema as runtime;

use crate::diagnostic::Diagnostic;
use crate::model::storage::{Column, ColumnType, Index, Key, Table};
use crate::model::{Model, Resource};
use crate::spec::{ResourceSpec, Spec};

/// The migrations directory, at the crate's root.
pub const DIR: &str = "migrations";

/// One change, with the tables' and columns' names.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    CreateTable(Table),
    RenameTable {
        from: String,
        to: String,
    },
    DropTable(String),
    AddColumn {
        table: String,
        column: Column,
        fill: Option<serde_json::Value>,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    DropColumn {
        table: String,
        column: String,
    },
    CreateIndex {
        table: String,
        index: Index,
    },
    DropIndex(String),
}

impl Step {
    /// What the step does, for the migration's header and `apigen generate`'s report.
    pub fn describe(&self) -> String {
        match self {
            Step::CreateTable(table) => format!("new resource table `{}`", table.name),
            Step::RenameTable { from, to } => format!("rename table `{from}` to `{to}`"),
            Step::DropTable(table) => format!("drop table `{table}` and its documents"),
            Step::AddColumn {
                table,
                column,
                fill,
            } => match fill {
                Some(value) => format!(
                    "add field `{table}.{}`, {value} in the documents already stored",
                    column.name
                ),
                None => format!("add field `{table}.{}`", column.name),
            },
            Step::RenameColumn { table, from, to } => {
                format!("rename field `{table}.{from}` to `{to}`")
            }
            Step::DropColumn { table, column } => {
                format!("drop field `{table}.{column}` and its values")
            }
            Step::CreateIndex { table, index } => format!(
                "{} `{}` on `{table}`",
                if index.unique {
                    "new unique index"
                } else {
                    "new index"
                },
                index.name
            ),
            Step::DropIndex(name) => format!("drop index `{name}`"),
        }
    }

    /// A few words for the file name: `people_add_nickname`.
    fn slug(&self) -> String {
        match self {
            Step::CreateTable(table) => format!("create_{}", table.name),
            Step::RenameTable { from, to } => format!("rename_{from}_to_{to}"),
            Step::DropTable(table) => format!("drop_{table}"),
            Step::AddColumn { table, column, .. } => format!("{table}_add_{}", column.name),
            Step::RenameColumn { table, from, to } => format!("{table}_rename_{from}_to_{to}"),
            Step::DropColumn { table, column } => format!("{table}_drop_{column}"),
            Step::CreateIndex { index, .. } => format!("index_{}", index.name),
            Step::DropIndex(name) => format!("drop_index_{name}"),
        }
    }
}

/// A migration to write: `migrations/<name>.sql`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMigration {
    /// `0003_people_add_nickname`.
    pub name: String,
    pub steps: Vec<Step>,
    pub sql: String,
}

impl NewMigration {
    pub fn path(&self) -> String {
        format!("{DIR}/{}.sql", self.name)
    }
}

/// The migration from `old` (the tables `apigen.json` recorded; empty for a new
/// crate, which needs none) to `model`, numbered after the `applied` ones; `None` when
/// the stored schema did not change. `path` and `source` are the spec's, for
/// diagnostics; `allow_drop` lets fields and resources be dropped.
pub fn plan(
    old: &BTreeMap<String, Table>,
    previous: usize,
    model: &Model,
    path: &str,
    source: &str,
    allow_drop: bool,
) -> Result<Option<NewMigration>, Diagnostic> {
    if old.is_empty() {
        return Ok(None);
    }
    let spec = crate::spec::parse(path, source)?;
    let differ = Differ {
        path,
        source,
        spec: &spec,
        model,
        allow_drop,
    };
    let steps = differ.steps(old)?;
    if steps.is_empty() {
        return Ok(None);
    }
    let sql = sql(&steps, model, path)?;
    let mut slug = steps[0].slug();
    if steps.len() > 1 {
        slug.push_str(&format!("_and_{}_more", steps.len() - 1));
    }
    slug.truncate(60);
    let name = format!("{:04}_{}", previous + 1, slug.trim_end_matches('_'));
    let mut text = format!(
        "-- @generated by apigen: written once by `apigen generate`, never rewritten.\n\
         -- `{package} serve` applies it at start (or `{package} migrate`), in one\n\
         -- transaction with the other pending ones, and records it in `{}`.\n\
         -- Read it before it reaches a database you care about.\n--\n",
        apigen_runtime::sqlite::migrate::HISTORY,
        package = model.api.package,
    );
    for step in &steps {
        text.push_str(&format!("-- {}\n", step.describe()));
    }
    text.push('\n');
    text.push_str(&sql);
    text.push('\n');
    Ok(Some(NewMigration {
        name,
        steps,
        sql: text,
    }))
}

/// The runtime's SQL for `steps`.
fn sql(steps: &[Step], model: &Model, path: &str) -> Result<String, Diagnostic> {
    let changes: Vec<runtime::Change<'static>> = steps.iter().map(to_runtime).collect();
    let dates = model
        .api
        .date_format
        .as_ref()
        .unwrap_or(&apigen_runtime::date::RFC1123);
    apigen_runtime::sqlite::migrate::script(&changes, dates).map_err(|problem| {
        Diagnostic::whole_file(path, format!("cannot write the migration: {problem}"))
    })
}

/// The runtime's words for a step. The runtime's schema is made of `'static`
/// references (the generated crates hold them as statics); apigen is a short-lived
/// process, so it leaks the few it makes here.
fn to_runtime(step: &Step) -> runtime::Change<'static> {
    fn s(text: &str) -> &'static str {
        Box::leak(text.to_string().into_boxed_str())
    }
    match step {
        Step::CreateTable(table) => {
            runtime::Change::CreateTable(Box::leak(Box::new(runtime::Table {
                name: s(&table.name),
                key: match table.key {
                    Key::Text => runtime::Key::Text,
                    Key::Integer => runtime::Key::Integer,
                },
                columns: Box::leak(
                    table
                        .columns
                        .iter()
                        .map(|c| runtime::Column::new(s(&c.name), column_type(c.ty)))
                        .collect::<Vec<_>>()
                        .into_boxed_slice(),
                ),
                indexes: Box::leak(
                    table
                        .indexes
                        .iter()
                        .map(index)
                        .collect::<Vec<_>>()
                        .into_boxed_slice(),
                ),
            })))
        }
        Step::RenameTable { from, to } => runtime::Change::RenameTable {
            from: s(from),
            to: s(to),
        },
        Step::DropTable(table) => runtime::Change::DropTable { table: s(table) },
        Step::AddColumn {
            table,
            column,
            fill,
        } => runtime::Change::AddColumn {
            table: s(table),
            column: s(&column.name),
            ty: column_type(column.ty),
            fill: fill.as_ref().map(|v| &*Box::leak(Box::new(v.clone()))),
        },
        Step::RenameColumn { table, from, to } => runtime::Change::RenameColumn {
            table: s(table),
            from: s(from),
            to: s(to),
        },
        Step::DropColumn { table, column } => runtime::Change::DropColumn {
            table: s(table),
            column: s(column),
        },
        Step::CreateIndex { table, index: i } => runtime::Change::CreateIndex {
            table: s(table),
            index: Box::leak(Box::new(index(i))),
        },
        Step::DropIndex(name) => runtime::Change::DropIndex { name: s(name) },
    }
}

fn index(index: &Index) -> runtime::Index {
    runtime::Index {
        name: Box::leak(index.name.clone().into_boxed_str()),
        columns: Box::leak(
            index
                .columns
                .iter()
                .map(|c| {
                    (
                        &*Box::leak(c.column.clone().into_boxed_str()),
                        if c.descending {
                            runtime::Order::Descending
                        } else {
                            runtime::Order::Ascending
                        },
                    )
                })
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        ),
        unique: index.unique,
    }
}

fn column_type(ty: ColumnType) -> runtime::ColumnType {
    match ty {
        ColumnType::Text => runtime::ColumnType::Text,
        ColumnType::Integer => runtime::ColumnType::Integer,
        ColumnType::Real => runtime::ColumnType::Real,
        ColumnType::Boolean => runtime::ColumnType::Boolean,
        ColumnType::Datetime => runtime::ColumnType::Datetime,
        ColumnType::Json => runtime::ColumnType::Json,
        ColumnType::Blob => runtime::ColumnType::Blob,
    }
}

struct Differ<'a> {
    path: &'a str,
    source: &'a str,
    spec: &'a Spec,
    model: &'a Model,
    allow_drop: bool,
}

const DROP_FLAG: &str = "--allow-drop";

impl Differ<'_> {
    fn at(&self, span: std::ops::Range<usize>, message: String) -> Diagnostic {
        Diagnostic::at(self.path, self.source, span, message)
    }

    /// The spec's resource `name`, with the span of its name.
    fn resource_spec(&self, name: &str) -> Option<(std::ops::Range<usize>, &ResourceSpec)> {
        self.spec
            .resources
            .iter()
            .find(|(k, _)| k.get_ref() == name)
            .map(|(k, r)| (k.span(), r.get_ref()))
    }

    fn resource_of(&self, table: &str) -> Option<&Resource> {
        self.model
            .resources
            .iter()
            .find(|r| r.datasource.source.is_none() && r.table == table)
    }

    fn steps(&self, old: &BTreeMap<String, Table>) -> Result<Vec<Step>, Diagnostic> {
        let mut drop_indexes = Vec::new();
        let mut renames = Vec::new();
        let mut drops = Vec::new();
        let mut creates = Vec::new();
        let mut adds = Vec::new();
        let mut create_indexes = Vec::new();
        let mut consumed: Vec<&str> = Vec::new();
        for table in &self.model.tables {
            let resource = self.resource_of(&table.name);
            let spec = resource.and_then(|r| self.resource_spec(&r.name));
            let renamed_from = spec
                .as_ref()
                .and_then(|(_, r)| r.renamed_from.as_ref())
                .map(|from| (from.span(), from.get_ref().as_str()));
            let before = match old.get(&table.name) {
                Some(before) => Some(before),
                None => match renamed_from {
                    Some((_, from))
                        if old.contains_key(from)
                            && !self.model.tables.iter().any(|t| t.name == from) =>
                    {
                        renames.push(Step::RenameTable {
                            from: from.to_string(),
                            to: table.name.clone(),
                        });
                        consumed.push(from);
                        old.get(from)
                    }
                    _ => None,
                },
            };
            let Some(before) = before else {
                creates.push(Step::CreateTable(table.clone()));
                continue;
            };
            consumed.push(&table.name);
            if before.key != table.key {
                let span = spec
                    .as_ref()
                    .and_then(|(_, r)| r.id_type.as_ref().map(|t| t.span()))
                    .or_else(|| spec.as_ref().map(|(span, _)| span.clone()))
                    .unwrap_or(0..0);
                return Err(self
                    .at(
                        span,
                        format!(
                            "the `_id` type of `{}` changed: its stored documents keep the old ids",
                            table.name
                        ),
                    )
                    .with_help("keep the old `id_type`; to change it, create a new resource and copy the documents"));
            }
            let column_steps = self.columns(table, before, resource, spec.as_ref())?;
            let renamed: Vec<(String, String)> = column_steps
                .iter()
                .filter_map(|step| match step {
                    Step::RenameColumn { from, to, .. } => Some((from.clone(), to.clone())),
                    _ => None,
                })
                .collect();
            for step in column_steps {
                match step {
                    Step::AddColumn { .. } => adds.push(step),
                    _ => renames.push(step),
                }
            }
            // Indexes by name and definition (old column names read as renamed).
            let same = |a: &Index, b: &Index| {
                a.name == b.name
                    && a.unique == b.unique
                    && a.columns.len() == b.columns.len()
                    && a.columns.iter().zip(&b.columns).all(|(x, y)| {
                        let old_name = renamed
                            .iter()
                            .find(|(from, _)| *from == x.column)
                            .map_or(x.column.as_str(), |(_, to)| to.as_str());
                        old_name == y.column && x.descending == y.descending
                    })
            };
            for index in &before.indexes {
                if !table.indexes.iter().any(|new| same(index, new)) {
                    drop_indexes.push(Step::DropIndex(index.name.clone()));
                }
            }
            for index in &table.indexes {
                if !before.indexes.iter().any(|old| same(old, index)) {
                    create_indexes.push(Step::CreateIndex {
                        table: table.name.clone(),
                        index: index.clone(),
                    });
                }
            }
        }
        for name in old.keys() {
            if !consumed.contains(&name.as_str()) {
                if !self.allow_drop {
                    return Err(Diagnostic::whole_file(
                        self.path,
                        format!(
                            "resource `{name}` is gone from the spec: regenerating would drop its table and every document in it"
                        ),
                    )
                    .with_help(format!(
                        "if it was renamed, add `renamed_from = \"{name}\"` to the resource it became; to drop it and its documents, run `apigen generate {DROP_FLAG}`"
                    )));
                }
                drops.push(Step::DropTable(name.clone()));
            }
        }
        // Indexes go first (a column in one cannot be dropped), then renames and
        // drops, then what is new, and the new indexes last (over filled columns).
        let mut steps = drop_indexes;
        steps.extend(renames);
        steps.extend(drops);
        steps.extend(creates);
        steps.extend(adds);
        steps.extend(create_indexes);
        Ok(steps)
    }

    /// The column changes of `table` (stored before as `before`): renames and drops
    /// (in `Step` order), then additions.
    fn columns(
        &self,
        table: &Table,
        before: &Table,
        resource: Option<&Resource>,
        spec: Option<&(std::ops::Range<usize>, &ResourceSpec)>,
    ) -> Result<Vec<Step>, Diagnostic> {
        let field_spec =
            |name: &str| spec.and_then(|(_, r)| r.schema.iter().find(|(k, _)| k.get_ref() == name));
        let resource_span = spec.map_or(0..0, |(span, _)| span.clone());
        let mut renames = Vec::new();
        let mut adds = Vec::new();
        let mut consumed: Vec<&str> = Vec::new();
        for column in &table.columns {
            let field = field_spec(&column.name);
            let model_field =
                resource.and_then(|r| r.fields.iter().find(|f| f.name == column.name));
            let renamed_from = field
                .and_then(|(_, f)| f.get_ref().renamed_from.as_ref())
                .map(|from| from.get_ref().as_str());
            let (old, renamed) = match before.columns.iter().find(|c| c.name == column.name) {
                Some(old) => (Some(old), false),
                None => match renamed_from {
                    Some(from) if !table.columns.iter().any(|c| c.name == from) => {
                        (before.columns.iter().find(|c| c.name == from), true)
                    }
                    _ => (None, false),
                },
            };
            let Some(old) = old else {
                let default = model_field.and_then(|f| f.default.clone());
                let required = model_field.is_some_and(|f| f.required);
                let unique = model_field.is_some_and(|f| f.unique);
                let span = field.map_or(resource_span.clone(), |(k, _)| k.span());
                if required && default.is_none() {
                    return Err(self
                        .at(
                            span,
                            format!(
                                "new field `{}` of `{}` is required and has no default: the documents already stored would not have it",
                                column.name, table.name
                            ),
                        )
                        .with_help("give it a `default` (stored documents get it), or add it without `required` first and make it required once every document has it"));
                }
                if unique && default.is_some() {
                    return Err(self
                        .at(
                            span,
                            format!(
                                "new field `{}` of `{}` is unique and has a default: every document already stored would get the same value",
                                column.name, table.name
                            ),
                        )
                        .with_help("add it without the `default` (stored documents get none, and `unique` allows many), or without `unique`"));
                }
                adds.push(Step::AddColumn {
                    table: table.name.clone(),
                    column: column.clone(),
                    fill: default,
                });
                continue;
            };
            consumed.push(&old.name);
            if old.ty != column.ty {
                let span = field.map_or(resource_span.clone(), |(_, f)| f.get_ref().kind.span());
                return Err(self
                    .at(
                        span,
                        format!(
                            "field `{}` of `{}` changed how it is stored ({} to {}): the values already stored would not read back",
                            column.name,
                            table.name,
                            type_name(old.ty),
                            type_name(column.ty)
                        ),
                    )
                    .with_help(format!(
                        "keep its old type; to change it, add a new field, copy the values in a hook or by hand, then drop `{}` with `apigen generate {DROP_FLAG}`",
                        old.name
                    )));
            }
            if renamed {
                renames.push(Step::RenameColumn {
                    table: table.name.clone(),
                    from: old.name.clone(),
                    to: column.name.clone(),
                });
            }
        }
        for old in &before.columns {
            if consumed.contains(&old.name.as_str()) {
                continue;
            }
            if !self.allow_drop {
                return Err(self
                    .at(
                        resource_span,
                        format!(
                            "field `{}` is gone from `{}`: regenerating would drop it and its values from every stored document",
                            old.name, table.name
                        ),
                    )
                    .with_help(format!(
                        "if it was renamed, add `renamed_from = \"{}\"` to the field it became; to drop it and its values, run `apigen generate {DROP_FLAG}`",
                        old.name
                    )));
            }
            renames.push(Step::DropColumn {
                table: table.name.clone(),
                column: old.name.clone(),
            });
        }
        renames.extend(adds);
        Ok(renames)
    }
}

fn type_name(ty: ColumnType) -> &'static str {
    column_type(ty).name()
}
