//! Secondary indexes: the spec's `indexes` (Eve's `mongo_indexes`), named lists of a
//! resource's top-level scalar fields, each ascending or (`-field`) descending.
//!
//! The Model keeps them as the spec wrote them, in spec order; creating them is the
//! storage's business.

use toml::Spanned;

use super::resolve::article;
use super::{Field, Index, IndexKey, Kind, Resolver};
use crate::diagnostic::{Diagnostic, closest};
use crate::spec::ResourceSpec;

/// What an index may name, in a help line's words.
const INDEXABLE: &str =
    "top-level string, integer, float, number, boolean, datetime or objectid fields";

/// The fields the server keeps itself: not in the schema, so not indexable here.
const META_FIELDS: [&str; 4] = ["_id", "_created", "_updated", "_etag"];

/// Whether a top-level field of this type can be a key of a secondary index: a
/// scalar.
fn indexable(kind: Kind) -> bool {
    super::fields::is_scalar(kind)
}

impl Resolver<'_> {
    /// `indexes`: each a valid name and a non-empty list of distinct indexable fields;
    /// no two with the same keys; none on a resource that serves `source`'s table.
    pub(super) fn indexes(
        &self,
        resource: &str,
        spec: &ResourceSpec,
        source: Option<&str>,
        fields: &[Field],
    ) -> Result<Vec<Index>, Diagnostic> {
        let Some(indexes) = &spec.indexes else {
            return Ok(Vec::new());
        };
        if let Some(source) = source {
            return Err(self
                .error(
                    indexes,
                    format!(
                        "resource `{resource}` serves the table of `{source}` and cannot declare indexes"
                    ),
                )
                .with_help(format!(
                    "it has no table of its own: index `{source}` instead, with `indexes` under `[resources.{source}]`"
                )));
        }
        let mut resolved: Vec<Index> = Vec::new();
        for (name, list) in indexes.get_ref() {
            let text = name.get_ref();
            if !super::resolve::is_lower_name(text) {
                return Err(self
                    .error(name, format!("invalid index name `{text}`"))
                    .with_help(
                        "an index name is lowercase: a letter, then letters, digits or `_` ([a-z][a-z0-9_]*), like `by_age`",
                    ));
            }
            if list.get_ref().is_empty() {
                return Err(self
                    .error(list, format!("index `{text}` lists no fields"))
                    .with_help(
                        "list the fields it orders by, like `[\"lastname\", \"-age\"]` (`-` for descending), or remove the index",
                    ));
            }
            let mut keys: Vec<IndexKey> = Vec::new();
            for entry in list.get_ref() {
                let (field, descending) = match entry.get_ref().strip_prefix('-') {
                    Some(rest) => (rest, true),
                    None => (entry.get_ref().as_str(), false),
                };
                self.index_field(text, entry, field, fields)?;
                if keys.iter().any(|k| k.field == field) {
                    return Err(self
                        .error(entry, format!("index `{text}` names `{field}` twice"))
                        .with_help(format!(
                            "name each field once, as `{field}` (ascending) or `-{field}` (descending)"
                        )));
                }
                keys.push(IndexKey {
                    field: field.to_string(),
                    descending,
                });
            }
            if let Some(earlier) = resolved.iter().find(|i| i.keys == keys) {
                return Err(self
                    .error(
                        list,
                        format!(
                            "indexes `{}` and `{text}` both order by {}",
                            earlier.name,
                            list_text(&keys)
                        ),
                    )
                    .with_help(format!(
                        "remove `{text}`: it would be `{}` kept twice",
                        earlier.name
                    )));
            }
            resolved.push(Index {
                name: text.clone(),
                keys,
            });
        }
        Ok(resolved)
    }

    /// Index names are one namespace in the database: a spec index whose database
    /// name (`<table>_<name>`) is another index's, of this table or of another (a
    /// unique field's `<table>_<field>_unique`, say), would silently not be created.
    pub(super) fn check_index_names(
        &self,
        tables: &[super::storage::Table],
    ) -> Result<(), Diagnostic> {
        let all = || {
            tables
                .iter()
                .flat_map(|t| t.indexes.iter().map(move |i| (t, i)))
        };
        for (n, (table, index)) in all().enumerate() {
            let Some((first_table, first)) = all().take(n).find(|(_, i)| i.name == index.name)
            else {
                continue;
            };
            let describe = |table: &str, index: &super::storage::Index| match index.unique {
                true => format!(
                    "the unique index of `{table}`.`{}`",
                    index.columns[0].column
                ),
                false => format!("an index of `{table}`"),
            };
            // Point at the spec's name for the later of the two (a unique index comes
            // first in its table, so the later one is always a spec index).
            let spec_name = self
                .spec
                .resources
                .values()
                .filter_map(|resource| resource.get_ref().indexes.as_ref())
                .flat_map(|indexes| indexes.get_ref().keys())
                .find(|name| index.name == format!("{}_{}", table.name, name.get_ref()));
            let message = format!(
                "index `{}` would be named `{}` in the database, as is {}",
                spec_name.map_or(index.name.as_str(), |n| n.get_ref().as_str()),
                index.name,
                describe(&first_table.name, first)
            );
            let help = "index names share one namespace in the database: rename this index";
            return Err(match spec_name {
                Some(name) => self.error(name, message).with_help(help),
                None => self.error(&self.spec.api, message).with_help(help),
            });
        }
        Ok(())
    }

    /// One key of index `index`: `field` (the entry without its `-`) must be a
    /// top-level field of an indexable type.
    fn index_field(
        &self,
        index: &str,
        entry: &Spanned<String>,
        field: &str,
        fields: &[Field],
    ) -> Result<(), Diagnostic> {
        let (message, help) = match fields.iter().find(|f| f.name == field) {
            Some(f) if indexable(f.kind) => return Ok(()),
            Some(f) => {
                let kind = if f.kind.is_geo() {
                    format!("a GeoJSON `{}`", f.kind.name())
                } else {
                    format!("{} `{}`", article(f.kind.name()), f.kind.name())
                };
                (
                    format!("index `{index}` names `{field}`, {kind} field"),
                    format!(
                        "an index orders by {INDEXABLE}; dicts, lists and GeoJSON geometries cannot be indexed"
                    ),
                )
            }
            None => match field.split_once('.') {
                Some((top, _)) if fields.iter().any(|f| f.name == top) => (
                    format!("index `{index}` names `{field}`, a field inside `{top}`"),
                    format!("an index orders by {INDEXABLE}, not by fields inside a dict or list"),
                ),
                _ if field == "_id" => (
                    format!("index `{index}` names `_id`, the primary key"),
                    format!(
                        "`_id` is indexed already; an index orders by {INDEXABLE} of the schema"
                    ),
                ),
                _ if META_FIELDS.contains(&field) => (
                    format!("index `{index}` names `{field}`, which the server keeps"),
                    format!(
                        "`{field}` is not declared in the schema; an index orders by {INDEXABLE} of the schema"
                    ),
                ),
                _ => {
                    let candidates = fields
                        .iter()
                        .filter(|f| indexable(f.kind))
                        .map(|f| f.name.as_str());
                    let help = match closest(field, candidates) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => format!("an index orders by {INDEXABLE} of this resource"),
                    };
                    (
                        format!(
                            "index `{index}` names `{field}`, which is not a field of this resource"
                        ),
                        help,
                    )
                }
            },
        };
        Err(self.error(entry, message).with_help(help))
    }
}

/// Keys as the spec writes them, ticked: `` `lastname`, `-age` ``.
fn list_text(keys: &[IndexKey]) -> String {
    let items: Vec<String> = keys
        .iter()
        .map(|k| format!("`{}{}`", if k.descending { "-" } else { "" }, k.field))
        .collect();
    items.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::model;

    const HEAD: &str = "[api]\nname = \"shop\"\nversion = \"1.0.0\"\n";

    fn key(field: &str, descending: bool) -> IndexKey {
        IndexKey {
            field: field.to_string(),
            descending,
        }
    }

    #[test]
    fn indexes_resolve_in_spec_order_with_their_directions() {
        let m = model(&format!(
            "{HEAD}[resources.people]\n\
             indexes = {{ by_name_age = [\"lastname\", \"-age\"], by_city = [\"city\"], a_born = [\"-born\"] }}\n\
             [resources.people.schema]\n\
             lastname = {{ type = \"string\" }}\nage = {{ type = \"integer\" }}\n\
             city = {{ type = \"string\" }}\nborn = {{ type = \"datetime\" }}\n\
             [resources.orders.schema]\nqty = {{ type = \"integer\" }}\n"
        ))
        .expect("valid spec");
        let (people, orders) = (&m.resources[0], &m.resources[1]);
        assert_eq!(
            people.indexes,
            vec![
                Index {
                    name: "by_name_age".to_string(),
                    keys: vec![key("lastname", false), key("age", true)],
                },
                Index {
                    name: "by_city".to_string(),
                    keys: vec![key("city", false)],
                },
                Index {
                    name: "a_born".to_string(),
                    keys: vec![key("born", true)],
                },
            ],
            "spec order, not alphabetical"
        );
        assert!(orders.indexes.is_empty(), "no `indexes`: none");
    }

    #[test]
    fn a_unique_field_alone_and_mirrored_keys_are_allowed() {
        let m = model(&format!(
            "{HEAD}[resources.people]\n\
             indexes = {{ by_email = [\"email\"], by_age = [\"age\"], by_age_desc = [\"-age\"] }}\n\
             [resources.people.schema]\n\
             email = {{ type = \"string\", unique = true }}\nage = {{ type = \"number\" }}\n"
        ))
        .expect("valid spec");
        let names: Vec<&str> = m.resources[0]
            .indexes
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        assert_eq!(names, ["by_email", "by_age", "by_age_desc"]);
    }

    #[test]
    fn database_index_names_may_not_collide_across_tables() {
        // Table `a` with index `b_c` and table `a_b` with index `c` are both `a_b_c`.
        let error = model(&format!(
            "{HEAD}[resources.a]\nindexes = {{ b_c = [\"v\"] }}\n\
             [resources.a.schema]\nv = {{ type = \"integer\" }}\n\
             [resources.a_b]\nindexes = {{ c = [\"v\"] }}\n\
             [resources.a_b.schema]\nv = {{ type = \"integer\" }}\n"
        ))
        .expect_err("a collision");
        assert_eq!(
            error.message,
            "index `c` would be named `a_b_c` in the database, as is an index of `a`"
        );
        let location = error.location.expect("located");
        assert_eq!(location.line, 9, "the second index's name");
    }

    #[test]
    fn the_first_problem_is_reported_at_its_entry() {
        let error = model(&format!(
            "{HEAD}[resources.people]\nindexes = {{ by_age = [\"-agee\"] }}\n\
             [resources.people.schema]\nage = {{ type = \"integer\" }}\n"
        ))
        .expect_err("unknown field");
        assert_eq!(
            error.message,
            "index `by_age` names `agee`, which is not a field of this resource"
        );
        assert_eq!(error.help.as_deref(), Some("did you mean `age`?"));
        let location = error.location.expect("located");
        assert_eq!(
            (location.line, location.column),
            (5, 23),
            "the `\"-agee\"` entry"
        );
    }
}
