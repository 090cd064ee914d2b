//! Eve's query options that need checking against the schema: `allowed_filters`, and
//! the `datasource` a resource reads through (source table, filter, projection, sort).
//! The plain switches (`sorting`, `pagination`, `projection`, `validate_filtering`)
//! and the page sizes are read with the rest of the resource, in `resolve`.

use toml::Spanned;

use super::{Field, IdType, Kind, Resolver, toml_to_json};
use crate::diagnostic::{Diagnostic, closest};
use crate::spec::ResourceSpec;
use apigen_runtime::catalog::{Field as CatalogField, Kind as CatalogKind};
use apigen_runtime::query::{FIXED_FILTER_OPERATORS, Problem, parse_fixed_filter};

/// `datasource`: the table a resource reads, its fixed filter, default projection and
/// default sort. `Datasource::default()` is a resource over its own table, unfiltered.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Datasource {
    /// The resource whose table (and schema) this one serves, when not its own.
    pub source: Option<String>,
    /// The fixed filter as `where` JSON, checked by the runtime's own parser; the
    /// server compiles it when it starts.
    pub filter: Option<String>,
    /// The default projection as JSON text (`{"name":1}`).
    pub projection: Option<String>,
    /// The default sort in `sort` syntax (`name,-price`).
    pub default_sort: Option<String>,
    /// `aggregation`, checked by the runtime's own reader
    /// (`aggregation::Pipeline::parse`): GET runs it instead of listing documents.
    pub aggregation: Option<super::Aggregation>,
}

/// Eve's query options and datasources: `allowed_filters`, `datasource`.
impl<'a> Resolver<'a> {
    /// The resource named by `datasource.source`, when it is another resource.
    pub(super) fn datasource_source(
        &self,
        name: &Spanned<String>,
        spec: &ResourceSpec,
    ) -> Result<Option<(&'a String, &'a ResourceSpec)>, Diagnostic> {
        let Some(source) = spec
            .datasource
            .as_ref()
            .and_then(|d| d.get_ref().source.as_ref())
        else {
            return Ok(None);
        };
        if source.get_ref() == name.get_ref() {
            return Ok(None);
        }
        let Some((key, target)) = self
            .spec
            .resources
            .iter()
            .find(|(k, _)| k.get_ref() == source.get_ref())
        else {
            let names = self.spec.resources.keys().map(|k| k.get_ref().as_str());
            let help = match closest(source.get_ref(), names) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "`source` names another resource of this spec, whose table this one serves"
                    .to_string(),
            };
            return Err(self
                .error(
                    source,
                    format!("datasource source `{}` is not a resource", source.get_ref()),
                )
                .with_help(help));
        };
        let target = target.get_ref();
        let chained = target
            .datasource
            .as_ref()
            .and_then(|d| d.get_ref().source.as_ref())
            .is_some_and(|s| s.get_ref() != key.get_ref());
        if chained {
            return Err(self
                .error(
                    source,
                    format!(
                        "resource `{}` itself serves another resource's table",
                        source.get_ref()
                    ),
                )
                .with_help("point `source` at the resource that owns the table"));
        }
        if let Some((field, _)) = spec.schema.first() {
            return Err(self
                .error(
                    field,
                    format!(
                        "resource `{}` serves the table of `{}` and cannot declare its own schema",
                        name.get_ref(),
                        source.get_ref()
                    ),
                )
                .with_help(format!(
                    "remove `[resources.{}.schema]`: the fields are those of `{}`",
                    name.get_ref(),
                    source.get_ref()
                )));
        }
        Ok(Some((key.get_ref(), target)))
    }

    /// `allowed_filters`, the resource's or else the API's; `["*"]` allows all.
    pub(super) fn allowed_filters(
        &self,
        spec: &ResourceSpec,
        fields: &[Field],
    ) -> Result<Option<Vec<String>>, Diagnostic> {
        // The API's list is Eve's global switch and may name fields of any resource;
        // a resource's own list must name its fields.
        let (list, own) = match (
            &spec.allowed_filters,
            &self.spec.api.get_ref().allowed_filters,
        ) {
            (Some(list), _) => (list, true),
            (None, Some(list)) => (list, false),
            (None, None) => return Ok(None),
        };
        let mut names = Vec::new();
        for entry in list.get_ref() {
            let name = entry.get_ref();
            if name == "*" {
                return Ok(None);
            }
            // Field names are identifiers, and so is every key a list may name: any
            // other character (`&`, `<`, `'`...) names no field, and the generated
            // crate could not hold it as written.
            let identifiers = name.split('.').all(|segment| {
                !segment.is_empty()
                    && segment
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            if !identifiers {
                return Err(self
                    .error(entry, format!("`allowed_filters` names `{name}`, which is not a field path"))
                    .with_help(
                        "list field names (letters, digits and `_`), dotted for nested fields, or \"*\" for all",
                    ));
            }
            if !own {
                names.push(name.clone());
                continue;
            }
            if !field_path_exists(fields, name) {
                let mut candidates: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
                candidates.extend(["_id", "_created", "_updated"].map(String::from));
                let help = match closest(name, candidates.iter().map(String::as_str)) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => {
                        "list field names (dotted for nested fields), or \"*\" for all".to_string()
                    }
                };
                return Err(self
                    .error(
                        entry,
                        format!("`allowed_filters` names unknown field `{name}`"),
                    )
                    .with_help(help));
            }
            names.push(name.clone());
        }
        Ok(Some(names))
    }

    pub(super) fn datasource(
        &self,
        spec: &ResourceSpec,
        source: Option<String>,
        fields: &[Field],
        id_type: IdType,
    ) -> Result<Datasource, Diagnostic> {
        let Some(datasource) = &spec.datasource else {
            return Ok(Datasource::default());
        };
        let datasource = datasource.get_ref();
        let filter = match &datasource.filter {
            None => None,
            Some(filter) => {
                let json: serde_json::Value = match filter.get_ref() {
                    toml::Value::String(text) => serde_json::from_str(text).map_err(|e| {
                        self.error(
                            filter,
                            format!("the datasource filter is not valid JSON: {e}"),
                        )
                        .with_help(
                            "write the filter as a TOML table, or as a JSON `where` in a string",
                        )
                    })?,
                    other => toml_to_json(other),
                };
                let text = json.to_string();
                // The server reads it with the same function when it starts; reading it
                // is the whole check (the dialect compiles any filter it accepts).
                let dates = self.date_format()?;
                let dates = dates.as_ref().unwrap_or(&apigen_runtime::date::RFC1123);
                if let Err(error) =
                    parse_fixed_filter(&text, filter_catalog(fields, id_type), dates)
                {
                    let help = filter_help(&error.problem, fields, dates);
                    return Err(self.error(filter, error.message).with_help(help));
                }
                Some(text)
            }
        };
        let projection = match &datasource.projection {
            None => None,
            Some(projection) => {
                let map = projection.get_ref();
                let mut mode = None;
                let mut json = serde_json::Map::new();
                for (name, value) in map {
                    if !(0..=1).contains(value) {
                        return Err(self
                            .error(projection, format!("projection of `{name}` is {value}"))
                            .with_help("write 1 to include a field or 0 to exclude it"));
                    }
                    if !fields.iter().any(|f| &f.name == name)
                        && !["_id", "_created", "_updated", "_etag"].contains(&name.as_str())
                    {
                        let help = match closest(name, fields.iter().map(|f| f.name.as_str())) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => "a projection names top-level fields".to_string(),
                        };
                        return Err(self
                            .error(
                                projection,
                                format!("the projection names unknown field `{name}`"),
                            )
                            .with_help(help));
                    }
                    if name.starts_with('_') {
                        continue;
                    }
                    if mode.is_some_and(|m| m != *value) {
                        return Err(self
                            .error(
                                projection,
                                "the projection mixes included (1) and excluded (0) fields",
                            )
                            .with_help(
                                "list only the fields to include, or only the ones to exclude",
                            ));
                    }
                    mode = Some(*value);
                    json.insert(name.clone(), serde_json::Value::from(*value));
                }
                if json.is_empty() {
                    None
                } else {
                    Some(serde_json::Value::Object(json).to_string())
                }
            }
        };
        let default_sort = match &datasource.default_sort {
            None => None,
            Some(sort) => {
                let mut keys = Vec::new();
                for (name, direction) in sort.get_ref() {
                    let known = ["_id", "_created", "_updated"].contains(&name.as_str())
                        || sortable_path(fields, name);
                    if !known {
                        return Err(self
                            .error(sort, format!("`default_sort` names `{name}`, which cannot be sorted on"))
                            .with_help("sort on a scalar field, top-level or inside dicts (dotted), not through a list"));
                    }
                    match direction {
                        1 => keys.push(name.clone()),
                        -1 => keys.push(format!("-{name}")),
                        _ => {
                            return Err(self
                                .error(sort, format!("`default_sort` direction {direction} of `{name}` is not 1 or -1"))
                                .with_help("write 1 (ascending) or -1 (descending)"));
                        }
                    }
                }
                (!keys.is_empty()).then(|| keys.join(","))
            }
        };
        let aggregation = match &datasource.aggregation {
            None => None,
            Some(aggregation) => Some(self.aggregation(spec, aggregation, fields, id_type)?),
        };
        Ok(Datasource {
            source,
            filter,
            projection,
            default_sort,
            aggregation,
        })
    }
}

/// The runtime's catalog of a resource's top-level fields, which is all a fixed filter
/// may name: what the server reads the filter against (`_id` first when it is an
/// integer, as the server's `QUERY_FIELDS`). The runtime's catalog is made of
/// `'static` data, as generated crates declare it; the generator builds it for the
/// few resources with a filter and leaks it (a few bytes per field, once per check).
pub(super) fn filter_catalog(fields: &[Field], id_type: IdType) -> &'static [CatalogField] {
    let mut catalog = Vec::with_capacity(fields.len() + 1);
    if id_type == IdType::Integer {
        catalog.push(CatalogField::new("_id", CatalogKind::Integer));
    }
    for field in fields {
        let name: &'static str = Box::leak(field.name.clone().into_boxed_str());
        catalog.push(CatalogField::new(name, catalog_kind(field.kind)));
    }
    Box::leak(catalog.into_boxed_slice())
}

/// The runtime's kind of a field.
pub(super) fn catalog_kind(kind: Kind) -> CatalogKind {
    match kind {
        Kind::String => CatalogKind::String,
        Kind::Integer => CatalogKind::Integer,
        Kind::Float => CatalogKind::Float,
        Kind::Number => CatalogKind::Number,
        Kind::Boolean => CatalogKind::Boolean,
        Kind::Datetime => CatalogKind::Datetime,
        Kind::ObjectId => CatalogKind::ObjectId,
        Kind::Dict => CatalogKind::Dict,
        Kind::List => CatalogKind::List,
        Kind::Point => CatalogKind::Point,
        Kind::LineString => CatalogKind::LineString,
        Kind::Polygon => CatalogKind::Polygon,
        Kind::MultiPoint => CatalogKind::MultiPoint,
        Kind::MultiLineString => CatalogKind::MultiLineString,
        Kind::MultiPolygon => CatalogKind::MultiPolygon,
        Kind::GeometryCollection => CatalogKind::GeometryCollection,
        Kind::Media => CatalogKind::Media,
    }
}

/// What to do about a datasource filter the runtime refuses, in the spec's terms.
fn filter_help(
    problem: &Problem,
    fields: &[Field],
    dates: &apigen_runtime::date::DateFormat,
) -> String {
    match problem {
        Problem::Json => {
            "write the filter as a TOML table, or as a JSON `where` in a string".to_string()
        }
        Problem::Shape => {
            "write it like a `where`, naming at least one field: `filter = { discontinued = true }`"
                .to_string()
        }
        Problem::Combinator(key) => format!("write `\"{key}\" = [{{ a = 1 }}, {{ b = 2 }}]`"),
        Problem::UnknownField(name) => {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            match closest(name, names.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!(
                    "the fields are {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        Problem::NestedField(_) => "a datasource filter names top-level fields only".to_string(),
        Problem::NotScalar(..) => "a datasource filter compares scalar fields only".to_string(),
        Problem::NotComparison(_) => {
            "write a value (`name = \"x\"`) or operators (`price = { \"$gt\" = 10 }`)".to_string()
        }
        Problem::Operator(None, _) => {
            "at the top of a filter only `$and` and `$or` combine conditions".to_string()
        }
        Problem::Operator(Some(_), _) => {
            let ops: Vec<String> = FIXED_FILTER_OPERATORS
                .iter()
                .map(|op| format!("`{op}`"))
                .collect();
            match ops.split_last() {
                Some((last, rest)) => format!("use {} or {last}", rest.join(", ")),
                None => "remove the operator".to_string(),
            }
        }
        Problem::Where => format!(
            "compare each field with a value of its type; dates are written in the API's `date_format` (like `{}`)",
            dates.format(1_461_053_940)
        ),
    }
}

/// Whether a dotted path names a field (through dicts and lists of dicts), or a meta field.
fn field_path_exists(fields: &[Field], path: &str) -> bool {
    let mut segments = path.split('.');
    let first = segments.next().unwrap_or_default();
    if ["_id", "_created", "_updated"].contains(&first) {
        return segments.next().is_none();
    }
    let Some(mut field) = fields.iter().find(|f| f.name == first) else {
        return false;
    };
    for segment in segments {
        let container = match (&field.kind, &field.items) {
            (Kind::Dict, _) => field,
            (Kind::List, Some(items)) if items.kind == Kind::Dict => items,
            _ => return false,
        };
        if container.schema.is_empty() {
            return true;
        }
        match container.schema.iter().find(|f| f.name == segment) {
            Some(next) => field = next,
            None => return false,
        }
    }
    true
}

/// Whether a dotted path names a scalar field reachable without going through a list.
fn sortable_path(fields: &[Field], path: &str) -> bool {
    let mut current = fields;
    let mut found = None;
    for segment in path.split('.') {
        let Some(field) = current.iter().find(|f| f.name == segment) else {
            return false;
        };
        if found.is_some_and(|f: &Field| f.kind != Kind::Dict) {
            return false;
        }
        current = &field.schema;
        found = Some(field);
    }
    // Dicts and lists have no order; nested datetimes are text (the server refuses them).
    found.is_some_and(|f| match f.kind {
        Kind::Dict | Kind::List => false,
        Kind::Datetime => !path.contains('.'),
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::model;

    /// Found by `tests/fuzz_spec.rs`: an `&` in the API's list (checked against no
    /// resource) or under a schema-less dict loaded, then the crate failed to render.
    #[test]
    fn allowed_filters_name_field_paths_only() {
        for (api, resource) in [
            ("allowed_filters = [\"&\"]\n", ""),
            ("allowed_filters = [\"meta.a&b\"]\n", ""),
            ("", "allowed_filters = [\"meta.a&b\"]\n"),
            ("", "allowed_filters = [\"meta.it's\"]\n"),
            ("allowed_filters = [\"a..b\"]\n", ""),
        ] {
            let error = model(&format!(
                "[api]\nname = \"x\"\nversion = \"1.0.0\"\n{api}[resources.a]\n{resource}\
                 [resources.a.schema]\nmeta = {{ type = \"dict\" }}\n"
            ))
            .expect_err("not a field path");
            assert!(error.message.contains("not a field path"), "{error}");
            assert!(error.location.is_some(), "{error}");
        }
        let m = model(
            "[api]\nname = \"x\"\nversion = \"1.0.0\"\nallowed_filters = [\"other_1\"]\n\
             [resources.a]\nallowed_filters = [\"meta.any_key\", \"_id\"]\n\
             [resources.a.schema]\nmeta = { type = \"dict\" }\n\
             [resources.b.schema]\nx = { type = \"string\" }\n",
        )
        .expect("field paths");
        assert_eq!(
            m.resources[0].allowed_filters,
            Some(vec!["meta.any_key".into(), "_id".into()])
        );
        assert_eq!(m.resources[1].allowed_filters, Some(vec!["other_1".into()]));
    }

    #[test]
    fn query_options_default_as_in_eve_and_inherit_from_the_api() {
        let m = model(
            "[api]\nname = \"shop\"\nversion = \"1.0.0\"\nallowed_filters = []\nsorting = false\n\
             [resources.orders.schema]\nqty = { type = \"integer\" }\n\
             [resources.open]\npagination = false\nallowed_filters = [\"*\"]\n\
             datasource = { source = \"orders\", filter = { qty = { \"$gt\" = 0 } }, default_sort = [[\"qty\", -1]] }\n",
        )
        .expect("valid spec");
        let (orders, open) = (&m.resources[0], &m.resources[1]);
        assert_eq!(orders.allowed_filters, Some(Vec::new()), "the API's list");
        assert!(!orders.sorting && orders.pagination && orders.projection);
        assert!(!orders.validate_filtering);
        assert_eq!(orders.datasource, Datasource::default());
        assert_eq!(open.allowed_filters, None, "[\"*\"] allows all");
        assert!(!open.pagination);
        assert_eq!(open.table, "orders");
        assert_eq!(open.fields, orders.fields, "the source's schema");
        assert_eq!(
            open.datasource.filter.as_deref(),
            Some(r#"{"qty":{"$gt":0}}"#),
            "the filter as `where` JSON"
        );
        assert_eq!(open.datasource.default_sort.as_deref(), Some("-qty"));
        assert_eq!(m.tables.len(), 1, "the source's table is kept once");
    }
}

#[cfg(test)]
mod filter_tests {
    use crate::model::tests::model;

    fn spec(filter: &str) -> String {
        format!(
            "[api]\nname = \"t\"\nversion = \"1.0.0\"\ndate_format = \"%Y-%m-%dT%H:%M:%SZ\"\n\
             [resources.r.schema]\nname = {{ type = \"string\" }}\nqty = {{ type = \"integer\" }}\n\
             born = {{ type = \"datetime\" }}\ntags = {{ type = \"list\" }}\n\
             [resources.v]\ndatasource = {{ source = \"r\", filter = {filter} }}\n"
        )
    }

    fn error(filter: &str) -> (String, String) {
        let diagnostic = model(&spec(filter)).expect_err("the filter is refused");
        (diagnostic.message, diagnostic.help.unwrap_or_default())
    }

    #[test]
    fn the_filter_is_kept_as_where_json() {
        let m = model(&spec(
            "'{\"$or\": [{\"qty\": null}, {\"born\": {\"$gte\": \"1970-01-01T00:01:00Z\"}}]}'",
        ))
        .expect("valid");
        assert_eq!(
            m.resources[1].datasource.filter.as_deref(),
            Some(r#"{"$or":[{"qty":null},{"born":{"$gte":"1970-01-01T00:01:00Z"}}]}"#)
        );
    }

    #[test]
    fn the_runtime_says_what_is_wrong_and_the_generator_how_to_mend_it() {
        let (message, help) = error("{ nmae = \"x\" }");
        assert_eq!(message, "the datasource filter names unknown field `nmae`");
        assert_eq!(help, "did you mean `name`?");
        let (message, help) = error("{ tags = \"a\" }");
        assert_eq!(
            message,
            "the datasource filter compares the list field `tags`"
        );
        assert!(help.contains("scalar"), "{help}");
        let (message, _) = error("{ name = { \"$regex\" = \"^a\" } }");
        assert!(message.contains("`$regex`"), "{message}");
        let (message, help) = error("{ born = \"Thu, 01 Jan 1970 00:01:00 GMT\" }");
        assert!(message.contains("born"), "{message}");
        assert!(help.contains("1970") || help.contains("2016"), "{help}");
        let (message, _) = error("{ qty = 1.5 }");
        assert!(message.contains("expects an integer"), "{message}");
        let (message, _) = error("{ \"$nor\" = [{ qty = 1 }] }");
        assert!(message.contains("`$nor`"), "{message}");
        let (message, _) = error("{ \"name.first\" = \"x\" }");
        assert!(message.contains("nested"), "{message}");
        let (message, _) = error("{}");
        assert!(message.contains("empty"), "{message}");
    }
}
