//! Eve's query options that need checking against the schema: `allowed_filters`, and
//! the `datasource` a resource reads through (source table, filter, projection, sort).
//! The plain switches (`sorting`, `pagination`, `projection`, `validate_filtering`)
//! and the page sizes are read with the rest of the resource, in `resolve`.

use toml::Spanned;

use super::{Field, Kind, Resolver, toml_to_json};
use crate::diagnostic::{Diagnostic, closest};
use crate::spec::ResourceSpec;

/// `datasource`: the table a resource reads, its fixed filter, default projection and
/// default sort. `Datasource::default()` is a resource over its own table, unfiltered.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Datasource {
    /// The resource whose table (and schema) this one serves, when not its own.
    pub source: Option<String>,
    /// The fixed filter compiled to an SQL boolean expression.
    pub filter_sql: Option<String>,
    /// The default projection as JSON text (`{"name":1}`).
    pub projection: Option<String>,
    /// The default sort in `sort` syntax (`name,-price`).
    pub default_sort: Option<String>,
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
    ) -> Result<Datasource, Diagnostic> {
        let Some(datasource) = &spec.datasource else {
            return Ok(Datasource::default());
        };
        let datasource = datasource.get_ref();
        let filter_sql = match &datasource.filter {
            None => None,
            Some(filter) => {
                let json = match filter.get_ref() {
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
                let sql = crate::datasource::compile(&json, fields, self.date_format()?.as_ref())
                    .map_err(|e| self.error(filter, e.message).with_help(e.help))?;
                Some(sql)
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
        Ok(Datasource {
            source,
            filter_sql,
            projection,
            default_sort,
        })
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
        assert_eq!(open.datasource.filter_sql.as_deref(), Some("(\"qty\" > 0)"));
        assert_eq!(open.datasource.default_sort.as_deref(), Some("-qty"));
        assert_eq!(open.sql_schema(), "", "the source's table is created once");
        assert!(open.sql_select_by_id().ends_with("AND ((\"qty\" > 0))"));
    }
}
