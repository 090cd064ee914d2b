//! A datasource's fixed filter (`datasource.filter`), checked against the resource's
//! fields and compiled to SQL once, at generation time.
//!
//! The filter is written in `where` syntax, as a client would. Its values come from the
//! spec, not from a request, so they are written into the SQL as properly quoted
//! literals and the generated statements stay `&'static str`. The supported subset is
//! the one a fixed filter needs: top-level fields and `_id`/`_created`/`_updated`, the
//! operators `$eq` (implicit), `$ne`, `$gt`, `$gte`, `$lt`, `$lte`, `$in`, `$nin`,
//! `$exists`, and `$and`/`$or`. The SQL means what the runtime's `where` compiler makes
//! of the same filter (missing and null values never compare, `$ne`/`$nin` match them).

use serde_json::Value as Json;

use crate::model::{Field, Kind};
use crate::sql::quote;
use apigen_runtime::date::{DateFormat, RFC1123};

/// What is wrong with a filter: a message and a hint.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterError {
    pub message: String,
    pub help: String,
}

fn fail<T>(message: impl Into<String>, help: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError {
        message: message.into(),
        help: help.into(),
    })
}

const META: [(&str, Kind); 3] = [
    ("_id", Kind::ObjectId),
    ("_created", Kind::Datetime),
    ("_updated", Kind::Datetime),
];

/// Compile a filter (a JSON object) to one SQL boolean expression. Dates are read in
/// the API's `date_format` (`None`: RFC 1123), as a client's `where` would be.
pub fn compile(
    filter: &Json,
    fields: &[Field],
    dates: Option<&DateFormat>,
) -> Result<String, FilterError> {
    let Json::Object(map) = filter else {
        return fail(
            "a datasource filter must be a table",
            "write it like a `where`: `filter = { discontinued = true }`",
        );
    };
    if map.is_empty() {
        return fail(
            "this datasource filter is empty",
            "remove `filter`, or name at least one field",
        );
    }
    object(map, fields, dates, 0)
}

fn object(
    map: &serde_json::Map<String, Json>,
    fields: &[Field],
    dates: Option<&DateFormat>,
    depth: usize,
) -> Result<String, FilterError> {
    if depth > 8 {
        return fail(
            "the datasource filter nests too deeply",
            "use at most 8 levels of `$and`/`$or`",
        );
    }
    let mut parts = Vec::new();
    for (key, value) in map {
        match key.as_str() {
            "$and" | "$or" => {
                let Json::Array(items) = value else {
                    return fail(
                        format!("`{key}` needs a list of tables"),
                        format!("write `\"{key}\" = [{{ a = 1 }}, {{ b = 2 }}]`"),
                    );
                };
                if items.is_empty() {
                    return fail(format!("`{key}` is empty"), "list at least one condition");
                }
                let mut subs = Vec::new();
                for item in items {
                    match item {
                        Json::Object(sub) => subs.push(object(sub, fields, dates, depth + 1)?),
                        _ => {
                            return fail(
                                format!("`{key}` needs a list of tables"),
                                format!("write `\"{key}\" = [{{ a = 1 }}, {{ b = 2 }}]`"),
                            );
                        }
                    }
                }
                let joiner = if key == "$and" { " AND " } else { " OR " };
                parts.push(format!("({})", subs.join(joiner)));
            }
            other if other.starts_with('$') => {
                return fail(
                    format!("unknown operator `{other}` in the datasource filter"),
                    "at the top of a filter only `$and` and `$or` combine conditions",
                );
            }
            name => parts.push(field(name, value, fields, dates)?),
        }
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        format!("({})", parts.join(" AND "))
    })
}

fn field(
    name: &str,
    value: &Json,
    fields: &[Field],
    dates: Option<&DateFormat>,
) -> Result<String, FilterError> {
    let kind = match fields.iter().find(|f| f.name == name) {
        Some(f) => f.kind,
        None => match META.iter().find(|(n, _)| *n == name) {
            Some((_, kind)) => *kind,
            None if name.contains('.') => {
                return fail(
                    format!("the datasource filter names the nested field `{name}`"),
                    "a datasource filter names top-level fields only",
                );
            }
            None => {
                let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                let help = match crate::diagnostic::closest(name, names.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("the fields are {}", list(&names)),
                };
                return fail(
                    format!("the datasource filter names unknown field `{name}`"),
                    help,
                );
            }
        },
    };
    if matches!(kind, Kind::Dict | Kind::List) {
        return fail(
            format!(
                "the datasource filter compares the {} field `{name}`",
                kind.name()
            ),
            "a datasource filter compares scalar fields only",
        );
    }
    let column = quote(name);
    let ops = match value {
        Json::Object(ops) if ops.keys().all(|k| k.starts_with('$')) && !ops.is_empty() => ops,
        Json::Object(_) => {
            return fail(
                format!("`{name}` in the datasource filter is not a comparison"),
                "write a value (`name = \"x\"`) or operators (`price = { \"$gt\" = 10 }`)",
            );
        }
        _ => return equal(&column, name, kind, value, dates, false),
    };
    let mut parts = Vec::new();
    for (op, operand) in ops {
        let part = match op.as_str() {
            "$eq" => equal(&column, name, kind, operand, dates, false)?,
            "$ne" => equal(&column, name, kind, operand, dates, true)?,
            "$gt" | "$gte" | "$lt" | "$lte" => {
                let sql_op = match op.as_str() {
                    "$gt" => ">",
                    "$gte" => ">=",
                    "$lt" => "<",
                    _ => "<=",
                };
                if operand.is_null() {
                    return fail(
                        format!("`{op}` on `{name}` needs a value, not null"),
                        "compare with a value of the field's type",
                    );
                }
                format!(
                    "({column} {sql_op} {})",
                    literal(name, kind, operand, dates)?
                )
            }
            "$in" | "$nin" => {
                let Json::Array(items) = operand else {
                    return fail(
                        format!("`{op}` on `{name}` needs a list"),
                        format!("write `{name} = {{ \"{op}\" = [\"a\", \"b\"] }}`"),
                    );
                };
                let has_null = items.iter().any(Json::is_null);
                let mut values = Vec::new();
                for item in items.iter().filter(|i| !i.is_null()) {
                    values.push(literal(name, kind, item, dates)?);
                }
                let list = format!("({})", values.join(", "));
                match (op == "$in", values.is_empty(), has_null) {
                    (true, true, false) => "0".to_string(),
                    (false, true, false) => "1".to_string(),
                    (true, true, true) => format!("{column} IS NULL"),
                    (false, true, true) => format!("{column} IS NOT NULL"),
                    (true, false, false) => format!("{column} IN {list}"),
                    (true, false, true) => format!("({column} IS NULL OR {column} IN {list})"),
                    (false, false, false) => {
                        format!("({column} IS NULL OR {column} NOT IN {list})")
                    }
                    (false, false, true) => {
                        format!("({column} IS NOT NULL AND {column} NOT IN {list})")
                    }
                }
            }
            "$exists" => match operand {
                Json::Bool(true) => format!("{column} IS NOT NULL"),
                Json::Bool(false) => format!("{column} IS NULL"),
                _ => {
                    return fail(
                        format!("`$exists` on `{name}` needs true or false"),
                        format!("write `{name} = {{ \"$exists\" = true }}`"),
                    );
                }
            },
            other => {
                return fail(
                    format!(
                        "operator `{other}` on `{name}` is not supported in a datasource filter"
                    ),
                    "use $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin or $exists",
                );
            }
        };
        parts.push(part);
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        format!("({})", parts.join(" AND "))
    })
}

fn equal(
    column: &str,
    name: &str,
    kind: Kind,
    value: &Json,
    dates: Option<&DateFormat>,
    negate: bool,
) -> Result<String, FilterError> {
    Ok(match (value, negate) {
        (Json::Null, false) => format!("{column} IS NULL"),
        (Json::Null, true) => format!("{column} IS NOT NULL"),
        (_, false) => format!("{column} = {}", literal(name, kind, value, dates)?),
        (_, true) => format!("{column} IS NOT {}", literal(name, kind, value, dates)?),
    })
}

/// A value as an SQL literal in the field's storage type.
fn literal(
    name: &str,
    kind: Kind,
    value: &Json,
    dates: Option<&DateFormat>,
) -> Result<String, FilterError> {
    let text = match (kind, value) {
        (Kind::String | Kind::ObjectId, Json::String(s)) => {
            Some(format!("'{}'", s.replace('\'', "''")))
        }
        (Kind::Integer, Json::Number(n)) => n.as_i64().map(|i| i.to_string()),
        (Kind::Float | Kind::Number, Json::Number(n)) => {
            n.as_i64().map(|i| i.to_string()).or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| format!("{f:?}"))
            })
        }
        (Kind::Boolean, Json::Bool(b)) => Some(if *b { "1" } else { "0" }.to_string()),
        (Kind::Datetime, Json::String(s)) => {
            dates.unwrap_or(&RFC1123).parse(s).map(|t| t.to_string())
        }
        _ => None,
    };
    text.map_or_else(
        || {
            fail(
                format!(
                    "the datasource filter compares `{name}` with a value that is not {} {}",
                    if kind.name().starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    },
                    kind.name()
                ),
                match kind {
                    Kind::Datetime => match dates {
                        None => "write dates as RFC 1123, like \"Tue, 19 Apr 2016 08:19:00 GMT\""
                            .to_string(),
                        Some(format) => {
                            format!(
                                "write dates in the API's `date_format` \"{}\"",
                                format.pattern()
                            )
                        }
                    },
                    _ => format!(
                        "compare `{name}` with {} {} value",
                        if kind.name().starts_with(['a', 'e', 'i', 'o', 'u']) {
                            "an"
                        } else {
                            "a"
                        },
                        kind.name()
                    ),
                },
            )
        },
        Ok,
    )
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<Field> {
        let spec = crate::spec::parse(
            "t.toml",
            "[api]\nname = \"t\"\nversion = \"1.0.0\"\n[resources.r.schema]\n\
             name = { type = \"string\" }\nqty = { type = \"integer\" }\n\
             born = { type = \"datetime\" }\n",
        )
        .expect("parses");
        crate::model::resolve("t.toml", "", &spec)
            .expect("resolves")
            .resources
            .remove(0)
            .fields
    }

    #[test]
    fn dates_are_read_in_the_apis_date_format() {
        let fields = fields();
        let format = DateFormat::compile("%Y-%m-%dT%H:%M:%SZ").expect("a supported pattern");
        let sql = |filter: serde_json::Value| compile(&filter, &fields, Some(&format));
        assert_eq!(
            sql(serde_json::json!({"born": {"$lt": "1970-01-01T00:01:00Z"}})),
            Ok("(\"born\" < 60)".to_string())
        );
        let error = sql(serde_json::json!({"born": "Thu, 01 Jan 1970 00:01:00 GMT"}))
            .expect_err("RFC 1123 is not this API's format");
        assert!(error.help.contains("%Y-%m-%dT%H:%M:%SZ"), "{}", error.help);
    }

    #[test]
    fn values_become_quoted_literals() {
        let fields = fields();
        let sql = |filter: serde_json::Value| compile(&filter, &fields, None);
        assert_eq!(
            sql(serde_json::json!({"name": "O'Hara; DROP TABLE r"})),
            Ok("\"name\" = 'O''Hara; DROP TABLE r'".to_string())
        );
        assert_eq!(
            sql(serde_json::json!({"qty": {"$nin": [1, 2]}})),
            Ok("(\"qty\" IS NULL OR \"qty\" NOT IN (1, 2))".to_string())
        );
        assert_eq!(
            sql(
                serde_json::json!({"$or": [{"qty": null}, {"born": {"$gte": "Thu, 01 Jan 1970 00:01:00 GMT"}}]})
            ),
            Ok("(\"qty\" IS NULL OR (\"born\" >= 60))".to_string())
        );
        assert!(sql(serde_json::json!({"qty": 1.5})).is_err());
        assert!(sql(serde_json::json!({"qty": {"$where": "1"}})).is_err());
        assert!(sql(serde_json::json!({})).is_err());
    }

    #[test]
    fn dates_are_epoch_seconds() {
        assert_eq!(RFC1123.parse("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            RFC1123.parse("Tue, 19 Apr 2016 08:19:00 GMT"),
            Some(1_461_053_940)
        );
        assert_eq!(RFC1123.parse("19 Apr 2016"), None);
    }
}
