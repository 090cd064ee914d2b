//! An aggregation pipeline (`aggregation::Pipeline`) compiled to one SQLite query,
//! run, and its rows read back as JSON objects.
//!
//! - `$match` stages: the `where` compiler's expressions, ANDed after the resource's
//!   own collection condition (its datasource filter, and whatever else the store
//!   adds to every collection read: that is where soft-deleted documents stay out);
//! - `$group`: `GROUP BY` the key over a derived table that computes each
//!   accumulator's operand; `$sum` is `COALESCE(SUM(x), 0)` (MongoDB sums nothing to
//!   0), `$avg` `AVG`, `$min`/`$max` `MIN`/`MAX`, `$count` `COUNT(*)`. `$first` and
//!   `$last` are window functions in the derived table, `FIRST_VALUE`/`LAST_VALUE`
//!   over the group's partition ordered by the `$sort` before `$group`, then by
//!   `rowid` (the order documents were stored: MongoDB's natural order), so every row
//!   of a group holds the same value and the group takes it with `MIN`;
//! - `$sort` → `ORDER BY` (then the group key, or `rowid`, so pages are stable);
//!   `$skip`/`$limit` and the page → one `LIMIT ? OFFSET ?`;
//! - `$project` is applied to the objects read.
//!
//! Field paths are the spec's declared names (checked by apigen), written as SQL
//! literals like a `sort`'s; every client value is bound.

use rusqlite::types::{Value, ValueRef};
use rusqlite::{params_from_iter, Connection};
use serde_json::{Map, Value as Json};

use super::filter::{compile_sort, compile_where};
use super::quote;
use super::statements::statements;
use crate::aggregation::{Accumulator, FieldRef, Operand, Pipeline, Request};
use crate::catalog::Kind;
use crate::error::ApiError;
use crate::query;
use crate::resource::ResourceInfo;
use crate::schema::{ColumnType, META};

/// How a selected value is written in JSON.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Render {
    /// As SQLite holds it: integer, real, text or null.
    Plain,
    /// 0/1 as false/true.
    Boolean,
    /// Epoch seconds in the API's `date_format`.
    Date,
    /// Stored JSON text, parsed.
    Json,
}

fn render_kind(kind: Kind) -> Render {
    match kind {
        Kind::Boolean => Render::Boolean,
        Kind::Datetime => Render::Date,
        _ => Render::Plain,
    }
}

/// A field's value as an SQL expression: its column, or the value inside its dict
/// (a date inside JSON is stored as wire text: `wire_date` makes it epoch seconds).
fn field_sql(field: &FieldRef) -> String {
    let column = quote(field.column);
    match &field.json_path {
        None => column,
        Some(path) => {
            let extract = format!("json_extract({column}, '{}')", path.replace('\'', "''"));
            if field.kind == Kind::Datetime {
                format!("wire_date({extract})")
            } else {
                extract
            }
        }
    }
}

/// One output column: its name in the JSON object and how it is written.
struct Output {
    name: String,
    render: Render,
    /// Whether a NULL is written as `null` (else the member is left out, as a missing
    /// field is).
    null: bool,
}

/// Run `pipeline` for one request, `page` being `(max_results, page)` when paginated:
/// the pipeline's total count and the page's objects.
pub fn run(
    conn: &Connection,
    info: &'static ResourceInfo,
    pipeline: &Pipeline,
    request: &Request,
    page: Option<(u32, u32)>,
) -> Result<(i64, Vec<Json>), ApiError> {
    let s = statements(info)?;
    // The condition every collection read of the resource has, then the `$match`es.
    // This is the hook for what a collection GET of the resource must never see (its
    // datasource filter today; soft-deleted documents of the source once they exist):
    // whatever `Statements::list_condition` excludes, no aggregation counts.
    let mut condition = if s.list_condition.is_empty() {
        "1".to_string()
    } else {
        format!("({})", s.list_condition)
    };
    let mut where_params: Vec<Value> = s.filter_values.clone();
    for filter in &request.filters {
        condition.push_str(" AND ");
        compile_where(filter, &mut condition, &mut where_params);
    }
    let table = quote(info.table.name);
    let mut select_params: Vec<Value> = Vec::new();
    let fields = info.query_fields.unwrap_or(info.fields);
    let (body, order, outputs) = match &pipeline.group {
        None => {
            let mut columns = vec![quote(crate::schema::KEY)];
            let mut outputs = vec![Output {
                name: "_id".into(),
                render: Render::Plain,
                null: false,
            }];
            for column in info.table.columns {
                let field = info.fields.iter().find(|f| f.name == column.name);
                // A media column holds a file's id (or a list of them): documents
                // serve files through the media module, which an aggregation's
                // results do not go through.
                if field.is_some_and(|f| {
                    f.kind == Kind::Media || f.items.is_some_and(|i| i.kind == Kind::Media)
                }) {
                    continue;
                }
                columns.push(quote(column.name));
                let nullable = field.is_some_and(|f| f.nullable);
                outputs.push(Output {
                    name: column.name.to_string(),
                    render: match column.ty {
                        ColumnType::Boolean => Render::Boolean,
                        ColumnType::Datetime => Render::Date,
                        ColumnType::Json => Render::Json,
                        _ => Render::Plain,
                    },
                    null: nullable,
                });
            }
            for column in META {
                columns.push(quote(column.name));
                outputs.push(Output {
                    name: column.name.to_string(),
                    render: if column.ty == ColumnType::Datetime {
                        Render::Date
                    } else {
                        Render::Plain
                    },
                    null: false,
                });
            }
            let body = format!(
                "SELECT {} FROM {table} WHERE {condition}",
                columns.join(", ")
            );
            let mut order = String::new();
            if let Some(text) = &pipeline.group_order {
                let keys = query::parse_sort(text, fields)
                    .map_err(|e| ApiError::internal(format!("resource '{}': {e}", info.name)))?;
                compile_sort(&keys, &mut order);
                order.push_str(", ");
            }
            order.push_str("rowid");
            (body, order, outputs)
        }
        Some(group) => {
            let key = group.key.as_ref().map_or("NULL".to_string(), field_sql);
            let mut inner = vec![format!("{key} AS _k")];
            let mut outer = vec![format!("_k AS {}", quote("_id"))];
            let mut outputs = vec![Output {
                name: "_id".into(),
                render: group
                    .key
                    .as_ref()
                    .map_or(Render::Plain, |k| render_kind(k.kind)),
                null: true,
            }];
            let mut window = false;
            for (i, (name, accumulator)) in group.fields.iter().enumerate() {
                let operand = format!("_a{i}");
                let mut operand_sql = |operand: &Operand| match operand {
                    Operand::Field(field) => field_sql(field),
                    Operand::Number(n) => n.to_string(),
                    Operand::Placeholder(p) => {
                        let value = request
                            .values
                            .iter()
                            .find(|(name, _)| name == p)
                            .and_then(|(_, v)| v.as_ref());
                        select_params.push(match value {
                            None => Value::Null,
                            Some(n) => match n.as_i64() {
                                Some(i) => Value::Integer(i),
                                None => Value::Real(n.as_f64().unwrap_or(0.0)),
                            },
                        });
                        "?".to_string()
                    }
                };
                let (expression, aggregate, render) = match accumulator {
                    Accumulator::Sum(o) => (
                        operand_sql(o),
                        format!("COALESCE(SUM({operand}), 0)"),
                        Render::Plain,
                    ),
                    Accumulator::Avg(o) => {
                        (operand_sql(o), format!("AVG({operand})"), Render::Plain)
                    }
                    Accumulator::Min(f) => {
                        (field_sql(f), format!("MIN({operand})"), render_kind(f.kind))
                    }
                    Accumulator::Max(f) => {
                        (field_sql(f), format!("MAX({operand})"), render_kind(f.kind))
                    }
                    Accumulator::First(f) | Accumulator::Last(f) => {
                        window = true;
                        let function = if matches!(accumulator, Accumulator::First(_)) {
                            "FIRST_VALUE"
                        } else {
                            "LAST_VALUE"
                        };
                        (
                            format!("{function}({}) OVER _w", field_sql(f)),
                            format!("MIN({operand})"),
                            render_kind(f.kind),
                        )
                    }
                    Accumulator::Count => {
                        ("NULL".to_string(), "COUNT(*)".to_string(), Render::Plain)
                    }
                };
                inner.push(format!("{expression} AS {operand}"));
                outer.push(format!("{aggregate} AS {}", quote(name)));
                outputs.push(Output {
                    name: name.clone(),
                    render,
                    null: true,
                });
            }
            let mut derived = format!("SELECT {} FROM {table} WHERE {condition}", inner.join(", "));
            if window {
                let mut order = String::new();
                if let Some(text) = &pipeline.group_order {
                    let keys = query::parse_sort(text, fields).map_err(|e| {
                        ApiError::internal(format!("resource '{}': {e}", info.name))
                    })?;
                    compile_sort(&keys, &mut order);
                    order.push_str(", ");
                }
                order.push_str("rowid");
                derived.push_str(&format!(
                    " WINDOW _w AS (PARTITION BY {key} ORDER BY {order} \
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
                ));
            }
            let body = format!("SELECT {} FROM ({derived}) GROUP BY _k", outer.join(", "));
            let mut order = String::new();
            for (name, descending) in &pipeline.sort {
                order.push_str(&quote(name));
                order.push_str(if *descending { " DESC, " } else { " ASC, " });
            }
            order.push_str(&quote("_id"));
            (body, order, outputs)
        }
    };
    let params: Vec<Value> = select_params.into_iter().chain(where_params).collect();
    // The pipeline's window, then the page inside it.
    let limit = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let count_sql = format!(
        "SELECT count(*) FROM ({body} LIMIT {} OFFSET {})",
        pipeline.limit.map_or(-1, limit),
        limit(pipeline.skip)
    );
    let (mut offset, mut size) = (pipeline.skip, pipeline.limit);
    if let Some((max_results, number)) = page {
        let skipped = u64::from(number - 1) * u64::from(max_results);
        offset = offset.saturating_add(skipped);
        let left = size.map_or(u64::MAX, |l| l.saturating_sub(skipped));
        size = Some(left.min(u64::from(max_results)));
    }
    let sql = format!(
        "{body} ORDER BY {order} LIMIT {} OFFSET {}",
        size.map_or(-1, limit),
        limit(offset)
    );
    let dates = info.dates;
    let read = |count_sql: &str, sql: &str| -> rusqlite::Result<(i64, Vec<Json>)> {
        let total: i64 = conn
            .prepare(count_sql)?
            .query_row(params_from_iter(&params), |row| row.get(0))?;
        let mut statement = conn.prepare(sql)?;
        let mut rows = statement.query(params_from_iter(&params))?;
        let mut items = Vec::new();
        while let Some(row) = rows.next()? {
            let mut object = Map::new();
            for (i, output) in outputs.iter().enumerate() {
                let value = match (row.get_ref(i)?, output.render) {
                    (ValueRef::Null, _) if !output.null => continue,
                    (ValueRef::Null, _) => Json::Null,
                    (ValueRef::Integer(n), Render::Boolean) => Json::Bool(n != 0),
                    (ValueRef::Integer(n), Render::Date) => Json::String(dates.format(n)),
                    (ValueRef::Text(text), Render::Json) => {
                        serde_json::from_slice(text).unwrap_or(Json::Null)
                    }
                    (ValueRef::Integer(n), _) => Json::from(n),
                    (ValueRef::Real(f), _) => Json::from(f),
                    (ValueRef::Text(text), _) => {
                        Json::String(String::from_utf8_lossy(text).into_owned())
                    }
                    (ValueRef::Blob(_), _) => Json::Null,
                };
                object.insert(output.name.clone(), value);
            }
            pipeline.project(&mut object);
            items.push(Json::Object(object));
        }
        Ok((total, items))
    };
    super::store::one_snapshot(conn, || match read(&count_sql, &sql) {
        // SQLite's SUM of integers refuses to overflow; MongoDB goes on in doubles.
        // So does `TOTAL`, SQLite's float sum: the query runs again with it (SUM is
        // written only by `$sum` above).
        Err(rusqlite::Error::SqliteFailure(_, Some(message))) if message == "integer overflow" => {
            let floats = |text: &str| text.replace("COALESCE(SUM(", "COALESCE(TOTAL(");
            Ok(read(&floats(&count_sql), &floats(&sql))?)
        }
        result => Ok(result?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Field;
    use crate::schema::{Column, Table};

    static FIELDS: [Field; 3] = [
        Field::new("name", Kind::String),
        Field::new("score", Kind::Integer),
        Field::new("team", Kind::String),
    ];
    static TABLE: Table = Table {
        name: "players",
        key: crate::schema::Key::Text,
        columns: &[
            Column::new("name", ColumnType::Text),
            Column::new("score", ColumnType::Integer),
            Column::new("team", ColumnType::Text),
        ],
        indexes: &[],
    };
    static INFO: ResourceInfo = ResourceInfo {
        name: "players",
        url: "players",
        table: &TABLE,
        fields: &FIELDS,
        ..ResourceInfo::DEFAULTS
    };

    /// Players stored in this order: (name, score, team).
    fn database() -> Connection {
        let conn = Connection::open_in_memory().expect("an in-memory database");
        super::super::functions::register(&conn, &crate::date::RFC1123).expect("functions");
        conn.execute_batch(&super::super::ddl::create(&TABLE))
            .expect("the table");
        let players = [
            ("ana", 7, "red"),
            ("bo", 3, "blue"),
            ("cy", 9, "red"),
            ("di", 1, "blue"),
            ("ed", 5, "red"),
        ];
        for (i, (name, score, team)) in players.into_iter().enumerate() {
            conn.execute(
                "INSERT INTO players (_id, name, score, team, _created, _updated, _etag) \
                 VALUES (?1, ?2, ?3, ?4, 0, 0, '')",
                rusqlite::params![format!("{i}"), name, score, team],
            )
            .expect("a row");
        }
        conn
    }

    fn results(pipeline: &str, page: Option<(u32, u32)>) -> (i64, Vec<Json>) {
        let pipeline = Pipeline::parse(pipeline, &FIELDS, &crate::date::RFC1123).expect("valid");
        let request = Request {
            filters: Vec::new(),
            values: Vec::new(),
        };
        run(&database(), &INFO, &pipeline, &request, page).expect("it runs")
    }

    fn column(items: &[Json], name: &str) -> Vec<Json> {
        items.iter().map(|item| item[name].clone()).collect()
    }

    #[test]
    fn skip_and_limit_then_the_page() {
        let pipeline = r#"[{"$sort": {"score": -1}}, {"$skip": 1}, {"$limit": 3}]"#;
        let (total, items) = results(pipeline, None);
        assert_eq!(total, 3);
        assert_eq!(column(&items, "name"), ["ana", "ed", "bo"]);
        // Page 2 of 2 inside the pipeline's window of 3.
        let (total, items) = results(pipeline, Some((2, 2)));
        assert_eq!(total, 3);
        assert_eq!(column(&items, "name"), ["bo"]);
        let (_, items) = results(pipeline, Some((2, 3)));
        assert!(items.is_empty());
    }

    #[test]
    fn first_and_last_in_stored_order_without_a_sort() {
        let pipeline = r#"[{"$group": {"_id": "$team", "first": {"$first": "$name"},
            "last": {"$last": "$name"}, "best": {"$max": "$score"}, "n": {"$count": {}}}},
            {"$sort": {"_id": 1}}]"#;
        let (total, items) = results(pipeline, None);
        assert_eq!(total, 2);
        assert_eq!(column(&items, "_id"), ["blue", "red"]);
        assert_eq!(column(&items, "first"), ["bo", "ana"]);
        assert_eq!(column(&items, "last"), ["di", "ed"]);
        assert_eq!(column(&items, "best"), [3, 9]);
        assert_eq!(column(&items, "n"), [2, 3]);
    }

    #[test]
    fn one_group_of_everything_and_a_projection() {
        let pipeline = r#"[{"$group": {"_id": null, "total": {"$sum": "$score"},
            "mean": {"$avg": "$score"}}}, {"$project": {"_id": 0, "mean": 0}}]"#;
        let (_, items) = results(pipeline, None);
        assert_eq!(items, [serde_json::json!({"total": 25})]);
    }
}
