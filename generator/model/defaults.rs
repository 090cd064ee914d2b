//! The literals of a field's `allowed` and its `default`, checked against its kind as
//! the generated server would check a value: GeoJSON geometries, dates in the API's
//! `date_format`.

use toml::Spanned;

use super::resolve::article;
use super::{Field, Kind, Literal, Resolver};
use crate::diagnostic::Diagnostic;

/// A sample value of a kind, for hints: how to write one in TOML.
fn example_value(kind: Kind) -> &'static str {
    match kind {
        Kind::String => "\"text\"",
        Kind::Integer => "0",
        Kind::Float | Kind::Number => "0.5",
        Kind::Boolean => "false",
        Kind::Datetime => "\"Tue, 19 Apr 2016 08:19:00 GMT\"",
        Kind::ObjectId => "\"5f8d0d55b54764421b7156c9\"",
        Kind::Dict => "{ key = \"value\" }",
        Kind::List => "[\"a\", \"b\"]",
        Kind::Point => "{ type = \"Point\", coordinates = [12.5, 41.9] }",
        _ => "{ type = \"...\", coordinates = [...] }",
    }
}

impl Resolver<'_> {
    /// A spec literal checked against the kind it must be.
    pub(super) fn literal(
        &self,
        value: &toml::Value,
        kind: Kind,
        span: &Spanned<Vec<toml::Value>>,
        key: &str,
    ) -> Result<Literal, Diagnostic> {
        let literal = match (kind, value) {
            (Kind::String | Kind::ObjectId | Kind::Datetime, toml::Value::String(s)) => {
                Some(Literal::Str(s.clone()))
            }
            (Kind::Integer, toml::Value::Integer(i)) => Some(Literal::Int(*i)),
            (Kind::Float | Kind::Number, toml::Value::Integer(i)) => Some(Literal::Int(*i)),
            (Kind::Float | Kind::Number, toml::Value::Float(f)) if f.is_finite() => {
                Some(Literal::Float(*f))
            }
            (Kind::Boolean, toml::Value::Boolean(b)) => Some(Literal::Bool(*b)),
            _ => None,
        };
        literal.ok_or_else(|| {
            self.error(
                span,
                format!(
                    "`{key}` holds {} {} where {} {} is expected",
                    article(value.type_str()),
                    value.type_str(),
                    article(kind.name()),
                    kind.name()
                ),
            )
            .with_help(format!(
                "every value in `{key}` must be {} {}, like `{}`",
                article(kind.name()),
                kind.name(),
                example_value(kind)
            ))
        })
    }

    /// A `default` turned into the JSON the server stores, checked against the field.
    pub(super) fn default_value(
        &self,
        default: &Spanned<toml::Value>,
        field: &Field,
    ) -> Result<serde_json::Value, Diagnostic> {
        let json = toml_to_json(default.get_ref());
        let fits = match (field.kind, &json) {
            (_, serde_json::Value::Null) => field.nullable,
            (Kind::String, serde_json::Value::String(_)) => true,
            (Kind::ObjectId, serde_json::Value::String(s)) => {
                s.len() == 24 && s.chars().all(|c| c.is_ascii_hexdigit())
            }
            (Kind::Datetime, serde_json::Value::String(s)) => self
                .date_format()?
                .as_ref()
                .unwrap_or(&apigen_runtime::date::RFC1123)
                .parse(s)
                .is_some(),
            (Kind::Integer, serde_json::Value::Number(n)) => n.is_i64(),
            (Kind::Float | Kind::Number, serde_json::Value::Number(_)) => true,
            (Kind::Boolean, serde_json::Value::Bool(_)) => true,
            (Kind::Dict, serde_json::Value::Object(_)) => true,
            (Kind::List, serde_json::Value::Array(_)) => true,
            (kind, value @ serde_json::Value::Object(_)) if kind.is_geo() => {
                // The server's own check of a geometry of this kind.
                apigen_runtime::geo::shape(kind).is_some_and(|fits| fits(value))
            }
            _ => false,
        };
        if !fits {
            return Err(self
                .error(
                    default,
                    format!("this default is not a valid `{}` value", field.kind.name()),
                )
                .with_help(match field.kind {
                    Kind::Datetime => match self.date_format()? {
                        None => "write dates as RFC 1123, like \"Tue, 19 Apr 2016 08:19:00 GMT\""
                            .to_string(),
                        Some(format) => format!(
                            "write dates in the API's `date_format` \"{}\"",
                            format.pattern()
                        ),
                    },
                    Kind::ObjectId => "an objectid is 24 hexadecimal digits".to_string(),
                    kind => format!(
                        "write {} {} value, like `default = {}`",
                        article(kind.name()),
                        kind.name(),
                        example_value(kind)
                    ),
                }));
        }
        if !field.allowed.is_empty() && field.kind != Kind::List {
            let allowed = field.allowed.iter().any(|l| literal_matches(l, &json));
            if !allowed {
                return Err(self
                    .error(default, "this default is not one of the `allowed` values")
                    .with_help(format!(
                        "make the default one of {}",
                        field
                            .allowed
                            .iter()
                            .map(|l| match l {
                                Literal::Str(s) => format!("{s:?}"),
                                Literal::Int(i) => i.to_string(),
                                Literal::Float(f) => f.to_string(),
                                Literal::Bool(b) => b.to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
            }
        }
        self.default_meets_rules(default, field, &json)?;
        Ok(json)
    }

    /// A default that breaks its own field's `min`, `max`, `minlength`, `maxlength` or
    /// `regex` would make every POST that leaves the field out a 422: refused here,
    /// measured by the server's own check (`validate::Limits`).
    fn default_meets_rules(
        &self,
        default: &Spanned<toml::Value>,
        field: &Field,
        json: &serde_json::Value,
    ) -> Result<(), Diagnostic> {
        use apigen_runtime::validate::{Broken, Limits};
        let regex = field
            .regex
            .as_ref()
            .and_then(|pattern| regex::Regex::new(&format!("^(?:{pattern})$")).ok());
        let limits = Limits {
            kind: field.kind,
            minlength: field.minlength.and_then(|n| usize::try_from(n).ok()),
            maxlength: field.maxlength.and_then(|n| usize::try_from(n).ok()),
            min: field.min,
            max: field.max,
            regex: regex.as_ref(),
        };
        let (rule, limit) = match limits.broken_by(json) {
            None => return Ok(()),
            Some(Broken::Min(min)) => ("min", min.to_string()),
            Some(Broken::Max(max)) => ("max", max.to_string()),
            Some(Broken::MinLength(min)) => ("minlength", min.to_string()),
            Some(Broken::MaxLength(max)) => ("maxlength", max.to_string()),
            Some(Broken::Regex) => (
                "regex",
                format!("'{}'", field.regex.as_deref().unwrap_or_default()),
            ),
        };
        Err(self
            .error(
                default,
                format!("this default breaks the field's `{rule}` ({limit})"),
            )
            .with_help(format!(
                "change the default, or the `{rule}` rule, so that the default meets it"
            )))
    }
}

/// Whether a JSON value is the `allowed` literal.
fn literal_matches(literal: &Literal, value: &serde_json::Value) -> bool {
    match (literal, value) {
        (Literal::Str(s), serde_json::Value::String(v)) => s == v,
        (Literal::Int(i), serde_json::Value::Number(n)) => n.as_f64() == Some(*i as f64),
        (Literal::Float(f), serde_json::Value::Number(n)) => n.as_f64() == Some(*f),
        (Literal::Bool(b), serde_json::Value::Bool(v)) => b == v,
        _ => false,
    }
}

/// A TOML value as JSON (dates become their TOML text).
pub fn toml_to_json(value: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => J::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => J::Object(
            table
                .iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::tests::model;

    #[test]
    fn geojson_defaults_are_checked_like_the_server_checks_them() {
        let spec = |default: &str| {
            format!(
                "[api]\nname = \"shop\"\nversion = \"1.0.0\"\n[resources.stores.schema]\nat = {{ type = \"point\", default = {default} }}\n"
            )
        };
        let ok = model(&spec("{ type = \"Point\", coordinates = [12.5, 41.9] }")).expect("valid");
        assert!(ok.uses_geo());
        for bad in [
            "{ type = \"Point\", coordinates = [12.5] }",
            "{ type = \"Point\", coordinates = [\"a\", 1] }",
            "{ type = \"Point\", coordinates = [1, 2], crs = 1 }",
            "{ type = \"LineString\", coordinates = [[1, 2]] }",
        ] {
            assert!(model(&spec(bad)).is_err(), "{bad}");
        }
    }
}
