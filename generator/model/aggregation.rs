//! `datasource.aggregation`: Eve's aggregation endpoint, a pipeline over the source
//! resource's documents, checked here by the runtime's own reader
//! (`apigen_runtime::aggregation::Pipeline::parse`, which the server runs too), so a
//! mistake is a diagnostic at the stage that makes it.

use toml::Spanned;

use super::query_options::catalog_kind;
use super::{Field, IdType, Kind, Resolver, toml_to_json};
use crate::diagnostic::{Diagnostic, closest};
use crate::spec::{AggregationSpec, ResourceSpec};
use apigen_runtime::aggregation::{Accumulator, Pipeline};
use apigen_runtime::catalog::{Field as CatalogField, Kind as CatalogKind};

/// `datasource.aggregation`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregation {
    /// The pipeline as Eve's JSON, keys in the spec's order: what the server reads.
    pub pipeline: String,
    /// The placeholders `?aggregate=` may fill (`$since`), in the pipeline's order.
    pub placeholders: Vec<String>,
    /// With `$group`, the fields of each result (after any `$project`), in order;
    /// without, `None`: the results are the source's documents.
    pub results: Option<Vec<(String, ResultType)>>,
}

/// What a `$group` result field holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ResultType {
    /// A source field's value (the group key, `$min $max $first $last`), or null.
    Field(Kind),
    /// `_id: null`: one group, keyed null.
    Null,
    /// `$count`: a non-negative integer.
    Count,
    /// `$sum`: a number (integer or float).
    Sum,
    /// `$avg`: a float, or null for a group with nothing to average.
    Average,
}

impl Resolver<'_> {
    /// The pipeline, once it reads as the server will read it.
    pub(super) fn aggregation(
        &self,
        spec: &ResourceSpec,
        aggregation: &Spanned<AggregationSpec>,
        fields: &[Field],
        id_type: IdType,
    ) -> Result<Aggregation, Diagnostic> {
        self.aggregation_settings(spec, aggregation)?;
        let stages = &aggregation.get_ref().pipeline;
        let mut text = String::from("[");
        for (i, stage) in stages.get_ref().iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            ordered_json(stage.get_ref(), &mut text);
        }
        text.push(']');
        let dates = self.date_format()?;
        let dates = dates.as_ref().unwrap_or(&apigen_runtime::date::RFC1123);
        let catalog = deep_catalog(fields, id_type);
        let pipeline = Pipeline::parse(&text, catalog, dates).map_err(|error| {
            let diagnostic = match error.stage.and_then(|i| stages.get_ref().get(i)) {
                Some(stage) => self.error(stage, error.message),
                None => self.error(stages, error.message),
            };
            diagnostic.with_help(error.help)
        })?;
        // A `"$name"` that names no field is a placeholder: one that is nearly a
        // field's name is more likely a typo than a parameter.
        for name in pipeline.accumulator_placeholders() {
            let bare = &name[1..];
            if let Some(field) = closest(bare, fields.iter().map(|f| f.name.as_str())) {
                let message =
                    format!("`{name}` is neither a field of the source nor clearly a placeholder");
                let group = stages
                    .get_ref()
                    .iter()
                    .find(|s| s.get_ref().get("$group").is_some());
                return Err(match group {
                    Some(group) => self.error(group, message),
                    None => self.error(stages, message),
                }
                .with_help(format!(
                    "did you mean the field `\"${field}\"`? A placeholder needs a name \
                         unlike the fields'"
                )));
            }
        }
        let mut placeholders = pipeline.placeholders.clone();
        for name in pipeline.accumulator_placeholders() {
            if !placeholders.iter().any(|p| p == name) {
                placeholders.push(name.to_string());
            }
        }
        Ok(Aggregation {
            pipeline: text,
            placeholders,
            results: results(&pipeline),
        })
    }

    /// An aggregation endpoint reads another resource and answers GET only.
    fn aggregation_settings(
        &self,
        spec: &ResourceSpec,
        aggregation: &Spanned<AggregationSpec>,
    ) -> Result<(), Diagnostic> {
        let datasource = spec.datasource.as_ref().map(Spanned::get_ref);
        if datasource.is_none_or(|d| d.source.is_none()) {
            return Err(self
                .error(aggregation, "an aggregation needs `datasource.source`")
                .with_help(
                    "name the resource whose documents the pipeline reads: \
                     `datasource = { source = \"books\", aggregation = { ... } }`",
                ));
        }
        let writes = spec
            .resource_methods
            .iter()
            .chain(&spec.item_methods)
            .flatten()
            .find(|m| !matches!(m.get_ref().as_str(), "GET" | "HEAD"));
        if let Some(method) = writes {
            return Err(self
                .error(
                    method,
                    format!(
                        "an aggregation endpoint answers GET only, not {}",
                        method.get_ref()
                    ),
                )
                .with_help(
                    "remove the method: an aggregation's results are computed, not stored",
                ));
        }
        if let Some(url) = spec.url.as_ref().filter(|u| u.get_ref().contains('{')) {
            return Err(self
                .error(url, "an aggregation endpoint cannot be a sub-resource")
                .with_help("give it a plain url, and filter with a `$match` placeholder instead"));
        }
        if let Some(lookup) = &spec.additional_lookup {
            return Err(self
                .error(lookup, "an aggregation endpoint has no items to look up")
                .with_help("remove `additional_lookup`"));
        }
        if let Some(d) = datasource {
            if let Some(projection) = &d.projection {
                return Err(self
                    .error(
                        projection,
                        "an aggregation endpoint ignores `datasource.projection`",
                    )
                    .with_help("end the pipeline with a `$project` stage instead"));
            }
            if let Some(sort) = &d.default_sort {
                return Err(self
                    .error(
                        sort,
                        "an aggregation endpoint ignores `datasource.default_sort`",
                    )
                    .with_help("add a `$sort` stage to the pipeline instead"));
            }
        }
        Ok(())
    }
}

/// The fields of a `$group`'s results, as `$project` leaves them.
fn results(pipeline: &Pipeline) -> Option<Vec<(String, ResultType)>> {
    let group = pipeline.group.as_ref()?;
    let key = group
        .key
        .as_ref()
        .map_or(ResultType::Null, |k| ResultType::Field(k.kind));
    let fields = group.fields.iter().map(|(name, accumulator)| {
        let ty = match accumulator {
            Accumulator::Count => ResultType::Count,
            Accumulator::Sum(_) => ResultType::Sum,
            Accumulator::Avg(_) => ResultType::Average,
            Accumulator::Min(f)
            | Accumulator::Max(f)
            | Accumulator::First(f)
            | Accumulator::Last(f) => ResultType::Field(f.kind),
        };
        (name.clone(), ty)
    });
    let all = std::iter::once(("_id".to_string(), key)).chain(fields);
    Some(
        all.filter(|(name, _)| pipeline.project.as_ref().is_none_or(|p| p.keeps(name)))
            .collect(),
    )
}

/// A TOML value as JSON text, tables' keys in the spec's order: a `$sort`'s order is
/// its meaning (a `serde_json::Map` would sort the keys).
fn ordered_json(value: &toml::Value, out: &mut String) {
    match value {
        toml::Value::Table(table) => {
            out.push('{');
            for (i, (key, value)) in table.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                ordered_json(value, out);
            }
            out.push('}');
        }
        toml::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                ordered_json(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&toml_to_json(scalar).to_string()),
    }
}

/// The runtime's catalog of the source's fields, nested dicts and list items
/// included (a pipeline names dotted paths), as the server declares it. Leaked, as
/// `query_options::filter_catalog` is: a few bytes per field, once per check.
fn deep_catalog(fields: &[Field], id_type: IdType) -> &'static [CatalogField] {
    let mut catalog = Vec::with_capacity(fields.len() + 1);
    if id_type == IdType::Integer {
        catalog.push(CatalogField::new("_id", CatalogKind::Integer));
    }
    catalog.extend(fields.iter().map(catalog_field));
    Box::leak(catalog.into_boxed_slice())
}

fn catalog_field(field: &Field) -> CatalogField {
    let name: &'static str = Box::leak(field.name.clone().into_boxed_str());
    let schema: &'static [CatalogField] =
        Box::leak(field.schema.iter().map(catalog_field).collect::<Box<[_]>>());
    let items = field
        .items
        .as_deref()
        .map(|items| &*Box::leak(Box::new(catalog_field(items))));
    CatalogField {
        nullable: field.nullable,
        schema,
        items,
        ..CatalogField::new(name, catalog_kind(field.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::model;

    const SPEC: &str = r#"
[api]
name = "library"
version = "1.0.0"

[resources.books.schema]
title = { type = "string" }
pages = { type = "integer" }

[resources.stats.datasource]
source = "books"
aggregation = { pipeline = [
    { "$match" = { title = "$title" } },
    { "$group" = { _id = "$title", total = { "$sum" = "$weight" } } },
    { "$sort" = { total = -1, _id = 1 } },
] }
"#;

    #[test]
    fn the_pipeline_keeps_its_order_and_names_its_placeholders() {
        let model = model(SPEC).expect("a valid spec");
        let stats = model
            .resources
            .iter()
            .find(|r| r.name == "stats")
            .expect("stats");
        let aggregation = stats
            .datasource
            .aggregation
            .as_ref()
            .expect("an aggregation");
        assert!(
            aggregation
                .pipeline
                .ends_with(r#"{"$sort":{"total":-1,"_id":1}}]"#),
            "{}",
            aggregation.pipeline
        );
        assert_eq!(aggregation.placeholders, ["$title", "$weight"]);
        // GET is its only operation.
        let operations: Vec<&str> = model
            .operations
            .iter()
            .filter(|op| op.resource.as_deref() == Some("stats"))
            .map(|op| op.id.as_str())
            .collect();
        assert_eq!(operations, ["stats.get_aggregation"]);
    }
}
