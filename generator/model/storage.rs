//! The typed storage schema: the tables the resources keep, their typed columns,
//! uniques and indexes, in no database's words.
//!
//! The Rust emitter writes each table as the runtime's `schema::Table` (whose dialect,
//! `sqlite`, makes the DDL), and the manifest (`apigen.json`) records it, so that a
//! later regeneration can tell what changed. Every table also has the meta columns
//! the runtime's `schema` module describes (`_id`, `_created`, `_updated`, `_etag`);
//! they are the same for all and are not listed here.

use serde::{Deserialize, Serialize};

use super::{IdType, Kind, Resource};

/// What a column holds (the runtime's `schema::ColumnType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Text,
    Integer,
    Real,
    Boolean,
    /// Whole seconds since the epoch.
    Datetime,
    /// A JSON document: dicts, lists, GeoJSON.
    Json,
    /// Bytes: the media table's files.
    Blob,
}

impl ColumnType {
    /// How a field of `kind` is stored.
    pub fn of(kind: Kind) -> ColumnType {
        match kind {
            // A media field holds its file's id.
            Kind::String | Kind::ObjectId | Kind::Media => ColumnType::Text,
            Kind::Integer => ColumnType::Integer,
            Kind::Float | Kind::Number => ColumnType::Real,
            Kind::Boolean => ColumnType::Boolean,
            Kind::Datetime => ColumnType::Datetime,
            _ => ColumnType::Json,
        }
    }
}

/// The key column `_id` (the runtime's `schema::Key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Key {
    /// Objectids and UUIDs.
    Text,
    /// Numbered by the database.
    Integer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ColumnType,
}

/// One column of an index, and its direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexColumn {
    pub column: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// The index's name in the database: `<table>_<field>_unique` for a unique field,
    /// `<table>_<name>` for the spec's index `<name>`.
    pub name: String,
    pub columns: Vec<IndexColumn>,
    pub unique: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// The manifest keys tables by name.
    #[serde(skip)]
    pub name: String,
    pub key: Key,
    /// The resource's fields, in spec order.
    pub columns: Vec<Column>,
    /// Unique indexes (one per `unique` field) first, then the spec's `indexes`.
    #[serde(default)]
    pub indexes: Vec<Index>,
}

impl Table {
    /// The table `resource` keeps, when it keeps its own (not `datasource.source`).
    pub fn of(resource: &Resource) -> Option<Table> {
        if resource.datasource.source.is_some() {
            return None;
        }
        let table = &resource.table;
        let columns = resource
            .fields
            .iter()
            .map(|field| Column {
                name: field.name.clone(),
                ty: ColumnType::of(field.kind),
            })
            .collect();
        // A soft-delete resource's unique values are unique among its live documents
        // only: a deleted document keeps its values, and a new one may take them. The
        // server checks them in the write's transaction (which one writer at a time
        // holds), so their index only makes that check fast; a partial unique index
        // (`WHERE _deleted = 0`) would also refuse restoring a document whose value was
        // taken meanwhile, with a storage error instead of Eve's 422.
        let unique_index = !resource.lifecycle.soft_delete;
        let uniques = resource.fields.iter().filter(|f| f.unique).map(|f| Index {
            name: format!("{table}_{}_unique", f.name),
            columns: vec![IndexColumn {
                column: f.name.clone(),
                descending: false,
            }],
            unique: unique_index,
        });
        let secondary = resource.indexes.iter().map(|index| Index {
            name: format!("{table}_{}", index.name),
            columns: index
                .keys
                .iter()
                .map(|key| IndexColumn {
                    column: key.field.clone(),
                    descending: key.descending,
                })
                .collect(),
            unique: false,
        });
        Some(Table {
            name: table.clone(),
            key: match resource.id_type {
                IdType::Integer => Key::Integer,
                IdType::ObjectId | IdType::Uuid => Key::Text,
            },
            columns,
            indexes: uniques.chain(secondary).collect(),
        })
    }
}

impl Table {
    /// The table of a versioned resource's versions (`versioning`): each row a version
    /// of a document, `_id_document` its `_id`, then the resource's columns (whose
    /// `_version` numbers it); its own key numbers the rows.
    pub fn versions_of(resource: &Resource, table: &Table) -> Option<Table> {
        let name = resource.versions_table()?;
        let document_id = super::version_id_column();
        let key_type = match table.key {
            Key::Integer => ColumnType::Integer,
            Key::Text => ColumnType::Text,
        };
        let mut columns = vec![Column {
            name: document_id.clone(),
            ty: key_type,
        }];
        columns.extend(table.columns.iter().cloned());
        let index = |column: &str| IndexColumn {
            column: column.to_string(),
            descending: false,
        };
        Some(Table {
            indexes: vec![Index {
                name: format!("{name}_document_version"),
                columns: vec![
                    index(&document_id),
                    index(apigen_runtime::versioning::VERSION),
                ],
                unique: true,
            }],
            name,
            key: Key::Integer,
            columns,
        })
    }
}

/// Every table of the resources, in resource order: each resource's own, then its
/// versions table.
pub fn tables(resources: &[Resource]) -> Vec<Table> {
    let mut tables = Vec::new();
    for resource in resources {
        if let Some(table) = Table::of(resource) {
            let versions = Table::versions_of(resource, &table);
            tables.push(table);
            tables.extend(versions);
        }
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::model;
    use crate::model::{Index as SpecIndex, IndexKey};

    const SPEC: &str = "[api]\nname = \"shop\"\nversion = \"1.0.0\"\n\
        [resources.people]\nid_type = \"integer\"\n\
        [resources.people.schema]\n\
        lastname = { type = \"string\", unique = true }\n\
        age = { type = \"integer\" }\nscore = { type = \"number\" }\n\
        born = { type = \"datetime\" }\nactive = { type = \"boolean\" }\n\
        tag = { type = \"objectid\" }\nlocation = { type = \"dict\" }\n\
        roles = { type = \"list\" }\nhome = { type = \"point\" }\n\
        [resources.adults]\ndatasource = { source = \"people\", filter = { age = { \"$gte\" = 18 } } }\n";

    #[test]
    fn a_table_per_resource_that_owns_one() {
        let m = model(SPEC).expect("valid spec");
        assert_eq!(m.tables.len(), 1, "`adults` serves the table of `people`");
        let people = &m.tables[0];
        assert_eq!(people.name, "people");
        assert_eq!(people.key, Key::Integer);
        let columns: Vec<(&str, ColumnType)> = people
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.ty))
            .collect();
        assert_eq!(
            columns,
            [
                ("lastname", ColumnType::Text),
                ("age", ColumnType::Integer),
                ("score", ColumnType::Real),
                ("born", ColumnType::Datetime),
                ("active", ColumnType::Boolean),
                ("tag", ColumnType::Text),
                ("location", ColumnType::Json),
                ("roles", ColumnType::Json),
                ("home", ColumnType::Json),
            ]
        );
        assert_eq!(
            people.indexes,
            [Index {
                name: "people_lastname_unique".into(),
                columns: vec![IndexColumn {
                    column: "lastname".into(),
                    descending: false
                }],
                unique: true,
            }]
        );
    }

    #[test]
    fn secondary_indexes_follow_the_uniques() {
        let mut m = model(SPEC).expect("valid spec");
        m.resources[0].indexes.push(SpecIndex {
            name: "by_name_age".into(),
            keys: vec![
                IndexKey {
                    field: "lastname".into(),
                    descending: false,
                },
                IndexKey {
                    field: "age".into(),
                    descending: true,
                },
            ],
        });
        let table = Table::of(&m.resources[0]).expect("people owns its table");
        let names: Vec<&str> = table.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["people_lastname_unique", "people_by_name_age"]);
        let by_name_age = &table.indexes[1];
        assert!(!by_name_age.unique);
        assert_eq!(
            serde_json::to_value(by_name_age).expect("serializes"),
            serde_json::json!({
                "name": "people_by_name_age",
                "columns": [{"column": "lastname"}, {"column": "age", "descending": true}],
                "unique": false,
            })
        );
    }

    #[test]
    fn the_type_names_are_the_runtimes() {
        use apigen_runtime::schema::ColumnType as Runtime;
        let pairs = [
            (ColumnType::Text, Runtime::Text),
            (ColumnType::Integer, Runtime::Integer),
            (ColumnType::Real, Runtime::Real),
            (ColumnType::Boolean, Runtime::Boolean),
            (ColumnType::Datetime, Runtime::Datetime),
            (ColumnType::Json, Runtime::Json),
            (ColumnType::Blob, Runtime::Blob),
        ];
        for (ours, runtime) in pairs {
            assert_eq!(
                serde_json::to_value(ours).expect("serializes"),
                serde_json::Value::from(runtime.name())
            );
        }
    }
}
