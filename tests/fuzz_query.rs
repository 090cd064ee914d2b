//! Property tests of what a client sends in a collection GET's query string: `where`,
//! `sort`, `projection` and `embedded`, on every resource of every generated example.
//!
//! Properties, for arbitrary text and for near-valid structured inputs (operator keys,
//! deep nesting, unknown fields, dotted paths, huge numbers, non-ASCII):
//! - no parser panics; each answers a value or an error;
//! - an accepted `where`/`sort` compiles to SQL that SQLite runs without error, on the
//!   resource's real table holding documents of many shapes, with as many bound values
//!   as placeholders (a compile bug shows up as an SQL error here);
//! - an accepted projection writes valid JSON that keeps the meta fields and copies
//!   the keys it keeps whole, unless a dotted name reaches into them;
//! - an accepted `embedded` rewrites documents into valid JSON.
//!
//! Bounded for CI; see `fuzz_support` for running longer.

mod fuzz_support;

use std::sync::LazyLock;

use apigen_runtime::catalog::{Field, Kind};
use apigen_runtime::date::DateFormat;
use apigen_runtime::embed;
use apigen_runtime::http::ListParams;
use apigen_runtime::options::{self, Projection, Projections};
use apigen_runtime::query::{self, Filter, SortKey};
use apigen_runtime::resource::ResourceInfo;
use apigen_runtime::rusqlite::types::Value as Sql;
use apigen_runtime::rusqlite::{Connection, params_from_iter};
use apigen_runtime::schema::{ColumnType, Key, Table};
use apigen_runtime::sqlite::{ddl, filter, functions, quote, statements};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestCaseResult};
use serde_json::{Map, Value as Json, json};

use fuzz_support::{accepted, fuzz};

/// One generated API: its resources, tables and date format.
struct ApiInfo {
    resources: &'static [&'static ResourceInfo],
    tables: &'static [&'static Table],
    dates: &'static DateFormat,
}

fn api<A: apigen_runtime::Api>() -> ApiInfo {
    ApiInfo {
        resources: A::RESOURCES,
        tables: A::TABLES,
        dates: A::DATES,
    }
}

/// One resource to aim inputs at: its API, and the paths and names worth trying.
struct Target {
    api: usize,
    info: &'static ResourceInfo,
    /// Declared paths (dotted through dicts and lists of dicts), meta fields and
    /// near misses.
    paths: Vec<String>,
    /// The paths a `where` may name, with the kind of value found there (`None`:
    /// inside a schema-less dict).
    typed: Vec<(String, Option<Kind>)>,
}

static APIS: LazyLock<Vec<ApiInfo>> = LazyLock::new(|| {
    vec![
        api::<blog_api::api::Api>(),
        api::<catalog_api::api::Api>(),
        api::<collisions_api::api::Api>(),
        api::<crm_api::api::Api>(),
        api::<nolinks_api::api::Api>(),
        api::<people_api::api::Api>(),
        api::<places_api::api::Api>(),
        api::<web_api::api::Api>(),
    ]
});

static TARGETS: LazyLock<Vec<Target>> = LazyLock::new(|| {
    let mut targets = Vec::new();
    for (index, api) in APIS.iter().enumerate() {
        for info in api.resources {
            let mut paths = Vec::new();
            collect_paths(info.query_fields.unwrap_or(info.fields), "", 0, &mut paths);
            collect_paths(info.fields, "", 0, &mut paths);
            paths.extend(info.embeds.iter().map(|e| e.path.to_string()));
            for name in [
                "_id",
                "_created",
                "_updated",
                "_etag",
                "nmae",
                "",
                ".",
                "a..b",
                "x\"y",
                "é",
                "$where",
                "weird name",
                "value",
                "key",
                "type",
                "rowid",
                "_id.x",
            ] {
                paths.push(name.to_string());
            }
            paths.sort();
            paths.dedup();
            let mut typed = vec![
                ("_id".to_string(), Some(Kind::ObjectId)),
                ("_created".to_string(), Some(Kind::Datetime)),
                ("_updated".to_string(), Some(Kind::Datetime)),
            ];
            collect_typed(info.query_fields.unwrap_or(info.fields), "", 0, &mut typed);
            targets.push(Target {
                api: index,
                info,
                paths,
                typed,
            });
        }
    }
    targets
});

/// Every path a `where` or `sort` may name in `fields`, plus wrong turns at each level.
fn collect_paths(fields: &'static [Field], prefix: &str, depth: usize, out: &mut Vec<String>) {
    for field in fields {
        let path = format!("{prefix}{}", field.name);
        out.push(path.clone());
        if depth > 4 {
            continue;
        }
        let schema = match (field.kind, field.items) {
            (Kind::Dict, _) => Some(field.schema),
            (Kind::List, Some(items)) if items.kind == Kind::Dict => Some(items.schema),
            _ => None,
        };
        match schema {
            Some([]) => {
                // Schema-less: any key.
                out.push(format!("{path}.x"));
                out.push(format!("{path}.nested.deep"));
                out.push(format!("{path}.odd key"));
            }
            Some(schema) => collect_paths(schema, &format!("{path}."), depth + 1, out),
            None => out.push(format!("{path}.sub")),
        }
        out.push(format!("{path}."));
        out.push(format!("{path}.nmae"));
    }
}

/// The paths `where` resolves in `fields`, with their kinds.
fn collect_typed(
    fields: &'static [Field],
    prefix: &str,
    depth: usize,
    out: &mut Vec<(String, Option<Kind>)>,
) {
    for field in fields {
        let path = format!("{prefix}{}", field.name);
        out.push((path.clone(), Some(field.kind)));
        if depth > 4 {
            continue;
        }
        match (field.kind, field.items) {
            (Kind::Dict, _) if field.schema.is_empty() => {
                out.push((format!("{path}.x"), None));
                out.push((format!("{path}.nested.deep"), None));
            }
            (Kind::Dict, _) => collect_typed(field.schema, &format!("{path}."), depth + 1, out),
            (Kind::List, Some(items)) if items.kind == Kind::Dict && !items.schema.is_empty() => {
                collect_typed(items.schema, &format!("{path}."), depth + 1, out)
            }
            (Kind::List, Some(items)) if items.kind == Kind::Dict => {
                out.push((format!("{path}.x"), None))
            }
            (Kind::List, None) => out.push((format!("{path}.x"), None)),
            _ => {}
        }
    }
}

/// JSON values the seeded rows hold in JSON columns: every shape a dict, list or
/// geometry column could be asked about, including ones no validation would let in.
const STORED_JSON: &[&str] = &[
    r#"{"city":"Rome","address":"Via 1","since":"Tue, 19 Apr 2016 08:19:00 GMT","zip":100}"#,
    r#"["author","copy"]"#,
    r#"[{"kind":"email","primary":true,"reviewer":"id1"},{"kind":"phone"}]"#,
    r#"{"type":"Point","coordinates":[12.5,41.9]}"#,
    r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#,
    r#"{"nested":{"deep":true},"x":2.5,"editor":"id2","tag":null}"#,
    r#"[1,2.5,"3",null,[4],{"x":5}]"#,
    "[]",
    "{}",
    "null",
    "1",
    "\"text\"",
    r#"{"x":"1","é":"ü","odd key":[{"x":1}]}"#,
];

const STORED_TEXT: &[&str] = &[
    "John",
    "",
    "x'; DROP TABLE t; --",
    "Ünïcødé",
    "5f1a2b3c4d5e6f7a8b9c0d1e",
    "Tue, 19 Apr 2016 08:19:00 GMT",
    "{\"not\":\"json column\"}",
];

/// One database per API, its tables holding a handful of varied rows. Text keys are
/// `id0`..; integer keys 1..: references in the inputs below name some of them.
fn databases() -> Vec<Connection> {
    APIS.iter()
        .map(|api| {
            let conn = Connection::open_in_memory().expect("an in-memory database");
            functions::register(&conn, api.dates).expect("the SQL functions");
            conn.execute_batch(&ddl::create_all(api.tables))
                .expect("the tables");
            for table in api.tables {
                seed(&conn, table);
            }
            conn
        })
        .collect()
}

fn seed(conn: &Connection, table: &Table) {
    let columns: Vec<String> = std::iter::once("_id")
        .chain(table.columns.iter().map(|c| c.name))
        .chain(["_created", "_updated", "_etag"])
        .map(quote)
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        quote(table.name),
        columns.join(", "),
        vec!["?"; columns.len()].join(", ")
    );
    for row in 0..8usize {
        let mut values = vec![match table.key {
            Key::Text => Sql::Text(format!("id{row}")),
            Key::Integer => Sql::Integer(row as i64 + 1),
        }];
        for (i, column) in table.columns.iter().enumerate() {
            let pick = row * 7 + i * 3;
            let unique = table
                .indexes
                .iter()
                .any(|index| index.unique && index.columns.iter().any(|(c, _)| *c == column.name));
            if unique {
                // A value of its own per row, so the unique index takes every row.
                values.push(match column.ty {
                    ColumnType::Text => {
                        Sql::Text(format!("{}{row}", STORED_TEXT[pick % STORED_TEXT.len()]))
                    }
                    ColumnType::Real => Sql::Real(row as f64 + 0.5),
                    ColumnType::Json => Sql::Text(format!("[{row}]")),
                    _ => Sql::Integer(row as i64),
                });
                continue;
            }
            // Every fifth value is NULL: a missing field.
            if pick % 5 == 4 {
                values.push(Sql::Null);
                continue;
            }
            values.push(match column.ty {
                ColumnType::Text => Sql::Text(STORED_TEXT[pick % STORED_TEXT.len()].to_string()),
                ColumnType::Integer => Sql::Integer([0, -1, 42, i64::MAX, i64::MIN][pick % 5]),
                ColumnType::Real => Sql::Real([0.0, -1.5, 7.25, 1e300, -0.0][pick % 5]),
                ColumnType::Boolean => Sql::Integer((pick % 2) as i64),
                ColumnType::Datetime => Sql::Integer([0, 1_461_053_940, -86_400][pick % 3]),
                ColumnType::Json => Sql::Text(STORED_JSON[pick % STORED_JSON.len()].to_string()),
                // Only the media table has bytes; no resource's column does.
                ColumnType::Blob => Sql::Blob(vec![0, 255]),
            });
        }
        values.push(Sql::Integer(1_461_053_940 + row as i64));
        values.push(Sql::Integer(1_461_053_940 + row as i64));
        values.push(Sql::Text(format!("etag{row}")));
        conn.execute(&sql, params_from_iter(values))
            .unwrap_or_else(|e| panic!("seeding {}: {e}", table.name));
    }
}

/// Run an accepted `where` and `sort` as the store does (`sqlite::store::page_query`):
/// inside the resource's fixed filter, counted, then a page read in order.
fn run_query(
    conn: &Connection,
    info: &'static ResourceInfo,
    filter: Option<&Filter>,
    sort: &[SortKey],
) -> TestCaseResult {
    accepted();
    let s = statements::statements(info).map_err(|e| fail(format!("statements: {e:?}")))?;
    let mut condition = String::new();
    let mut values: Vec<Sql> = s.filter_values.clone();
    // A sub-resource's path values: any text will do.
    values.extend(
        info.path_fields
            .iter()
            .map(|_| Sql::Text("id1".to_string())),
    );
    if !s.list_condition.is_empty() {
        condition.push_str(" WHERE ");
        condition.push_str(&s.list_condition);
    }
    let mut near = None;
    if let Some(filter) = filter {
        let before = values.len();
        let mut sql = String::new();
        filter::compile_where(filter, &mut sql, &mut values);
        let placeholders = sql.matches('?').count();
        prop_assert_eq!(
            placeholders,
            values.len() - before,
            "placeholders and bound values differ in {}",
            sql
        );
        if condition.is_empty() {
            condition.push_str(" WHERE ");
            condition.push_str(&sql);
        } else {
            condition.push_str(&format!(" AND ({sql})"));
        }
        near = filter::near_order(filter);
    }
    let count = format!("{}{condition}", s.count);
    let count_values = values.len();
    let mut order = String::from(" ORDER BY ");
    if !sort.is_empty() {
        filter::compile_sort(sort, &mut order);
        order.push_str(", ");
    } else if let Some((distance, near_values)) = near {
        order.push_str(&distance);
        order.push_str(", ");
        values.extend(near_values);
    }
    order.push_str("\"rowid\" LIMIT 5 OFFSET ?");
    values.push(Sql::Integer(1));
    let select = format!("{}{condition}{order}", s.select);

    let total: i64 = conn
        .prepare(&count)
        .and_then(|mut st| st.query_row(params_from_iter(&values[..count_values]), |r| r.get(0)))
        .map_err(|e| fail(format!("{count}: {e}")))?;
    prop_assert!((0..=8).contains(&total), "{} counted {}", count, total);
    let mut statement = conn
        .prepare(&select)
        .map_err(|e| fail(format!("{select}: {e}")))?;
    let mut rows = statement
        .query(params_from_iter(values))
        .map_err(|e| fail(format!("{select}: {e}")))?;
    while rows
        .next()
        .map_err(|e| fail(format!("{select}: {e}")))?
        .is_some()
    {}
    Ok(())
}

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

// ---------------------------------------------------------------------------------
// Strategies

/// A target resource, by index into `TARGETS`.
fn target() -> impl Strategy<Value = usize> {
    0..TARGETS.len()
}

/// One of `target`'s paths, or now and then any short text.
fn path(target: usize) -> BoxedStrategy<String> {
    let paths = TARGETS[target].paths.clone();
    prop_oneof![
        8 => prop::sample::select(paths),
        1 => "\\PC{0,12}",
        1 => "[a-z_]{1,6}(\\.[a-z_]{0,6}){0,4}",
    ]
    .boxed()
}

/// Markers replaced in the serialized JSON by numbers `serde_json::Value` cannot hold.
const HUGE: &[(&str, &str)] = &[
    ("\"\\u0001HUGE_INT\"", "123456789012345678901234567890"),
    ("\"\\u0001HUGE_NEG\"", "-9223372036854775809"),
    ("\"\\u0001HUGE_FLOAT\"", "1e400"),
    ("\"\\u0001TINY\"", "1e-400"),
    ("\"\\u0001NEG_ZERO\"", "-0"),
    ("\"\\u0001EXP\"", "1.7976931348623157e308"),
];

fn to_text(value: &Json) -> String {
    let mut text = value.to_string();
    for (marker, number) in HUGE {
        text = text.replace(marker, number);
    }
    text
}

/// A date in some wire format: the API's, RFC 1123, ISO 8601, or nearly one.
fn date_text() -> BoxedStrategy<String> {
    prop_oneof![
        (-62_135_596_800i64..253_402_300_799).prop_map(apigen_runtime::date::format_rfc1123),
        (-62_135_596_800i64..253_402_300_799).prop_map(|s| {
            // The places example's custom format and ISO 8601 look alike.
            APIS[6].dates.format(s)
        }),
        Just("Tue, 19 Apr 2016 08:19:00 GMT".to_string()),
        Just("Tuesday, 19-Apr-16 08:19:00 GMT".to_string()),
        Just("2016-04-19T08:19:00Z".to_string()),
        Just("Tue, 31 Feb 2016 25:61:61 GMT".to_string()),
        Just("Sat, 01 Jan 0000 00:00:00 GMT".to_string()),
        Just("Fri, 31 Dec 9999 23:59:59 GMT".to_string()),
    ]
    .boxed()
}

fn scalar() -> BoxedStrategy<Json> {
    prop_oneof![
        2 => Just(Json::Null),
        2 => any::<bool>().prop_map(Json::from),
        3 => (-200i64..200).prop_map(Json::from),
        2 => any::<i64>().prop_map(Json::from),
        1 => any::<u64>().prop_map(Json::from),
        2 => prop::num::f64::NORMAL.prop_map(Json::from),
        1 => prop::sample::select(vec![0.5, -0.0, 1e-300, 1.5e300, 41.9, 12.5, 180.0, -90.0])
            .prop_map(Json::from),
        3 => "\\PC{0,16}".prop_map(Json::from),
        1 => "[0-9a-f]{24}".prop_map(Json::from),
        1 => prop::sample::select(vec!["id0", "id1", "id7", "John", "", "author"]).prop_map(Json::from),
        2 => date_text().prop_map(Json::from),
        1 => prop::sample::select(HUGE.iter().map(|(m, _)| {
            let inner = &m[1..m.len() - 1];
            inner.replace("\\u0001", "\u{1}")
        }).collect::<Vec<_>>())
        .prop_map(Json::from),
    ]
    .boxed()
}

/// Any JSON value, a little nested.
fn any_json() -> BoxedStrategy<Json> {
    scalar()
        .prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                prop::collection::vec(("[a-z$]{0,5}", inner), 0..4)
                    .prop_map(|entries| Json::Object(entries.into_iter().collect())),
            ]
        })
        .boxed()
}

fn regex_text() -> BoxedStrategy<String> {
    prop_oneof![
        prop::sample::select(vec![
            "^J",
            "(",
            ")",
            "[",
            "a{1000}{1000}",
            "\\w{1000}{1000}",
            "(?i)x",
            "(?z)x",
            "\\",
            "",
            ".*",
            "é+",
            "^$",
            "\\p{Greek}",
            "(?P<n>a)\\k<n>",
            "a**",
            "\\1",
            "[[:alpha:]]",
            "(?s).",
            "\u{0}",
        ])
        .prop_map(String::from),
        "\\PC{0,20}",
        "[(){}\\[\\]*+?.\\\\^$|a-c0-9]{0,20}",
        (1usize..3000).prop_map(|n| "a".repeat(n)),
    ]
    .boxed()
}

fn near_value() -> BoxedStrategy<Json> {
    let coordinate = prop_oneof![(-200.0f64..200.0).prop_map(Json::from), scalar(),];
    let point = (coordinate.clone(), coordinate, any::<u8>()).prop_map(|(lon, lat, shape)| {
        match shape % 6 {
            0 => json!({"type": "Point", "coordinates": [lon, lat]}),
            1 => json!({"type": "Point", "coordinates": [lon]}),
            2 => json!({"type": "Polygon", "coordinates": [lon, lat]}),
            3 => json!({"type": "Point", "coordinates": [lon, lat], "x": 1}),
            4 => json!([lon, lat]),
            _ => json!({"type": "Point", "coordinates": [lon, lat]}),
        }
    });
    let distance = prop_oneof![(0.0f64..1e7).prop_map(Json::from), scalar()];
    (
        point,
        prop::option::of(distance.clone()),
        prop::option::of(distance),
        prop::option::of(("[$a-z]{0,6}", scalar())),
    )
        .prop_map(|(geometry, max, min, extra)| {
            let mut near = Map::new();
            near.insert("$geometry".into(), geometry);
            if let Some(max) = max {
                near.insert("$maxDistance".into(), max);
            }
            if let Some(min) = min {
                near.insert("$minDistance".into(), min);
            }
            if let Some((key, value)) = extra {
                near.insert(key, value);
            }
            Json::Object(near)
        })
        .boxed()
        .prop_union(scalar())
        .boxed()
}

/// An operator and an operand shaped for it (or, now and then, for another one).
fn operator() -> BoxedStrategy<(String, Json)> {
    let ops = |names: &[&'static str]| prop::sample::select(names.to_vec()).prop_map(String::from);
    prop_oneof![
        4 => (ops(&["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]), scalar()),
        3 => (
            ops(&["$in", "$nin"]),
            prop_oneof![
                4 => prop::collection::vec(scalar(), 0..6).prop_map(Json::Array),
                1 => prop::collection::vec(any_json(), 0..3).prop_map(Json::Array),
                1 => (400usize..520).prop_map(|n| Json::Array((0..n as i64).map(Json::from).collect())),
                1 => scalar(),
            ]
        ),
        2 => (ops(&["$regex"]), prop_oneof![4 => regex_text().prop_map(Json::from), 1 => scalar()]),
        1 => (
            ops(&["$options"]),
            prop_oneof![
                prop::sample::select(vec!["i", "imsx", "g", "", "ii", "I"]).prop_map(Json::from),
                scalar()
            ]
        ),
        1 => (ops(&["$exists"]), prop_oneof![3 => any::<bool>().prop_map(Json::from), 1 => scalar()]),
        2 => (ops(&["$near"]), near_value()),
        1 => (
            ops(&["$foo", "$not", "$and", "$elemMatch", "$where", "x", "$"]),
            any_json()
        ),
    ]
    .boxed()
}

/// A value of the kind a path holds (its items' kind for a list, now and then a list).
fn typed_value(kind: Option<Kind>, dates: &'static DateFormat) -> BoxedStrategy<Json> {
    let text = prop_oneof![
        prop::sample::select(vec![
            "John",
            "",
            "id1",
            "author",
            "Ünïcødé",
            "Rome",
            "x'; --"
        ])
        .prop_map(Json::from),
        "\\PC{0,8}".prop_map(Json::from),
        "[0-9a-f]{24}".prop_map(Json::from),
    ];
    match kind {
        None => scalar(),
        Some(Kind::String | Kind::ObjectId) => text.boxed(),
        Some(Kind::Integer) => prop_oneof![
            (-200i64..200).prop_map(Json::from),
            any::<i64>().prop_map(Json::from)
        ]
        .boxed(),
        Some(Kind::Float | Kind::Number) => prop_oneof![
            (-200i64..200).prop_map(Json::from),
            prop::num::f64::NORMAL.prop_map(Json::from)
        ]
        .boxed(),
        Some(Kind::Boolean) => any::<bool>().prop_map(Json::from).boxed(),
        Some(Kind::Datetime) => (-62_135_596_800i64..253_402_300_799)
            .prop_map(move |s| Json::from(dates.format(s)))
            .boxed(),
        Some(Kind::Dict) => prop_oneof![
            any_json(),
            Just(json!({"city": "Rome", "address": "Via 1"})),
            Just(json!({}))
        ]
        .boxed(),
        Some(Kind::List) => prop_oneof![
            3 => text.clone().boxed(),
            1 => scalar(),
            1 => prop::collection::vec(text, 0..3).prop_map(Json::Array).boxed(),
        ]
        .boxed(),
        Some(_) => prop_oneof![
            Just(json!({"type": "Point", "coordinates": [12.5, 41.9]})),
            Just(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})),
            Just(Json::Null),
        ]
        .boxed(),
    }
}

/// A condition a resource would accept more often than not: a declared path and a
/// value or operators of its kind.
fn typed_condition(target: usize) -> BoxedStrategy<(String, Json)> {
    let dates = TARGETS[target].info.dates;
    prop::sample::select(TARGETS[target].typed.clone())
        .prop_flat_map(move |(path, kind)| {
            let value = typed_value(kind, dates);
            let ops = |names: &[&'static str]| {
                prop::sample::select(names.to_vec()).prop_map(String::from)
            };
            let op = prop_oneof![
                4 => (ops(&["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]), value.clone()),
                2 => (
                    ops(&["$in", "$nin"]),
                    prop::collection::vec(
                        prop_oneof![4 => value.clone(), 1 => Just(Json::Null)],
                        0..5
                    )
                    .prop_map(Json::Array)
                ),
                u32::from(matches!(kind, None | Some(Kind::String | Kind::ObjectId | Kind::List))) * 2 => (
                    ops(&["$regex"]),
                    prop::sample::select(vec!["^J", "(?i)jo", ".*", "o$", "é", "^$", "[0-9]+"])
                        .prop_map(Json::from)
                ),
                1 => (ops(&["$exists"]), any::<bool>().prop_map(Json::from)),
                u32::from(kind == Some(Kind::Point)) * 4 => (ops(&["$near"]), near_value()),
            ];
            let condition = prop_oneof![
                2 => value,
                2 => prop::collection::vec(op, 1..3).prop_map(|ops| Json::Object(ops.into_iter().collect())),
            ];
            (Just(path), condition)
        })
        .boxed()
}

/// What a field is compared with: a value, an object or list (dict and list
/// equality), or operators.
fn field_value() -> BoxedStrategy<Json> {
    prop_oneof![
        4 => scalar(),
        1 => any_json(),
        4 => prop::collection::vec(operator(), 1..4)
            .prop_map(|ops| Json::Object(ops.into_iter().collect())),
        // A regex with its options, the common pair.
        1 => (regex_text(), "[imsxg]{0,3}").prop_map(|(r, o)| json!({"$regex": r, "$options": o})),
    ]
    .boxed()
}

/// A `where` document for the resource `target`.
fn where_doc(target: usize) -> BoxedStrategy<Json> {
    let condition = prop_oneof![
        8 => typed_condition(target),
        1 => (path(target), field_value()),
    ];
    let conditions = prop::collection::vec(condition, 0..4);
    let leaf = conditions
        .clone()
        .prop_map(|pairs| Json::Object(pairs.into_iter().collect()));
    let combined = leaf.prop_recursive(6, 64, 4, move |inner| {
        let list = prop_oneof![
            12 => prop::collection::vec(inner.clone(), 1..4).prop_map(Json::Array),
            1 => Just(json!([])),
            1 => inner.clone(),
            1 => scalar(),
            1 => prop::collection::vec(any_json(), 1..3).prop_map(Json::Array),
        ];
        (
            conditions.clone(),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "$and", "$or", "$nor", "$and", "$or", "$nor", "$and", "$or", "$nor",
                        "$not", "$AND",
                    ]),
                    list,
                ),
                0..3,
            ),
        )
            .prop_map(|(pairs, combos)| {
                let mut map: Map<String, Json> = pairs.into_iter().collect();
                for (key, value) in combos {
                    map.insert(key.to_string(), value);
                }
                Json::Object(map)
            })
    });
    // Now and then nested past the depth limit, in `$and`/`$or`/`$nor` wrappers.
    (combined, 0usize..40, any::<u8>())
        .prop_map(|(doc, extra, which)| {
            if which % 8 != 0 {
                return doc;
            }
            let key = ["$and", "$or", "$nor"][which as usize % 3];
            (0..extra).fold(doc, |inner, _| json!({ key: [inner] }))
        })
        .boxed()
}

/// Text damaged near validity: a cut, a deleted or inserted character, a swapped token.
fn damage(text: String, how: u8, at: usize) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = if chars.is_empty() {
        0
    } else {
        at % chars.len()
    };
    match how % 6 {
        0 => chars.truncate(at),
        1 if !chars.is_empty() => {
            chars.remove(at);
        }
        2 => chars.insert(
            at,
            ['"', '{', '}', '[', ']', ',', ':', '\\', '\u{0}', 'é'][at % 10],
        ),
        3 => {
            let s: String = chars.iter().collect();
            return s.replacen(':', "::", 1).replacen('"', "'", 2);
        }
        _ => return text,
    }
    chars.into_iter().collect()
}

/// The `where` text: structured, damaged, or arbitrary.
fn where_text(target: usize) -> BoxedStrategy<String> {
    prop_oneof![
        6 => where_doc(target).prop_map(|doc| to_text(&doc)),
        2 => (where_doc(target), any::<u8>(), any::<usize>())
            .prop_map(|(doc, how, at)| damage(to_text(&doc), how, at)),
        1 => "\\PC{0,40}",
        1 => prop::collection::vec(any::<u8>(), 0..60)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    ]
    .boxed()
}

/// The `sort` text: `a,-b`, Python's `[("a", -1)]`, damaged, or arbitrary.
fn sort_text(target: usize) -> BoxedStrategy<String> {
    let name = prop_oneof![
        6 => prop::sample::select(
            TARGETS[target].typed.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>()
        ),
        1 => path(target),
    ]
    .boxed();
    let count = prop_oneof![6 => 0usize..4, 1 => 4usize..20];
    let key = (
        name.clone(),
        any::<bool>(),
        prop::sample::select(vec!["", " ", "  ", "\t"]),
    );
    let comma = count
        .clone()
        .prop_flat_map(move |n| prop::collection::vec(key.clone(), n))
        .prop_map(|keys| {
            keys.into_iter()
                .map(|(name, desc, space)| {
                    format!("{space}{}{name}{space}", if desc { "-" } else { "" })
                })
                .collect::<Vec<_>>()
                .join(",")
        });
    let direction = prop::sample::select(vec![
        "1",
        "-1",
        "1",
        "-1",
        "1",
        "-1",
        "1",
        "-1",
        "0",
        "2",
        "1.0",
        "\"1\"",
        "-1e0",
        "null",
        "99999999999999999999",
        "true",
    ]);
    let item = (name, direction, any::<u8>()).prop_map(|(name, direction, style)| {
        let name = serde_json::to_string(&name).unwrap_or_default();
        match style % 12 {
            0..=5 => format!("({name}, {direction})"),
            6 | 7 => format!("[{name},{direction}]"),
            8 => format!("( {name} , {direction} , )"),
            9 => format!("({name})"),
            10 => format!("('{}', {direction})", name.trim_matches('"')),
            _ => format!("({name}, {direction}"),
        }
    });
    let items = count.prop_flat_map(move |n| prop::collection::vec(item.clone(), n));
    let python = (items, any::<bool>()).prop_map(|(items, trailing)| {
        format!("[{}{}]", items.join(", "), if trailing { "," } else { "" })
    });
    prop_oneof![
        4 => comma,
        4 => python.clone(),
        1 => (python, any::<u8>(), any::<usize>()).prop_map(|(t, how, at)| damage(t, how, at)),
        1 => "\\PC{0,40}",
        1 => "[\\[\\]()\",\\- a-z0-9]{0,40}",
    ]
    .boxed()
}

/// An object of names and flags, as `projection` and `embedded` take.
fn flags_text(names: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let flag = prop_oneof![
        6 => prop::sample::select(vec![json!(1), json!(0), json!(true), json!(false)]),
        1 => prop::sample::select(vec![json!(2), json!(-1), json!(1.0), json!(0.0), json!("1"), json!(null), json!([1]), json!({"a": 1})]),
        1 => scalar(),
    ];
    let object = prop::collection::vec((names, flag), 0..6)
        .prop_map(|entries| to_text(&Json::Object(entries.into_iter().collect())));
    prop_oneof![
        6 => object.clone(),
        1 => (object, any::<u8>(), any::<usize>()).prop_map(|(t, how, at)| damage(t, how, at)),
        1 => "\\PC{0,30}",
        1 => any_json().prop_map(|j| to_text(&j)),
    ]
    .boxed()
}

/// Documents as a resource serves them: its fields with values of many shapes, the
/// meta fields, references (to seeded ids) at its embeddable paths.
fn documents(target: usize) -> BoxedStrategy<Vec<Vec<u8>>> {
    let t = &TARGETS[target];
    let names: Vec<&'static str> = t.info.fields.iter().map(|f| f.name).collect();
    let embeds: Vec<&'static str> = t.info.embeds.iter().map(|e| e.path).collect();
    let reference = prop_oneof![
        4 => prop::sample::select(vec![json!("id0"), json!("id1"), json!("id5"), json!(1), json!(2), json!(9)]),
        1 => prop::collection::vec(
            prop::sample::select(vec![json!("id1"), json!("id3"), json!(3), json!(null)]),
            0..4
        ).prop_map(Json::Array),
        1 => any_json(),
    ];
    let document = (
        prop::collection::vec(any_json(), names.len()..=names.len()),
        prop::collection::vec(reference, embeds.len()..=embeds.len()),
        prop::collection::vec(any::<bool>(), names.len()..=names.len()),
    )
        .prop_map(move |(values, references, present)| {
            let mut doc = Map::new();
            doc.insert("_id".into(), json!("id1"));
            for ((name, value), present) in names.iter().zip(values).zip(present) {
                if present {
                    doc.insert(name.to_string(), value);
                }
            }
            for (path, reference) in embeds.iter().zip(references) {
                // `meta.editor` is a key of a dict, or of each dict of a list.
                let mut segments = path.split('.').rev();
                let last = segments.next().unwrap_or_default();
                let mut value = reference;
                value = json!({ last: value });
                for segment in segments {
                    value = json!({ segment: value });
                }
                if let Json::Object(top) = value {
                    for (key, nested) in top {
                        doc.insert(key, nested);
                    }
                }
            }
            doc.insert("_created".into(), json!("Tue, 19 Apr 2016 08:19:00 GMT"));
            doc.insert("_updated".into(), json!("Tue, 19 Apr 2016 08:19:00 GMT"));
            doc.insert("_etag".into(), json!("etag"));
            serde_json::to_vec(&Json::Object(doc)).unwrap_or_default()
        });
    prop::collection::vec(document, 0..4).boxed()
}

// ---------------------------------------------------------------------------------
// Properties

/// A `where` is parsed as the handlers parse it; an accepted one passes the resource's
/// filter checks and runs.
fn check_where(conn: &Connection, target: &Target, text: &str) -> TestCaseResult {
    let info = target.info;
    let fields = info.query_fields.unwrap_or(info.fields);
    let Ok(filter) = query::parse_where(text, fields, info.dates) else {
        return Ok(());
    };
    // `allowed_filters` and `validate_filtering` answer 400 or nothing.
    let _ = options::check_filter(info, text, &filter);
    run_query(conn, info, Some(&filter), &[])
}

#[test]
fn where_never_panics_and_what_it_accepts_runs() {
    let dbs = databases();
    let strategy = target().prop_flat_map(|t| (Just(t), where_text(t)));
    fuzz("where", 1500, strategy, |(t, text)| {
        let target = &TARGETS[t];
        check_where(&dbs[target.api], target, &text)
    });
}

/// A boolean tree of conditions, written both as Eve's Python expression and as the
/// JSON `where` it stands for.
#[derive(Clone, Debug)]
enum Expr {
    /// `path OP value`: `op` is `""` (equality), `$ne`, `$gt`... or `$in`/`$nin`.
    Cond(String, &'static str, Json),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
}

impl Expr {
    fn json(&self) -> Json {
        match self {
            Expr::Cond(path, "", value) => json!({ path.as_str(): value }),
            Expr::Cond(path, op, value) => json!({ path.as_str(): { *op: value } }),
            Expr::And(items) => json!({"$and": items.iter().map(Expr::json).collect::<Vec<_>>()}),
            Expr::Or(items) => json!({"$or": items.iter().map(Expr::json).collect::<Vec<_>>()}),
            Expr::Not(item) => json!({"$nor": [item.json()]}),
        }
    }

    fn python(&self) -> String {
        let join = |items: &[Expr], word: &str| {
            let parts: Vec<String> = items.iter().map(|e| format!("({})", e.python())).collect();
            parts.join(word)
        };
        match self {
            Expr::Cond(path, op, value) => {
                let op = match *op {
                    "" => "==",
                    "$ne" => "!=",
                    "$gt" => ">",
                    "$gte" => ">=",
                    "$lt" => "<",
                    "$lte" => "<=",
                    "$in" => "in",
                    _ => "not in",
                };
                format!("{path} {op} {}", python_value(value))
            }
            Expr::And(items) => join(items, " and "),
            Expr::Or(items) => join(items, " or "),
            Expr::Not(item) => format!("not ({})", item.python()),
        }
    }
}

/// A JSON scalar or list as a Python literal: JSON's string escapes are Python's too.
fn python_value(value: &Json) -> String {
    match value {
        Json::Null => "None".into(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Array(items) => {
            let items: Vec<String> = items.iter().map(python_value).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// Whether Python can write `value` (no dicts).
fn pythonable(value: &Json) -> bool {
    match value {
        Json::Object(_) => false,
        Json::Array(items) => items.iter().all(pythonable),
        _ => true,
    }
}

/// Python's words that cannot name a field in an expression.
fn python_name(path: &str) -> bool {
    path.split('.').all(|segment| {
        !matches!(
            segment,
            "and"
                | "or"
                | "not"
                | "in"
                | "is"
                | "True"
                | "False"
                | "None"
                | "lambda"
                | "if"
                | "else"
        )
    })
}

/// A condition the resource `target` could hold, when Python can write it.
fn python_condition(target: usize) -> BoxedStrategy<Expr> {
    typed_condition(target)
        .prop_filter_map("not writable in Python", |(path, condition)| {
            if !python_name(&path) {
                return None;
            }
            match condition {
                Json::Object(ops) => {
                    let (op, value) = ops.into_iter().next()?;
                    let op = ["$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"]
                        .into_iter()
                        .find(|o| *o == op)?;
                    pythonable(&value).then_some(Expr::Cond(path, op, value))
                }
                value => pythonable(&value).then_some(Expr::Cond(path, "", value)),
            }
        })
        .boxed()
}

fn python_expr(target: usize) -> BoxedStrategy<Expr> {
    python_condition(target)
        .prop_recursive(4, 24, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
                inner.prop_map(|e| Expr::Not(Box::new(e))),
            ]
        })
        .boxed()
}

/// Eve's Python `where` is read into the same AST as the JSON it stands for: both are
/// accepted or both refused, and an accepted one runs.
#[test]
fn python_where_parses_as_its_json() {
    let dbs = databases();
    let strategy = target().prop_flat_map(|t| (Just(t), python_expr(t)));
    fuzz("python where", 800, strategy, |(t, expr)| {
        let target = &TARGETS[t];
        let info = target.info;
        let fields = info.query_fields.unwrap_or(info.fields);
        let python = expr.python();
        let json = expr.json().to_string();
        let from_python = query::parse_where(&python, fields, info.dates);
        let from_json = query::parse_where(&json, fields, info.dates);
        match (from_python, from_json) {
            (Ok(a), Ok(b)) => {
                accepted();
                prop_assert_eq!(&a, &b, "{} vs {}", python, json);
                run_query(&dbs[target.api], info, Some(&a), &[])
            }
            (Err(_), Err(_)) => Ok(()),
            (a, b) => Err(fail(format!("{python} -> {a:?}, but {json} -> {b:?}"))),
        }
    });
}

/// Text made of Python's tokens, well formed or not: the parser never panics, and
/// what it accepts runs.
#[test]
fn python_where_never_panics() {
    let dbs = databases();
    let token = |t: usize| {
        prop_oneof![
            4 => path(t),
            2 => prop::sample::select(vec![
                "==", "!=", "<", "<=", ">", ">=", "=", "and", "or", "not", "in", "(", ")", "[",
                "]", ",", ".", "-", "+", "True", "False", "None", "datetime(", "ObjectId(",
                "datetime(1969, 7, 20)", "ObjectId('5f1e4c2b9d3e2a0012345678')", "'Doe'",
                "\"Ünï\\u00e9\"", "'", "\"", "\\", "1_000", ".5", "1e-5", "007", "9223372036854775808",
                "__import__('os')", "lambda", "#", ":",
            ])
            .prop_map(String::from),
            1 => "\\PC{0,6}",
        ]
    };
    let strategy = target().prop_flat_map(move |t| {
        (
            Just(t),
            prop::collection::vec(token(t), 0..16).prop_map(|tokens| tokens.join(" ")),
        )
    });
    fuzz("python where tokens", 1500, strategy, |(t, text)| {
        let target = &TARGETS[t];
        if text.trim_start().starts_with('{') {
            return Ok(());
        }
        check_where(&dbs[target.api], target, &text)
    });
}

#[test]
fn sort_never_panics_and_what_it_accepts_runs() {
    let dbs = databases();
    let strategy = target().prop_flat_map(|t| (Just(t), sort_text(t)));
    fuzz("sort", 1500, strategy, |(t, text)| {
        let target = &TARGETS[t];
        let fields = target.info.query_fields.unwrap_or(target.info.fields);
        let Ok(keys) = query::parse_sort(&text, fields) else {
            return Ok(());
        };
        run_query(&dbs[target.api], target.info, None, &keys)
    });
}

#[test]
fn projection_never_panics_and_what_it_accepts_writes_json() {
    let strategy = target().prop_flat_map(|t| {
        let names = prop_oneof![
            4 => path(t),
            1 => prop::sample::select(vec!["_id", "_etag", "_created", "_updated", "_links"])
                .prop_map(String::from),
        ]
        .boxed();
        (Just(t), flags_text(names), documents(t))
    });
    fuzz("projection", 1000, strategy, |(t, text, docs)| {
        let info = TARGETS[t].info;
        if Projection::parse(&text, info.fields).is_err() {
            return Ok(());
        }
        accepted();
        let projections = Projections::new(info, Some(&text))
            .map_err(|e| fail(format!("parsed alone, refused with the default: {e:?}")))?;
        for doc in docs {
            let mut out = Vec::new();
            prop_assert!(projections.write(&mut out, &doc), "not written: {:?}", doc);
            let written: Map<String, Json> = serde_json::from_slice(&out)
                .map_err(|e| fail(format!("{e}: {}", String::from_utf8_lossy(&out))))?;
            let original: Map<String, Json> = serde_json::from_slice(&doc).unwrap_or_default();
            // A key is copied whole, unless a dotted name reaches into it.
            let dotted: Map<String, Json> = serde_json::from_str(&text).unwrap_or_default();
            for (key, value) in &written {
                let reached = dotted.keys().any(|n| n.starts_with(&format!("{key}.")));
                prop_assert!(original.contains_key(key), "key {} made up", key);
                if !reached {
                    prop_assert_eq!(Some(value), original.get(key), "key {}", key);
                }
            }
            for meta in ["_id", "_created", "_updated", "_etag"] {
                prop_assert!(written.contains_key(meta), "{} dropped", meta);
            }
        }
        Ok(())
    });
}

#[test]
fn embedded_never_panics_and_what_it_embeds_is_json() {
    let dbs = databases();
    // Resources that embed something, and one that does not.
    let embedding: Vec<usize> = (0..TARGETS.len())
        .filter(|&t| !TARGETS[t].info.embeds.is_empty() || t == 0)
        .collect();
    let strategy = prop::sample::select(embedding).prop_flat_map(|t| {
        let embeds: Vec<String> = TARGETS[t]
            .info
            .embeds
            .iter()
            .map(|e| e.path.to_string())
            .collect();
        let names = if embeds.is_empty() {
            path(t)
        } else {
            prop_oneof![3 => prop::sample::select(embeds), 1 => path(t)].boxed()
        };
        let query =
            (flags_text(names), "\\PC{0,10}", any::<u8>()).prop_map(|(text, other, how)| {
                let encoded: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
                match how % 4 {
                    0 => format!("embedded={encoded}"),
                    1 => format!("x={other}&embedded={encoded}&embedded=%7B%7D"),
                    2 => format!("embedded={text}"),
                    _ => format!("embedded={encoded}&{other}"),
                }
            });
        (Just(t), query, documents(t))
    });
    fuzz("embedded", 1000, strategy, |(t, query, docs)| {
        let target = &TARGETS[t];
        let conn = &dbs[target.api];
        let outcome = embed::embed(target.info.embeds, conn, Some(&query), None, &mut || {
            docs.clone()
        });
        if let Ok(Some(documents)) = outcome {
            accepted();
            prop_assert_eq!(documents.len(), docs.len());
            for doc in documents {
                serde_json::from_slice::<Map<String, Json>>(&doc)
                    .map_err(|e| fail(format!("{e}: {}", String::from_utf8_lossy(&doc))))?;
            }
        }
        Ok(())
    });
}

/// A whole query string, read as a collection GET reads it (`handlers::ListQuery`).
#[test]
fn query_strings_never_panic_and_what_they_accept_runs() {
    let dbs = databases();
    let strategy = target().prop_flat_map(|t| {
        let part = prop_oneof![
            2 => where_text(t).prop_map(|w| ("where", w)),
            2 => sort_text(t).prop_map(|s| ("sort", s)),
            1 => flags_text(path(t)).prop_map(|p| ("projection", p)),
            1 => prop_oneof![Just("max_results"), Just("page")].prop_flat_map(|k| {
                prop_oneof![
                    "-?[0-9]{1,22}".boxed(),
                    "\\PC{0,6}".boxed()
                ]
                .prop_map(move |v| (k, v))
            }),
            1 => "\\PC{0,8}".prop_map(|v| ("x", v)),
        ];
        (Just(t), prop::collection::vec(part, 0..5), any::<bool>())
    });
    fuzz("query string", 800, strategy, |(t, parts, raw)| {
        let target = &TARGETS[t];
        let info = target.info;
        let query = if raw {
            // Unencoded, as a careless client sends it.
            parts
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        } else {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (key, value) in &parts {
                query.append_pair(key, value);
            }
            query.finish()
        };
        let Ok(mut params) =
            ListParams::parse(Some(&query), info.pagination_default, info.pagination_limit)
        else {
            return Ok(());
        };
        prop_assert!(params.max_results >= 1 && params.max_results <= info.pagination_limit.max(1));
        prop_assert!(params.page >= 1);
        let _ = params.link_query(params.page.saturating_add(1));
        options::adjust_params(info, &mut params);
        if Projections::new(info, params.projection.as_deref()).is_err() {
            return Ok(());
        }
        let fields = info.query_fields.unwrap_or(info.fields);
        let filter = match params.filter.as_deref() {
            None => None,
            Some(text) => match query::parse_where(text, fields, info.dates) {
                Ok(filter) if options::check_filter(info, text, &filter).is_ok() => Some(filter),
                _ => return Ok(()),
            },
        };
        let sort = match params.sort.as_deref().or(info.default_sort) {
            None => Vec::new(),
            Some(text) => match query::parse_sort(text, fields) {
                Ok(keys) => keys,
                Err(_) => return Ok(()),
            },
        };
        run_query(&dbs[target.api], info, filter.as_ref(), &sort)
    });
}
