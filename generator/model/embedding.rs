//! Embedding: the `data_relation`s marked `embeddable` anywhere in a schema, and the
//! `embedded_fields` embedded by default. (`hateoas` is a plain setting of the API and
//! of each resource, resolved with them.)

use super::resolve::{doc_type, module_ident};
use super::{Field, Resolver};
use crate::diagnostic::{Diagnostic, closest};
use crate::spec::ResourceSpec;

/// A `data_relation` marked `embeddable`, found anywhere in a resource's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Embed {
    /// Dotted path from the document: `author`, `meta.editor` (through dicts and
    /// lists of dicts); the value there is one reference or a list of them.
    pub path: String,
    /// Embedded unless the request opts out (listed in `embedded_fields`).
    pub default: bool,
    /// The referenced resource's document type below `crate::api::resources`,
    /// e.g. `people::PeopleDocument`.
    pub target: String,
    /// The referenced field (`_id` or a unique top-level field): its column.
    pub key: String,
}

impl Resolver<'_> {
    /// Every embeddable reference of a resource, and `embedded_fields` checked
    /// against them.
    pub(super) fn embeds(
        &self,
        name: &str,
        spec: &ResourceSpec,
        fields: &[Field],
    ) -> Result<Vec<Embed>, Diagnostic> {
        fn walk(prefix: &str, fields: &[Field], out: &mut Vec<Embed>) {
            for field in fields {
                let path = if prefix.is_empty() {
                    field.name.clone()
                } else {
                    format!("{prefix}.{}", field.name)
                };
                let relation = field
                    .relation
                    .as_ref()
                    .or_else(|| field.items.as_ref().and_then(|i| i.relation.as_ref()));
                if let Some(relation) = relation.filter(|r| r.embeddable) {
                    out.push(Embed {
                        path: path.clone(),
                        default: false,
                        target: format!(
                            "{}::{}",
                            module_ident(&relation.resource),
                            doc_type(&relation.resource)
                        ),
                        key: relation.field.clone(),
                    });
                }
                walk(&path, &field.schema, out);
                if let Some(items) = &field.items {
                    walk(&path, &items.schema, out);
                }
            }
        }
        let mut embeds = Vec::new();
        walk("", fields, &mut embeds);
        for listed in spec.embedded_fields.iter().flatten() {
            match embeds.iter_mut().find(|e| &e.path == listed.get_ref()) {
                Some(embed) => embed.default = true,
                None => {
                    let help = if embeds.is_empty() {
                        format!(
                            "`{name}` has no embeddable field: mark a `data_relation` with `embeddable = true` first"
                        )
                    } else {
                        let paths = embeds.iter().map(|e| e.path.as_str());
                        match closest(listed.get_ref(), paths) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => format!(
                                "the embeddable fields of `{name}` are {}",
                                embeds
                                    .iter()
                                    .map(|e| format!("`{}`", e.path))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        }
                    };
                    return Err(self
                        .error(
                            listed,
                            format!(
                                "`embedded_fields` names `{}`, which is not an embeddable field of `{name}`",
                                listed.get_ref()
                            ),
                        )
                        .with_help(help));
                }
            }
        }
        Ok(embeds)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::tests::model;

    #[test]
    fn embeddable_references_are_found_in_dicts_and_lists() {
        let m = model(
            "[api]\nname = \"blog\"\nversion = \"1.0.0\"\nhateoas = false\n\
             [resources.tags.schema]\nslug = { type = \"string\", unique = true }\n\
             [resources.posts]\nhateoas = true\nembedded_fields = [\"lines.tag\"]\n\
             [resources.posts.schema]\n\
             tags = { type = \"list\", items = { type = \"objectid\", data_relation = { resource = \"tags\", embeddable = true } } }\n\
             plain = { type = \"objectid\", data_relation = { resource = \"tags\" } }\n\
             lines = { type = \"list\", items = { type = \"dict\", schema = { tag = { type = \"string\", data_relation = { resource = \"tags\", field = \"slug\", embeddable = true } } } } }\n",
        )
        .expect("valid spec");
        let posts = &m.resources[1];
        let found: Vec<(&str, bool, &str, &str)> = posts
            .embeds
            .iter()
            .map(|e| {
                (
                    e.path.as_str(),
                    e.default,
                    e.target.as_str(),
                    e.key.as_str(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("tags", false, "tags::TagsDocument", "_id"),
                ("lines.tag", true, "tags::TagsDocument", "slug"),
            ]
        );
        assert!(m.uses_embedding());
        assert!(!m.api.hateoas);
        assert!(!m.resources[0].hateoas, "inherited from the API");
        assert!(posts.hateoas, "the resource's own setting wins");
    }
}
