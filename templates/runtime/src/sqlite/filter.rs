//! `where`, `sort` and `$near` compiled to SQLite SQL: one boolean expression with
//! `?` placeholders and the values to bind, in order.
//!
//! The AST (`query::Filter`, `query::SortKey`) names only declared columns; this module
//! quotes them, writes JSON paths of a `where` as bound values (and those of a `sort`,
//! made of declared names only, as literals), and binds every client value. Dicts and
//! lists are JSON text, reached with `json_extract` and iterated with `json_each`;
//! nested datetimes are compared through `wire_date`, `$regex` through `REGEXP` and
//! `$near` through `geo_distance` (all three registered by `functions`).

use rusqlite::types::Value;

use super::quote;
use crate::catalog::Kind;
use crate::query::{Condition, Filter, Op, Operand, Scalar, SortKey, Target};

/// A scalar as the value bound to a placeholder.
pub(crate) fn bind(value: &Scalar) -> Value {
    match value {
        Scalar::Integer(i) => Value::Integer(*i),
        Scalar::Real(f) => Value::Real(*f),
        Scalar::Text(s) => Value::Text(s.clone()),
    }
}

/// The distance expression and its parameters of the first `$near` among the top-level
/// conditions of `filter`: the order MongoDB gives `$near` results (nearest first).
pub fn near_order(filter: &Filter) -> Option<(String, Vec<Value>)> {
    match filter {
        Filter::And(parts) => parts.iter().find_map(near_order),
        Filter::Cond(Condition {
            op: Op::Near(near),
            target,
            ..
        }) => Some((
            format!("geo_distance({}, ?, ?)", quote(target.column)),
            vec![Value::Real(near.lon), Value::Real(near.lat)],
        )),
        _ => None,
    }
}

/// How a value is read: as an SQL scalar, as JSON text, or as its JSON type (for `$exists`).
#[derive(Clone, Copy)]
enum Mode {
    Scalar,
    Json,
    Type,
}

/// Where the compared value sits once any `json_each` iterations are open.
struct Site<'a> {
    /// The current JSON document (or column) as SQL, without parameters.
    doc: String,
    /// The innermost `json_each` alias and the document it iterates.
    element: Option<(String, String)>,
    key: Option<&'a String>,
}

impl Site<'_> {
    fn emit(&self, mode: Mode, sql: &mut String, params: &mut Vec<Value>) {
        match (self.key, &self.element, mode) {
            (Some(path), _, _) => {
                let (open, close) = match mode {
                    Mode::Scalar => ("json_extract(", ", ?)"),
                    // `->` always answers JSON text (a string comes back quoted).
                    Mode::Json => ("(", " -> ?)"),
                    Mode::Type => ("json_type(", ", ?)"),
                };
                sql.push_str(open);
                sql.push_str(&self.doc);
                sql.push_str(close);
                params.push(Value::Text(path.clone()));
            }
            (None, Some((alias, _)), Mode::Scalar) => {
                sql.push_str(&format!("{alias}.value"));
            }
            (None, Some((alias, root)), Mode::Json) => {
                sql.push_str(&format!("({root} -> {alias}.fullkey)"));
            }
            (None, Some((alias, _)), Mode::Type) => {
                sql.push_str(&format!("{alias}.type"));
            }
            (None, None, Mode::Json) => {
                sql.push_str(&format!("json({})", self.doc));
            }
            (None, None, Mode::Scalar | Mode::Type) => sql.push_str(&self.doc),
        }
    }
}

/// The positive predicates an operator compiles from; `$ne`, `$nin` and
/// `$exists: false` are their negations.
enum Pred<'a> {
    Eq(&'a Operand),
    Cmp(&'static str, &'a Scalar),
    /// A comparison of a datetime stored as text (inside JSON) with epoch seconds.
    DateCmp(&'static str, &'a Scalar),
    In(&'a [Operand]),
    Regex(&'a str),
    Exists,
}

impl Pred<'_> {
    /// Whether the predicate holds for a null or missing value.
    fn matches_null(&self) -> bool {
        match self {
            Pred::Eq(operand) => **operand == Operand::Null,
            Pred::In(operands) => operands.contains(&Operand::Null),
            _ => false,
        }
    }
}

/// Append `(?, ?, ...)` for the non-null operands of an `$in`.
fn emit_list(operands: &[Operand], sql: &mut String, params: &mut Vec<Value>) {
    sql.push('(');
    let mut first = true;
    for operand in operands {
        if let Operand::Scalar(value) = operand {
            if !first {
                sql.push_str(", ");
            }
            first = false;
            sql.push('?');
            params.push(bind(value));
        }
    }
    sql.push(')');
}

fn scalar_count(operands: &[Operand]) -> usize {
    operands
        .iter()
        .filter(|o| matches!(o, Operand::Scalar(_)))
        .count()
}

/// The predicate (positive, or negated) on a value at `site`. Negations are written so
/// that a null or missing value counts as "not equal", as in MongoDB.
fn emit_pred(
    site: &Site<'_>,
    untyped: bool,
    pred: &Pred<'_>,
    negate: bool,
    sql: &mut String,
    params: &mut Vec<Value>,
) {
    let (not, is, in_) = if negate {
        ("NOT ", "IS NOT", "NOT IN")
    } else {
        ("", "IS", "IN")
    };
    match pred {
        Pred::Eq(Operand::Null) => {
            site.emit(Mode::Scalar, sql, params);
            sql.push_str(&format!(" {is} NULL"));
        }
        Pred::Eq(Operand::Scalar(value)) => {
            site.emit(Mode::Scalar, sql, params);
            sql.push_str(if negate { " IS NOT ?" } else { " = ?" });
            params.push(bind(value));
        }
        Pred::Eq(Operand::Json(text)) => {
            site.emit(Mode::Json, sql, params);
            sql.push_str(if negate {
                " IS NOT json(?)"
            } else {
                " = json(?)"
            });
            params.push(Value::Text(text.clone()));
        }
        Pred::In(operands) => {
            let has_null = operands.contains(&Operand::Null);
            match (scalar_count(operands), has_null) {
                (0, false) => sql.push_str(if negate { "1" } else { "0" }),
                (0, true) => {
                    site.emit(Mode::Scalar, sql, params);
                    sql.push_str(&format!(" {is} NULL"));
                }
                (_, null) => {
                    // Null and missing values: in the list exactly when null is.
                    let null_clause = match (negate, null) {
                        (false, false) => None,
                        (false, true) => Some(" OR "),
                        (true, false) => Some(" OR "),
                        (true, true) => Some(" AND "),
                    };
                    if let Some(joiner) = null_clause {
                        sql.push('(');
                        site.emit(Mode::Scalar, sql, params);
                        sql.push_str(if null != negate {
                            " IS NULL"
                        } else {
                            " IS NOT NULL"
                        });
                        sql.push_str(joiner);
                    }
                    site.emit(Mode::Scalar, sql, params);
                    sql.push_str(&format!(" {in_} "));
                    emit_list(operands, sql, params);
                    if null_clause.is_some() {
                        sql.push(')');
                    }
                }
            }
        }
        Pred::Cmp(op, value) => {
            sql.push_str(not);
            sql.push('(');
            if untyped {
                // MongoDB compares only like with like: numbers with numbers, strings
                // with strings.
                sql.push_str("typeof(");
                site.emit(Mode::Scalar, sql, params);
                sql.push_str(match value {
                    Scalar::Text(_) => ") = 'text' AND ",
                    _ => ") IN ('integer', 'real') AND ",
                });
            }
            site.emit(Mode::Scalar, sql, params);
            sql.push_str(&format!(" {op} ?)"));
            params.push(bind(value));
        }
        Pred::DateCmp(op, value) => {
            sql.push_str(not);
            sql.push_str("(wire_date(");
            site.emit(Mode::Scalar, sql, params);
            sql.push_str(&format!(") {op} ?)"));
            params.push(bind(value));
        }
        Pred::Regex(pattern) => {
            sql.push_str(not);
            site.emit(Mode::Scalar, sql, params);
            sql.push_str(" REGEXP ?");
            params.push(Value::Text((*pattern).to_string()));
        }
        Pred::Exists => {
            site.emit(Mode::Type, sql, params);
            sql.push_str(if negate { " IS NULL" } else { " IS NOT NULL" });
        }
    }
}

/// The predicate on a target: directly on a column or JSON path, or inside nested
/// `EXISTS (SELECT 1 FROM json_each(...))` when the path goes through lists.
fn emit_target(
    target: &Target,
    pred: &Pred<'_>,
    negate: bool,
    sql: &mut String,
    params: &mut Vec<Value>,
) {
    let untyped = target.kind.is_none();
    let column = quote(target.column);
    if target.each.is_empty() {
        let site = Site {
            doc: column,
            element: None,
            key: target.key.as_ref(),
        };
        emit_pred(&site, untyped, pred, negate, sql, params);
        return;
    }
    // Through lists: "any element matches"; the negations are "no element matches".
    if negate {
        sql.push_str("NOT ");
    }
    let null_too = pred.matches_null();
    if null_too {
        // A missing list also counts as null.
        sql.push('(');
        let site = Site {
            doc: column.clone(),
            element: None,
            key: target.each.first().and_then(|path| path.as_ref()),
        };
        emit_pred(&site, false, &Pred::Eq(&Operand::Null), false, sql, params);
        sql.push_str(" OR ");
    }
    let mut doc = column;
    let mut element = None;
    for (depth, path) in target.each.iter().enumerate() {
        let alias = format!("_je{}", depth + 1);
        sql.push_str("EXISTS (SELECT 1 FROM ");
        if depth == 0 {
            // The column goes through a one-row derived table: written directly as a
            // json_each argument, a column named like one of json_each's own (`value`,
            // `key`, `type`, ...) would resolve to json_each's column instead.
            sql.push_str(&format!("(SELECT {doc} AS doc) AS _jd, "));
            doc = "_jd.doc".to_string();
        }
        sql.push_str("json_each(");
        sql.push_str(&doc);
        if let Some(path) = path {
            sql.push_str(", ?");
            params.push(Value::Text(path.clone()));
        }
        sql.push_str(&format!(") AS {alias} WHERE "));
        let next =
            format!("(CASE WHEN {alias}.type IN ('object', 'array') THEN {alias}.value END)");
        element = Some((alias, std::mem::replace(&mut doc, next)));
    }
    let site = Site {
        doc,
        element,
        key: target.key.as_ref(),
    };
    emit_pred(&site, untyped, pred, false, sql, params);
    for _ in &target.each {
        sql.push(')');
    }
    if null_too {
        sql.push(')');
    }
}

fn compile_condition(condition: &Condition, sql: &mut String, params: &mut Vec<Value>) {
    let target = &condition.target;
    let (pred, negate) = match &condition.op {
        Op::Eq(operand) => (Pred::Eq(operand), false),
        Op::Ne(operand) => (Pred::Eq(operand), true),
        Op::Gt(value) | Op::Gte(value) | Op::Lt(value) | Op::Lte(value)
            if target.kind == Some(Kind::Datetime) && target.in_json() =>
        {
            let op = match &condition.op {
                Op::Gt(_) => ">",
                Op::Gte(_) => ">=",
                Op::Lt(_) => "<",
                _ => "<=",
            };
            (Pred::DateCmp(op, value), false)
        }
        Op::Gt(value) => (Pred::Cmp(">", value), false),
        Op::Gte(value) => (Pred::Cmp(">=", value), false),
        Op::Lt(value) => (Pred::Cmp("<", value), false),
        Op::Lte(value) => (Pred::Cmp("<=", value), false),
        Op::In(operands) => (Pred::In(operands), false),
        Op::Nin(operands) => (Pred::In(operands), true),
        Op::Regex(pattern) => (Pred::Regex(pattern), false),
        Op::Exists(exists) => (Pred::Exists, !exists),
        Op::Near(near) => {
            // `geo_distance` (registered by `geo`) is NULL for anything but a point.
            sql.push_str(&format!(
                "(geo_distance({}, ?, ?) BETWEEN ? AND ?)",
                quote(target.column)
            ));
            params.extend([
                Value::Real(near.lon),
                Value::Real(near.lat),
                Value::Real(near.min),
                Value::Real(near.max),
            ]);
            return;
        }
    };
    emit_target(target, &pred, negate, sql, params);
}

fn compile_list(
    filters: &[Filter],
    joiner: &str,
    empty: &str,
    sql: &mut String,
    params: &mut Vec<Value>,
) {
    if filters.is_empty() {
        sql.push_str(empty);
        return;
    }
    sql.push('(');
    for (i, filter) in filters.iter().enumerate() {
        if i > 0 {
            sql.push_str(joiner);
        }
        compile_where(filter, sql, params);
    }
    sql.push(')');
}

/// Append one boolean SQL expression for `filter`, with `?` placeholders, pushing the
/// bound values in placeholder order.
pub fn compile_where(filter: &Filter, sql: &mut String, params: &mut Vec<Value>) {
    match filter {
        Filter::And(filters) => compile_list(filters, " AND ", "1", sql, params),
        Filter::Or(filters) => compile_list(filters, " OR ", "0", sql, params),
        Filter::Nor(filters) => {
            // A comparison with a missing value is NULL: count it as "did not match".
            sql.push_str("NOT COALESCE(");
            compile_list(filters, " OR ", "0", sql, params);
            sql.push_str(", 0)");
        }
        Filter::Cond(condition) => compile_condition(condition, sql, params),
    }
}

/// Append the `ORDER BY` terms (without the keyword), e.g. `"city" ASC, "age" DESC`.
pub fn compile_sort(keys: &[SortKey], sql: &mut String) {
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let column = quote(key.column);
        match &key.json_path {
            // The path is built from declared names only; quote it as an SQL literal.
            Some(path) => {
                let extract = format!("json_extract({column}, '{}')", path.replace('\'', "''"));
                if key.date {
                    sql.push_str(&format!("wire_date({extract})"));
                } else {
                    sql.push_str(&extract);
                }
            }
            None => sql.push_str(&column),
        }
        sql.push_str(if key.descending { " DESC" } else { " ASC" });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Field;
    use crate::date::RFC1123;
    use crate::query::fixtures::*;
    use crate::query::{parse_sort, parse_where, MAX_REGEX_LEN};
    use rusqlite::{params_from_iter, Connection};

    /// `_id`, `_created`, name, age, score, active, born.
    type Row = (
        &'static str,
        i64,
        &'static str,
        Option<i64>,
        Option<f64>,
        bool,
        Option<i64>,
    );

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        super::super::functions::register(&conn, &crate::date::RFC1123).unwrap();
        conn.execute_batch(
            "CREATE TABLE people (_id TEXT PRIMARY KEY, _created INTEGER, _updated INTEGER,
                name TEXT, age INTEGER, score REAL, active INTEGER, born INTEGER,
                location TEXT, role TEXT, contacts TEXT, meta TEXT, value TEXT, type TEXT,
                \"weird name\" TEXT)",
        )
        .unwrap();
        // Stored as epoch seconds, whatever the wire format.
        let d = |text: &str| crate::date::RFC1123.parse(text).unwrap();
        let rows: [Row; 5] = [
            (
                "john",
                100,
                "John",
                Some(30),
                Some(7.5),
                true,
                Some(d(D1987)),
            ),
            (
                "jane",
                200,
                "Jane",
                Some(25),
                Some(9.0),
                false,
                Some(d("Mon, 01 Jan 1990 00:00:00 GMT")),
            ),
            ("bob", 300, "Bob", None, None, true, None),
            (
                "alice",
                400,
                "alice",
                Some(40),
                Some(3.25),
                false,
                Some(d("Sat, 01 Jan 2000 00:00:00 GMT")),
            ),
            ("eve", 500, "Eve", Some(30), Some(7.5), true, Some(d(D2016))),
        ];
        let json: [[Option<&str>; 6]; 5] = [
            [
                Some(r#"{"city":"Rome","since":"Tue, 19 Apr 2016 08:19:00 GMT","zip":100}"#),
                Some(r#"["author","copy"]"#),
                Some(r#"[{"kind":"email","primary":true},{"kind":"phone","primary":false}]"#),
                Some(r#"{"tag":"blue","x":1}"#),
                Some("v1"),
                Some("t1"),
            ],
            [
                Some(r#"{"city":"Paris","zip":75}"#),
                Some(r#"["copy"]"#),
                Some(r#"[{"kind":"phone","primary":true}]"#),
                Some(r#"{"x":"1"}"#),
                Some("x'; DROP TABLE people; --"),
                Some("t2"),
            ],
            [None, None, None, None, None, None],
            [
                Some(r#"{"city":"rome","zip":null}"#),
                Some("[]"),
                Some("[]"),
                Some(r#"{"nested":{"deep":true},"x":2.5}"#),
                Some("v4"),
                None,
            ],
            [
                Some(r#"{"city":"Berlin"}"#),
                Some(r#"["admin",null]"#),
                Some(r#"[{"kind":"email"}]"#),
                Some(r#"{"tag":null}"#),
                Some("v5"),
                Some("t5"),
            ],
        ];
        for ((id, created, name, age, score, active, born), j) in rows.into_iter().zip(json) {
            conn.execute(
                "INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                rusqlite::params![
                    id,
                    created,
                    created + 1,
                    name,
                    age,
                    score,
                    active,
                    born,
                    j[0],
                    j[1],
                    j[2],
                    j[3],
                    j[4],
                    j[5]
                ],
            )
            .unwrap();
        }
        conn
    }

    /// The `_id`s a `where` selects, in `_id` order, with LIMIT/OFFSET appended as the
    /// caller does.
    fn select(conn: &Connection, where_text: &str, sort_text: &str) -> Vec<String> {
        let filter = parse_where(where_text, &FIELDS, &RFC1123)
            .unwrap_or_else(|e| panic!("where {where_text}: {e}"));
        let keys =
            parse_sort(sort_text, &FIELDS).unwrap_or_else(|e| panic!("sort {sort_text}: {e}"));
        let mut sql = "SELECT _id FROM people WHERE ".to_string();
        let mut params = Vec::new();
        compile_where(&filter, &mut sql, &mut params);
        sql.push_str(" ORDER BY ");
        compile_sort(&keys, &mut sql);
        if !keys.is_empty() {
            sql.push_str(", ");
        }
        sql.push_str("_id LIMIT ? OFFSET ?");
        params.push(Value::Integer(100));
        params.push(Value::Integer(0));
        let mut statement = conn.prepare(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let rows = statement
            .query_map(params_from_iter(params), |row| row.get::<_, String>(0))
            .unwrap()
            .collect::<Result<Vec<_>, _>>();
        rows.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn ids(conn: &Connection, where_text: &str) -> Vec<String> {
        let mut ids = select(conn, where_text, "");
        ids.sort();
        ids
    }

    fn set(names: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        names.sort();
        names
    }

    fn check(conn: &Connection, where_text: &str, expected: &[&str]) {
        assert_eq!(ids(conn, where_text), set(expected), "where {where_text}");
    }

    const ALL: &[&str] = &["john", "jane", "bob", "alice", "eve"];

    #[test]
    fn equality_on_columns() {
        let conn = db();
        check(&conn, "", ALL);
        check(&conn, "{}", ALL);
        check(&conn, r#"{"name": "John"}"#, &["john"]);
        check(&conn, r#"{"age": 30}"#, &["john", "eve"]);
        check(&conn, r#"{"age": 30, "name": "Eve"}"#, &["eve"]);
        check(&conn, r#"{"score": 9}"#, &["jane"]);
        check(&conn, r#"{"score": 7.5}"#, &["john", "eve"]);
        check(&conn, r#"{"active": true}"#, &["john", "bob", "eve"]);
        check(&conn, r#"{"active": false}"#, &["jane", "alice"]);
        check(&conn, r#"{"age": null}"#, &["bob"]);
        check(&conn, r#"{"age": {"$eq": 25}}"#, &["jane"]);
        check(&conn, r#"{"_id": "eve"}"#, &["eve"]);
        check(
            &conn,
            r#"{"type": "t2", "value": {"$exists": true}}"#,
            &["jane"],
        );
    }
    #[test]
    fn comparison_operators() {
        let conn = db();
        check(&conn, r#"{"age": {"$gt": 25}}"#, &["john", "alice", "eve"]);
        check(&conn, r#"{"age": {"$gte": 30}}"#, &["john", "alice", "eve"]);
        check(&conn, r#"{"age": {"$lt": 30}}"#, &["jane"]);
        check(&conn, r#"{"age": {"$lte": 30}}"#, &["john", "jane", "eve"]);
        check(
            &conn,
            r#"{"age": {"$gt": 25, "$lt": 40}}"#,
            &["john", "eve"],
        );
        check(&conn, r#"{"score": {"$gt": 7}}"#, &["john", "jane", "eve"]);
        check(&conn, r#"{"score": {"$lt": 7.5}}"#, &["alice"]);
        check(
            &conn,
            r#"{"name": {"$gte": "J"}}"#,
            &["john", "jane", "alice"],
        );
        check(
            &conn,
            r#"{"_created": {"$gt": "Thu, 01 Jan 1970 00:03:20 GMT"}}"#,
            &["bob", "alice", "eve"],
        );
        check(
            &conn,
            r#"{"_updated": "Thu, 01 Jan 1970 00:03:21 GMT"}"#,
            &["jane"],
        );
    }
    #[test]
    fn not_equal_and_sets_treat_missing_as_mongodb_does() {
        let conn = db();
        // $ne matches documents without the field.
        check(&conn, r#"{"age": {"$ne": 30}}"#, &["jane", "bob", "alice"]);
        check(
            &conn,
            r#"{"age": {"$ne": null}}"#,
            &["john", "jane", "alice", "eve"],
        );
        check(&conn, r#"{"age": {"$in": [25, 40]}}"#, &["jane", "alice"]);
        check(&conn, r#"{"age": {"$in": [25, null]}}"#, &["jane", "bob"]);
        check(&conn, r#"{"age": {"$in": [null]}}"#, &["bob"]);
        check(&conn, r#"{"age": {"$in": []}}"#, &[]);
        check(
            &conn,
            r#"{"age": {"$nin": [25, 40]}}"#,
            &["john", "bob", "eve"],
        );
        check(
            &conn,
            r#"{"age": {"$nin": [25, null]}}"#,
            &["john", "alice", "eve"],
        );
        check(
            &conn,
            r#"{"age": {"$nin": [null]}}"#,
            &["john", "jane", "alice", "eve"],
        );
        check(&conn, r#"{"age": {"$nin": []}}"#, ALL);
        check(
            &conn,
            r#"{"age": {"$exists": true}}"#,
            &["john", "jane", "alice", "eve"],
        );
        check(&conn, r#"{"age": {"$exists": false}}"#, &["bob"]);
        check(
            &conn,
            r#"{"born": {"$in": ["Wed, 25 Feb 1987 17:00:00 GMT"]}}"#,
            &["john"],
        );
    }
    #[test]
    fn and_or_nor() {
        let conn = db();
        check(
            &conn,
            r#"{"$or": [{"age": 25}, {"name": "Bob"}]}"#,
            &["jane", "bob"],
        );
        check(
            &conn,
            r#"{"$and": [{"age": 30}, {"active": true}]}"#,
            &["john", "eve"],
        );
        check(
            &conn,
            r#"{"$or": [{"$and": [{"age": 30}, {"name": "Eve"}]}, {"age": {"$lt": 26}}], "active": false}"#,
            &["jane"],
        );
        // $nor counts a comparison with a missing field as "did not match".
        check(
            &conn,
            r#"{"$nor": [{"age": {"$gt": 26}}]}"#,
            &["jane", "bob"],
        );
        check(&conn, r#"{"$or": [{}]}"#, ALL);
    }
    #[test]
    fn dotted_paths_into_dicts() {
        let conn = db();
        check(&conn, r#"{"location.city": "Rome"}"#, &["john"]);
        check(
            &conn,
            r#"{"location.zip": {"$gte": 75}}"#,
            &["john", "jane"],
        );
        check(&conn, r#"{"location.zip": null}"#, &["bob", "alice", "eve"]);
        check(
            &conn,
            r#"{"location.zip": {"$exists": true}}"#,
            &["john", "jane", "alice"],
        );
        check(
            &conn,
            r#"{"location.zip": {"$exists": false}}"#,
            &["bob", "eve"],
        );
        check(
            &conn,
            r#"{"location.city": {"$ne": "Rome"}}"#,
            &["jane", "bob", "alice", "eve"],
        );
        check(
            &conn,
            r#"{"location.city": {"$in": ["Paris", "Berlin"]}}"#,
            &["jane", "eve"],
        );
        check(&conn, r#"{"location": {"city": "Berlin"}}"#, &["eve"]);
        check(&conn, r#"{"location": null}"#, &["bob"]);
        // Nested datetimes are stored as text: equality works, also for other spellings.
        check(
            &conn,
            &format!(r#"{{"location.since": "{D2016}"}}"#),
            &["john"],
        );
        check(
            &conn,
            r#"{"location.since": "Tuesday, 19-Apr-16 08:19:00 GMT"}"#,
            &["john"],
        );
        check(
            &conn,
            &format!(r#"{{"location.since": {{"$ne": "{D2016}"}}}}"#),
            &["jane", "bob", "alice", "eve"],
        );
        // Schema-less dicts: any key, compared like with like.
        check(&conn, r#"{"meta.x": 1}"#, &["john"]);
        check(&conn, r#"{"meta.x": "1"}"#, &["jane"]);
        check(&conn, r#"{"meta.x": {"$gt": 0}}"#, &["john", "alice"]);
        check(&conn, r#"{"meta.x": {"$gte": "0"}}"#, &["jane"]);
        check(&conn, r#"{"meta.nested.deep": true}"#, &["alice"]);
        check(&conn, r#"{"meta.nested": {"deep": true}}"#, &["alice"]);
        check(
            &conn,
            r#"{"meta.tag": {"$exists": true}}"#,
            &["john", "eve"],
        );
        check(
            &conn,
            r#"{"meta.tag": null}"#,
            &["jane", "bob", "alice", "eve"],
        );
    }
    #[test]
    fn lists_match_any_element() {
        let conn = db();
        check(&conn, r#"{"role": "author"}"#, &["john"]);
        check(&conn, r#"{"role": "copy"}"#, &["john", "jane"]);
        check(
            &conn,
            r#"{"role": {"$in": ["author", "admin"]}}"#,
            &["john", "eve"],
        );
        check(
            &conn,
            r#"{"role": {"$ne": "copy"}}"#,
            &["bob", "alice", "eve"],
        );
        check(
            &conn,
            r#"{"role": {"$nin": ["copy", "admin"]}}"#,
            &["bob", "alice"],
        );
        check(&conn, r#"{"role": ["copy"]}"#, &["jane"]);
        check(&conn, r#"{"role": []}"#, &["alice"]);
        check(&conn, r#"{"role": null}"#, &["bob"]);
        check(&conn, r#"{"role": {"$in": [null]}}"#, &["bob", "eve"]);
        check(
            &conn,
            r#"{"role": {"$exists": true}}"#,
            &["john", "jane", "alice", "eve"],
        );
        check(&conn, r#"{"role": {"$gt": "b"}}"#, &["john", "jane"]);
        // Lists of dicts: a path through the list matches any element.
        check(&conn, r#"{"contacts.kind": "phone"}"#, &["john", "jane"]);
        check(&conn, r#"{"contacts.primary": true}"#, &["john", "jane"]);
        check(&conn, r#"{"contacts.primary": false}"#, &["john"]);
        check(
            &conn,
            r#"{"contacts.kind": {"$ne": "email"}}"#,
            &["jane", "bob", "alice"],
        );
        check(
            &conn,
            r#"{"contacts.primary": {"$exists": false}}"#,
            &["bob", "alice", "eve"],
        );
        check(&conn, r#"{"contacts.primary": null}"#, &["bob", "eve"]);
        check(
            &conn,
            r#"{"contacts": {"kind": "phone", "primary": true}}"#,
            &["jane"],
        );
        check(
            &conn,
            r#"{"contacts.kind": {"$regex": "^E", "$options": "i"}}"#,
            &["john", "eve"],
        );
    }
    #[test]
    fn regex() {
        let conn = db();
        check(&conn, r#"{"name": {"$regex": "^J"}}"#, &["john", "jane"]);
        check(&conn, r#"{"name": {"$regex": "^a"}}"#, &["alice"]);
        check(
            &conn,
            r#"{"name": {"$regex": "^A", "$options": "i"}}"#,
            &["alice"],
        );
        check(
            &conn,
            r#"{"location.city": {"$regex": "^rome$", "$options": "i"}}"#,
            &["john", "alice"],
        );
        check(&conn, r#"{"role": {"$regex": "^adm"}}"#, &["eve"]);
        // NULL text never matches, not even an empty pattern.
        check(
            &conn,
            r#"{"type": {"$regex": ""}}"#,
            &["john", "jane", "eve"],
        );
        let matched: bool = conn
            .query_row("SELECT 'abc' REGEXP 'b', NULL REGEXP 'b' IS 0", [], |row| {
                Ok(row.get::<_, bool>(0)? && row.get::<_, bool>(1)?)
            })
            .unwrap();
        assert!(matched);
        assert!(where_error(r#"{"name": {"$regex": "("}}"#).contains("invalid $regex"));
        assert!(where_error(r#"{"name": {"$regex": "\\w{1000}{1000}"}}"#).contains("too large"));
        let long = "a".repeat(MAX_REGEX_LEN + 1);
        assert!(where_error(&format!(r#"{{"name": {{"$regex": "{long}"}}}}"#)).contains("longer"));
        assert!(where_error(r#"{"name": {"$regex": "a", "$options": "g"}}"#).contains("$options"));
        assert!(where_error(r#"{"name": {"$options": "i"}}"#).contains("without $regex"));
        assert!(where_error(r#"{"age": {"$regex": "1"}}"#).contains("string field"));
        assert!(where_error(r#"{"name": {"$regex": 1}}"#).contains("expects a string"));
    }
    #[test]
    fn dates() {
        let conn = db();
        check(&conn, &format!(r#"{{"born": "{D1987}"}}"#), &["john"]);
        check(
            &conn,
            &format!(r#"{{"born": {{"$gte": "{D1987}"}}}}"#),
            &["john", "jane", "alice", "eve"],
        );
        check(
            &conn,
            &format!(r#"{{"born": {{"$gt": "{D1987}"}}}}"#),
            &["jane", "alice", "eve"],
        );
        check(
            &conn,
            &format!(r#"{{"born": {{"$lt": "{D2016}"}}}}"#),
            &["john", "jane", "alice"],
        );
        assert!(where_error(r#"{"born": {"$gt": "2016-04-19"}}"#).contains("RFC 1123"));
        assert!(where_error(r#"{"born": 541270800}"#).contains("date"));
        // Nested datetimes (text inside JSON) compare by instant too.
        check(
            &conn,
            &format!(r#"{{"location.since": {{"$gte": "{D2016}"}}}}"#),
            &["john"],
        );
        check(
            &conn,
            &format!(r#"{{"location.since": {{"$gt": "{D2016}"}}}}"#),
            &[],
        );
        check(
            &conn,
            r#"{"location.since": {"$gt": "Thu, 01 Jan 2015 00:00:00 GMT", "$lt": "Fri, 01 Jan 2016 00:00:00 GMT"}}"#,
            &[],
        );
        check(
            &conn,
            r#"{"location.since": {"$gt": "Thu, 01 Jan 2015 00:00:00 GMT", "$lt": "Sun, 01 Jan 2017 00:00:00 GMT"}}"#,
            &["john"],
        );
    }
    #[test]
    fn sorting() {
        let conn = db();
        assert_eq!(parse_sort("", &FIELDS), Ok(Vec::new()));
        assert_eq!(parse_sort("  ", &FIELDS), Ok(Vec::new()));
        assert_eq!(parse_sort("[]", &FIELDS), Ok(Vec::new()));
        let order = |sort: &str| select(&conn, "", sort);
        assert_eq!(order("age,-name"), ["bob", "jane", "john", "eve", "alice"]);
        assert_eq!(
            order(" age , - name "),
            ["bob", "jane", "john", "eve", "alice"]
        );
        assert_eq!(
            order(r#"[("age", 1), ("name", -1)]"#),
            ["bob", "jane", "john", "eve", "alice"]
        );
        assert_eq!(
            order(r#"[ ( "age" , 1 ) , ( "name" , -1 ) , ]"#),
            ["bob", "jane", "john", "eve", "alice"]
        );
        assert_eq!(
            order(r#"[["age", -1]]"#),
            ["alice", "eve", "john", "jane", "bob"]
        );
        assert_eq!(order("-_created"), ["eve", "alice", "bob", "jane", "john"]);
        assert_eq!(
            order("location.city"),
            ["bob", "eve", "jane", "john", "alice"]
        );
        assert_eq!(
            order(r#"[("location.zip", -1)]"#),
            ["john", "jane", "alice", "bob", "eve"]
        );
        assert_eq!(order("weird name"), ["alice", "bob", "eve", "jane", "john"]);
        let keys = parse_sort("city,-age", &FIELDS);
        assert!(keys.is_err());
        let keys = parse_sort("location.city,-age", &FIELDS).unwrap();
        let mut sql = String::new();
        compile_sort(&keys, &mut sql);
        assert_eq!(sql, r#"json_extract("location", '$.city') ASC, "age" DESC"#);
    }
    #[test]
    fn injection_is_rejected_or_bound() {
        let conn = db();
        for text in [
            r#"{"name\" = 'John' OR \"1": 1}"#,
            r#"{"name = 1 OR 1=1 --": 1}"#,
            r#"{"location.city') OR 1=1 --": "x"}"#,
            r#"{"meta.x\") OR 1=1 --": 1}"#,
        ] {
            assert!(parse_where(text, &FIELDS, &RFC1123).is_err(), "{text}");
        }
        // Values and schema-less keys are bound, never part of the SQL text.
        let payload = "x'; DROP TABLE people; --";
        check(&conn, &format!(r#"{{"value": "{payload}"}}"#), &["jane"]);
        check(&conn, r#"{"name": "John' OR '1'='1"}"#, &[]);
        check(&conn, r#"{"meta.x') OR 1=1 --": 1}"#, &[]);
        check(
            &conn,
            r#"{"name": {"$in": ["') OR 1=1 --", "John"]}}"#,
            &["john"],
        );
        let filter = parse_where(
            r#"{"meta.x') OR 1=1 --": "' OR 1=1 --"}"#,
            &FIELDS,
            &RFC1123,
        )
        .unwrap();
        let mut sql = String::new();
        let mut params = Vec::new();
        compile_where(&filter, &mut sql, &mut params);
        assert!(!sql.contains("OR 1=1"), "{sql}");
        assert_eq!(sql.matches('?').count(), params.len());
        check(&conn, "{}", ALL);
    }
    #[test]
    fn list_named_like_a_json_each_column() {
        static ODD: [Field; 2] = [
            Field {
                items: Some(&ROLE),
                ..Field::new("value", Kind::List)
            },
            Field {
                items: Some(&CONTACT_ITEM),
                ..Field::new("key", Kind::List)
            },
        ];
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            r#"CREATE TABLE odd (_id TEXT, value TEXT, key TEXT);
               INSERT INTO odd VALUES ('a', '["x","y"]', '[{"kind":"k"}]'), ('b', '["y"]', NULL);"#,
        )
        .unwrap();
        let run = |text: &str| {
            let filter = parse_where(text, &ODD, &RFC1123).unwrap();
            let mut sql = "SELECT _id FROM odd WHERE ".to_string();
            let mut params = Vec::new();
            compile_where(&filter, &mut sql, &mut params);
            sql.push_str(" ORDER BY _id");
            let mut statement = conn.prepare(&sql).unwrap();
            let rows = statement.query_map(params_from_iter(params), |row| row.get::<_, String>(0));
            rows.unwrap().collect::<Result<Vec<_>, _>>().unwrap()
        };
        assert_eq!(run(r#"{"value": "x"}"#), ["a"]);
        assert_eq!(run(r#"{"value": "y"}"#), ["a", "b"]);
        assert_eq!(run(r#"{"key.kind": "k"}"#), ["a"]);
        assert_eq!(run(r#"{"key.kind": null}"#), ["b"]);
    }
    #[test]
    fn compiled_sql_shape() {
        let filter = parse_where(
            r#"{"age": {"$ne": 5}, "location.city": "Rome"}"#,
            &FIELDS,
            &RFC1123,
        )
        .unwrap();
        let mut sql = String::new();
        let mut params = Vec::new();
        compile_where(&filter, &mut sql, &mut params);
        assert_eq!(
            sql,
            r#"("age" IS NOT ? AND json_extract("location", ?) = ?)"#
        );
        assert_eq!(
            params,
            [
                Value::Integer(5),
                Value::Text("$.city".into()),
                Value::Text("Rome".into())
            ]
        );
        let filter = parse_where(r#"{"role": "author"}"#, &FIELDS, &RFC1123).unwrap();
        let mut sql = String::new();
        compile_where(&filter, &mut sql, &mut Vec::new());
        assert_eq!(
            sql,
            r#"EXISTS (SELECT 1 FROM (SELECT "role" AS doc) AS _jd, json_each(_jd.doc) AS _je1 WHERE _je1.value = ?)"#
        );
    }

    #[test]
    fn fixed_filters_compile_to_bound_values_and_treat_missing_as_where_does() {
        let conn = db();
        let run = |text: &str, dates: &crate::date::DateFormat| {
            let filter = crate::query::parse_fixed_filter(text, &FIELDS, dates)
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            let mut sql = "SELECT _id FROM people WHERE ".to_string();
            let mut params = Vec::new();
            compile_where(&filter, &mut sql, &mut params);
            assert_eq!(sql.matches('?').count(), params.len(), "{sql}");
            assert!(!sql.contains("O'Hara"), "values are bound: {sql}");
            sql.push_str(" ORDER BY _id");
            let mut statement = conn.prepare(&sql).unwrap();
            let rows = statement.query_map(params_from_iter(params), |row| row.get::<_, String>(0));
            rows.unwrap().collect::<Result<Vec<_>, _>>().unwrap()
        };
        assert_eq!(
            run(r#"{"age": {"$ne": 30}}"#, &RFC1123),
            ["alice", "bob", "jane"]
        );
        assert_eq!(
            run(r#"{"age": {"$nin": [30, 40]}}"#, &RFC1123),
            ["bob", "jane"]
        );
        assert_eq!(
            run(r#"{"age": {"$in": [25, null]}}"#, &RFC1123),
            ["bob", "jane"]
        );
        assert_eq!(
            run(r#"{"name": "O'Hara; DROP TABLE people"}"#, &RFC1123),
            Vec::<String>::new()
        );
        assert_eq!(
            run(
                r#"{"$or": [{"age": null}, {"active": false}], "_id": {"$ne": "jane"}}"#,
                &RFC1123
            ),
            ["alice", "bob"]
        );
        let iso = crate::date::DateFormat::compile("%Y-%m-%dT%H:%M:%SZ").unwrap();
        assert_eq!(
            run(r#"{"born": {"$lt": "1990-01-01T00:00:01Z"}}"#, &iso),
            ["jane", "john"]
        );
        assert!(
            crate::query::parse_fixed_filter(&format!(r#"{{"born": "{D1987}"}}"#), &FIELDS, &iso)
                .is_err(),
            "RFC 1123 is not this API's date format"
        );
    }
}
