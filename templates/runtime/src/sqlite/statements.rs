//! Each resource's statements, made once from its table, its datasource filter, its
//! lookup and its sub-resource path, then kept for the life of the process.
//!
//! A statement's placeholders are bound in one order throughout: the key (or the
//! lookup value), then the datasource filter's values, then the sub-resource's path
//! values, then (of a resource with an `auth_field`) the caller's user, twice. The page size of a list is written into its statement (see `store`), every
//! other value is bound.

use std::mem::ManuallyDrop;
use std::sync::OnceLock;

use rusqlite::types::Value;

use super::filter::compile_where;
use super::quote;
use crate::error::ApiError;
use crate::query::parse_fixed_filter;
use crate::resource::ResourceInfo;
use crate::schema::{KEY, META};

/// A resource's statements, made on first use ([`statements`]); see `ResourceInfo`.
///
/// `ManuallyDrop` because it lives in a `static` (never dropped anyway), built with
/// `..ResourceInfo::DEFAULTS`: a type with a destructor could not be.
#[derive(Debug, Default)]
pub struct Cache(ManuallyDrop<OnceLock<Result<Statements, String>>>);

impl Cache {
    pub const fn new() -> Cache {
        Cache(ManuallyDrop::new(OnceLock::new()))
    }
}

/// The statements of `info`, made the first time they are asked for. An `Err` is a
/// datasource filter the runtime cannot read: apigen checked it, so only a runtime
/// older than the generator gets here (`db::Db::open_for` says so at start-up).
pub fn statements(info: &'static ResourceInfo) -> Result<&'static Statements, ApiError> {
    made(info).map_err(ApiError::internal)
}

/// [`statements`], with the reason they could not be made.
pub fn made(info: &'static ResourceInfo) -> Result<&'static Statements, &'static str> {
    info.statements
        .0
        .get_or_init(|| Statements::build(info))
        .as_ref()
        .map_err(String::as_str)
}

/// One resource's SQL.
#[derive(Debug)]
pub struct Statements {
    /// `SELECT <every column> FROM <table>`: `Resource::from_row` reads them in order.
    pub select: String,
    /// `SELECT count(*) FROM <table>`
    pub count: String,
    /// What every statement reading a collection adds after its `WHERE`: the
    /// datasource filter, the sub-resource's path conditions and the owner's
    /// (`auth_field`), joined by `AND` (empty when there is none).
    pub list_condition: String,
    /// The values `list_condition` binds before the path values: the filter's.
    pub filter_values: Vec<Value>,
    /// One document by `_id`, inside the filter and the path.
    pub select_by_id: String,
    /// One document by the additional lookup field, inside the filter and the path.
    pub select_by_lookup: Option<String>,
    /// `_etag` of a document by `_id`, inside the filter and the path.
    pub select_etag: String,
    /// Whether a document (by `_id`) is inside the datasource filter: `None` without one.
    pub visible: Option<String>,
    /// Meta columns first, then fields in catalog order (as `values::column_values`).
    pub insert: String,
    /// `DELETE` by `_id`, inside the filter.
    pub delete_by_id: String,
    /// `DELETE` of every document inside the filter and the path.
    pub delete_all: String,
    /// Per unique field: whether another document (not `_id = ?`) holds a value.
    pub unique: Vec<(&'static str, String)>,
    /// Per field a `data_relation` to this resource may name (`_id` and the unique
    /// fields): whether a document the resource serves holds a value.
    pub exists: Vec<(&'static str, String)>,
    /// ` AND (<datasource filter>)`, or nothing.
    pub and_filter: String,
    /// The versions table's statements of a versioned resource (`versioning`).
    pub history: Option<super::history::HistoryStatements>,
}

impl Statements {
    fn build(info: &'static ResourceInfo) -> Result<Statements, String> {
        let table = info.table;
        let name = quote(table.name);
        let mut columns = vec![quote(KEY)];
        columns.extend(table.columns.iter().map(|c| quote(c.name)));
        columns.extend(META.iter().map(|c| quote(c.name)));
        let select = format!("SELECT {} FROM {name}", columns.join(", "));

        let (filter, filter_values) = match info.filter {
            None => (None, Vec::new()),
            Some(text) => {
                let fields = info.query_fields.unwrap_or(info.fields);
                let parsed = parse_fixed_filter(text, fields, info.dates)
                    .map_err(|e| format!("resource '{}': {e}", info.name))?;
                let mut sql = String::new();
                let mut values = Vec::new();
                compile_where(&parsed, &mut sql, &mut values);
                (Some(sql), values)
            }
        };
        // ` AND (<filter>)`, and ` AND "<field>" = ?` per path field.
        let mut narrow = String::new();
        if let Some(sql) = &filter {
            narrow.push_str(&format!(" AND ({sql})"));
        }
        let and_filter = narrow.clone();
        for field in info.path_fields {
            narrow.push_str(&format!(" AND {} = ?", quote(field)));
        }
        // Eve's `auth_field`: the caller's documents, or all when the request has no
        // user (a public operation); bound twice (`routes::Scope::owner`). Resources
        // without one have no such condition, and pay nothing.
        if let Some(field) = info.auth_field {
            narrow.push_str(&format!(" AND ({} = ? OR ? IS NULL)", quote(field)));
        }
        let list_condition = narrow.strip_prefix(" AND ").unwrap_or_default().to_string();
        let by = |column: &str| format!(" WHERE {} = ?", quote(column));

        let insert_columns: Vec<String> = std::iter::once(KEY)
            .chain(META.iter().map(|c| c.name))
            .chain(table.columns.iter().map(|c| c.name))
            .map(quote)
            .collect();
        let marks = vec!["?"; insert_columns.len()].join(", ");

        let unique_fields = info.fields.iter().filter(|f| f.unique).map(|f| f.name);
        // Soft-deleted documents neither hold unique values nor can be referenced.
        let live = if info.soft_delete {
            format!(" AND {}", super::LIVE)
        } else {
            String::new()
        };
        let unique = unique_fields
            .clone()
            .map(|field| {
                let sql = format!(
                    "SELECT 1 FROM {name} WHERE {} = ? AND {} <> ?{live} LIMIT 1",
                    quote(field),
                    quote(KEY)
                );
                (field, sql)
            })
            .collect();
        // Not narrowed by the path or the owner (`auth_field`): a reference may name
        // any existing document, another user's too (Eve checks `data_relation`
        // against the whole collection); embedding it shows it to its owner only.
        let keys = std::iter::once(KEY).chain(unique_fields);
        let exists = keys
            .map(|field| {
                let sql = format!(
                    "SELECT 1 FROM {name}{}{live}{and_filter} LIMIT 1",
                    by(field)
                );
                (field, sql)
            })
            .collect();

        Ok(Statements {
            count: format!("SELECT count(*) FROM {name}"),
            list_condition,
            select_by_id: format!("{select}{}{narrow}", by(KEY)),
            select_by_lookup: info
                .lookup
                .as_ref()
                .map(|lookup| format!("{select}{}{narrow}", by(lookup.field))),
            select_etag: format!("SELECT {} FROM {name}{}{narrow}", quote("_etag"), by(KEY)),
            visible: filter
                .as_ref()
                .map(|_| format!("SELECT 1 FROM {name}{}{and_filter}", by(KEY))),
            insert: format!(
                "INSERT INTO {name} ({}) VALUES ({marks})",
                insert_columns.join(", ")
            ),
            delete_by_id: format!("DELETE FROM {name}{}{and_filter}", by(KEY)),
            delete_all: match narrow.strip_prefix(" AND ") {
                Some(condition) => format!("DELETE FROM {name} WHERE {condition}"),
                None => format!("DELETE FROM {name}"),
            },
            unique,
            exists,
            and_filter,
            filter_values,
            history: super::history::HistoryStatements::build(info),
            select,
        })
    }

    /// The statement telling whether a document holds `value` in `field` (`_id` or a
    /// unique field), inside the datasource filter.
    pub fn exists(&self, field: &str) -> Option<&str> {
        self.exists
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, sql)| sql.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Field, Kind};
    use crate::routes::Lookup;
    use crate::schema::{Column, ColumnType, Key, Table};

    static TABLE: Table = Table {
        name: "products",
        key: Key::Text,
        columns: &[
            Column::new("name", ColumnType::Text),
            Column::new("price", ColumnType::Real),
            Column::new("maker", ColumnType::Text),
        ],
        indexes: &[],
    };
    static FIELDS: &[Field] = &[
        Field {
            unique: true,
            ..Field::new("name", Kind::String)
        },
        Field::new("price", Kind::Float),
        Field::new("maker", Kind::ObjectId),
    ];
    static LOOKUP: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new("^[a-z]+$").unwrap());

    static PLAIN: ResourceInfo = ResourceInfo {
        name: "products",
        table: &TABLE,
        fields: FIELDS,
        ..ResourceInfo::DEFAULTS
    };
    static CHEAP: ResourceInfo = ResourceInfo {
        name: "cheap",
        table: &TABLE,
        fields: FIELDS,
        filter: Some(r#"{"price": {"$lt": 10}}"#),
        path_fields: &["maker"],
        lookup: Some(Lookup {
            field: "name",
            pattern: &LOOKUP,
        }),
        ..ResourceInfo::DEFAULTS
    };
    static OWNED: ResourceInfo = ResourceInfo {
        name: "owned",
        table: &TABLE,
        fields: FIELDS,
        auth_field: Some("maker"),
        ..ResourceInfo::DEFAULTS
    };
    static BROKEN: ResourceInfo = ResourceInfo {
        name: "broken",
        table: &TABLE,
        fields: FIELDS,
        filter: Some(r#"{"colour": "red"}"#),
        ..ResourceInfo::DEFAULTS
    };

    #[test]
    fn statements_of_a_plain_resource() {
        let s = statements(&PLAIN).unwrap();
        let select = r#"SELECT "_id", "name", "price", "maker", "_created", "_updated", "_etag" FROM "products""#;
        assert_eq!(s.select, select);
        assert_eq!(s.count, r#"SELECT count(*) FROM "products""#);
        assert_eq!(s.list_condition, "");
        assert_eq!(s.select_by_id, format!(r#"{select} WHERE "_id" = ?"#));
        assert_eq!(s.select_by_lookup, None);
        assert_eq!(
            s.select_etag,
            r#"SELECT "_etag" FROM "products" WHERE "_id" = ?"#
        );
        assert_eq!(s.visible, None);
        assert_eq!(
            s.insert,
            r#"INSERT INTO "products" ("_id", "_created", "_updated", "_etag", "name", "price", "maker") VALUES (?, ?, ?, ?, ?, ?, ?)"#
        );
        assert_eq!(s.delete_by_id, r#"DELETE FROM "products" WHERE "_id" = ?"#);
        assert_eq!(s.delete_all, r#"DELETE FROM "products""#);
        assert_eq!(
            s.unique,
            [(
                "name",
                r#"SELECT 1 FROM "products" WHERE "name" = ? AND "_id" <> ? LIMIT 1"#.to_string()
            )]
        );
        assert_eq!(
            s.exists("_id"),
            Some(r#"SELECT 1 FROM "products" WHERE "_id" = ? LIMIT 1"#)
        );
        assert_eq!(s.exists("price"), None, "not unique: no relation names it");
        assert!(std::ptr::eq(s, statements(&PLAIN).unwrap()), "made once");
    }

    #[test]
    fn a_filtered_sub_resource_narrows_every_statement() {
        let s = statements(&CHEAP).unwrap();
        assert_eq!(s.filter_values, [Value::Integer(10)]);
        assert_eq!(s.list_condition, r#"(("price" < ?)) AND "maker" = ?"#);
        assert!(s
            .select_by_id
            .ends_with(r#" WHERE "_id" = ? AND (("price" < ?)) AND "maker" = ?"#));
        assert!(s
            .select_by_lookup
            .as_deref()
            .unwrap()
            .ends_with(r#" WHERE "name" = ? AND (("price" < ?)) AND "maker" = ?"#));
        assert_eq!(
            s.visible.as_deref(),
            Some(r#"SELECT 1 FROM "products" WHERE "_id" = ? AND (("price" < ?))"#)
        );
        assert_eq!(
            s.delete_by_id,
            r#"DELETE FROM "products" WHERE "_id" = ? AND (("price" < ?))"#
        );
        assert_eq!(
            s.delete_all,
            r#"DELETE FROM "products" WHERE (("price" < ?)) AND "maker" = ?"#
        );
        assert_eq!(
            s.exists("name"),
            Some(r#"SELECT 1 FROM "products" WHERE "name" = ? AND (("price" < ?)) LIMIT 1"#)
        );
    }

    #[test]
    fn an_owned_resource_reaches_the_callers_documents_or_all_without_a_user() {
        let s = statements(&OWNED).unwrap();
        let owner = r#"("maker" = ? OR ? IS NULL)"#;
        assert_eq!(s.list_condition, owner);
        assert!(s
            .select_by_id
            .ends_with(&format!(r#" WHERE "_id" = ? AND {owner}"#)));
        assert!(s
            .select_etag
            .ends_with(&format!(r#" WHERE "_id" = ? AND {owner}"#)));
        assert_eq!(
            s.delete_all,
            format!(r#"DELETE FROM "products" WHERE {owner}"#)
        );
        // References and unique values are checked against every document.
        assert_eq!(
            s.exists("_id"),
            Some(r#"SELECT 1 FROM "products" WHERE "_id" = ? LIMIT 1"#)
        );
        assert!(!s.unique[0].1.contains("maker"));
    }

    #[test]
    fn a_filter_the_runtime_cannot_read_is_an_error_not_a_panic() {
        let error = statements(&BROKEN).unwrap_err();
        assert_eq!(error.status, axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    }
}
