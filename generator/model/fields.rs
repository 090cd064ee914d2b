//! Fields: names, types and rules (at any depth, through dicts and list items), the
//! `data_relation` they may hold, and the statics of their regexes.

use indexmap::IndexMap;
use toml::Spanned;

use super::resolve::article;
use super::{Field, Kind, Relation, Resolver, Resource, rust_ident};
use crate::diagnostic::{Diagnostic, closest};
use crate::spec::{FieldSpec, ResourceSpec};

/// Nesting allowed in a schema (dicts in lists in dicts...).
const MAX_SCHEMA_DEPTH: usize = 8;

/// Column names SQLite uses for its own row id; the server orders pages by it.
const SQLITE_ROW_ALIASES: &[&str] = &["rowid", "oid", "_rowid_"];

const IDENT_HINT: &str = "names start with a letter and use only letters, digits and `_`";

impl Resolver<'_> {
    /// Two field names that case to the same Rust identifier cannot both be struct fields.
    pub(super) fn check_idents(
        &self,
        schema: &IndexMap<Spanned<String>, Spanned<FieldSpec>>,
        fields: &[Field],
    ) -> Result<(), Diagnostic> {
        for (i, (name, _)) in schema.iter().enumerate() {
            if let Some(earlier) = fields[..i].iter().find(|f| f.ident == fields[i].ident) {
                return Err(self
                    .error(
                        name,
                        format!(
                            "fields `{}` and `{}` would both be the Rust field `{}`",
                            earlier.name, fields[i].name, fields[i].ident
                        ),
                    )
                    .with_help("rename one of them"));
            }
        }
        Ok(())
    }

    /// `renamed_from` names the field's old name: not its own, and not another field
    /// still in the schema (which one would keep the values?).
    pub(super) fn check_field_renames(
        &self,
        schema: &IndexMap<Spanned<String>, Spanned<FieldSpec>>,
    ) -> Result<(), Diagnostic> {
        let renames = schema
            .iter()
            .map(|(name, field)| (name, field.get_ref().renamed_from.as_ref()));
        self.check_renames(renames, "field", "a field of this schema", "the schema")
    }

    /// The `renamed_from` of each `(name, renamed_from)` entry, fields or resources
    /// (`what`): not the entry's own name, not a name still `in` the spec, not one
    /// another entry is renamed from.
    pub(super) fn check_renames<'a>(
        &self,
        entries: impl Iterator<Item = (&'a Spanned<String>, Option<&'a Spanned<String>>)> + Clone,
        what: &str,
        still: &str,
        remove_from: &str,
    ) -> Result<(), Diagnostic> {
        for (name, from) in entries.clone() {
            let Some(from) = from else {
                continue;
            };
            let old = from.get_ref();
            if old == name.get_ref() {
                return Err(self
                    .error(from, format!("`{old}` is renamed from itself"))
                    .with_help(format!(
                        "remove `renamed_from`, or write the {what}'s old name"
                    )));
            }
            if entries.clone().any(|(k, _)| k.get_ref() == old) {
                return Err(self
                    .error(from, format!("`{old}` is still {still}"))
                    .with_help(format!(
                        "to rename `{old}` to `{}`, remove `{old}` from {remove_from}",
                        name.get_ref()
                    )));
            }
            if let Some((other, _)) = entries.clone().find(|(k, r)| {
                k.get_ref() != name.get_ref() && r.is_some_and(|r| r.get_ref() == old)
            }) {
                return Err(self
                    .error(
                        from,
                        format!("`{}` is also renamed from `{old}`", other.get_ref()),
                    )
                    .with_help(format!(
                        "one {what} takes the old one's values: keep `renamed_from` on one of them"
                    )));
            }
        }
        Ok(())
    }

    pub(super) fn field(
        &self,
        name: &Spanned<String>,
        spec: &Spanned<FieldSpec>,
        depth: usize,
    ) -> Result<Field, Diagnostic> {
        let text = name.get_ref();
        let valid = text.starts_with(|c: char| c.is_ascii_alphabetic())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            let help = if text.starts_with('_') {
                "names starting with `_` are Eve's own (`_id`, `_etag`, ...); pick another name"
                    .to_string()
            } else {
                match text.replace(['-', ' ', '.'], "_") {
                    fixed
                        if fixed != *text
                            && fixed.starts_with(|c: char| c.is_ascii_alphabetic())
                            && fixed.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                    {
                        format!("write `{fixed}`: {IDENT_HINT}")
                    }
                    _ => IDENT_HINT.to_string(),
                }
            };
            return Err(self
                .error(name, format!("invalid field name `{text}`"))
                .with_help(help));
        }
        if depth == 0 && SQLITE_ROW_ALIASES.contains(&text.to_ascii_lowercase().as_str()) {
            return Err(self
                .error(name, format!("`{text}` cannot be a field name"))
                .with_help("SQLite reserves `rowid`, `oid` and `_rowid_` for its row ids; pick another name"));
        }
        if depth > MAX_SCHEMA_DEPTH {
            return Err(self
                .error(name, "the schema nests too deeply")
                .with_help(format!(
                    "dicts and lists nest at most {MAX_SCHEMA_DEPTH} levels"
                )));
        }
        self.rule(text, spec, depth)
    }

    /// The rules of a field or of a list's items (`name` is empty for items).
    pub(super) fn rule(
        &self,
        name: &str,
        spanned: &Spanned<FieldSpec>,
        depth: usize,
    ) -> Result<Field, Diagnostic> {
        let spec = spanned.get_ref();
        if let (true, Some(from)) = (depth > 0, &spec.renamed_from) {
            return Err(self
                .error(from, "`renamed_from` applies to a resource's top-level fields")
                .with_help("a nested field is stored inside its dict's JSON: rename it in place, and documents that still hold the old name keep it until they are written"));
        }
        let kind_text = spec.kind.get_ref();
        let Some(kind) = Kind::from_name(kind_text) else {
            let names = Kind::ALL.iter().map(|k| k.name());
            let help = match closest(kind_text, names) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!(
                    "the types are {}",
                    Kind::ALL
                        .iter()
                        .map(|k| format!("`{}`", k.name()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            return Err(self
                .error(&spec.kind, format!("unknown type `{kind_text}`"))
                .with_help(help));
        };
        self.check_media_rule(name, spanned, kind, depth)?;
        let is_number = matches!(kind, Kind::Integer | Kind::Float | Kind::Number);
        let sized = matches!(kind, Kind::String | Kind::List);
        let rule_needs = |present: bool, key: &str, what: &str, span: std::ops::Range<usize>| {
            if present {
                Err(Diagnostic::at(
                    self.path,
                    self.source,
                    span,
                    format!(
                        "`{key}` does not apply to {} `{}` field",
                        article(kind.name()),
                        kind.name()
                    ),
                )
                .with_help(format!("`{key}` applies to {what} fields only")))
            } else {
                Ok(())
            }
        };
        if let Some(v) = &spec.minlength {
            rule_needs(!sized, "minlength", "string and list", v.span())?;
        }
        if let Some(v) = &spec.maxlength {
            rule_needs(!sized, "maxlength", "string and list", v.span())?;
        }
        if let Some(v) = &spec.min {
            rule_needs(!is_number, "min", "integer, float and number", v.span())?;
        }
        if let Some(v) = &spec.max {
            rule_needs(!is_number, "max", "integer, float and number", v.span())?;
        }
        if let Some(v) = &spec.regex {
            rule_needs(kind != Kind::String, "regex", "string", v.span())?;
        }
        if let Some(v) = &spec.schema
            && kind != Kind::Dict
        {
            let span = v.keys().next().map_or(spec.kind.span(), |k| k.span());
            rule_needs(true, "schema", "dict", span)?;
        }
        if let Some(v) = &spec.items {
            rule_needs(kind != Kind::List, "items", "list", v.span())?;
        }
        if let Some(v) = &spec.data_relation {
            rule_needs(
                !matches!(kind, Kind::ObjectId | Kind::String | Kind::Integer),
                "data_relation",
                "objectid, string and integer",
                v.span(),
            )?;
        }
        if spec.unique && depth > 0 {
            return Err(self
                .error(spanned, "`unique` applies to top-level fields only")
                .with_help("remove `unique` from this nested field"));
        }
        if spec.unique && kind.is_json() {
            return Err(self
                .error(
                    spanned,
                    format!(
                        "{} `{}` field cannot be `unique`",
                        article(kind.name()),
                        kind.name()
                    ),
                )
                .with_help("`unique` applies to scalar fields"));
        }

        let length = |v: &Option<Spanned<i64>>, key: &str| -> Result<Option<u64>, Diagnostic> {
            match v {
                Some(v) if *v.get_ref() < 0 => Err(self
                    .error(v, format!("`{key}` cannot be negative"))
                    .with_help(format!("`{key}` counts characters or items: 0 or more"))),
                Some(v) => Ok(Some(*v.get_ref() as u64)),
                None => Ok(None),
            }
        };
        let minlength = length(&spec.minlength, "minlength")?;
        let maxlength = length(&spec.maxlength, "maxlength")?;
        if let (Some(lo), Some(hi), Some(span)) = (minlength, maxlength, &spec.maxlength)
            && lo > hi
        {
            return Err(self
                .error(span, format!("`maxlength` {hi} is below `minlength` {lo}"))
                .with_help("no value could satisfy both; swap them"));
        }
        use apigen_runtime::catalog::Bound;
        let bound =
            |v: &Option<Spanned<toml::Value>>, key: &str| -> Result<Option<Bound>, Diagnostic> {
                match v {
                    None => Ok(None),
                    Some(v) => match v.get_ref() {
                        // Kept exact: 2^53 + 1 has no f64.
                        toml::Value::Integer(i) => Ok(Some(Bound::Int(*i))),
                        toml::Value::Float(f) if f.is_finite() => Ok(Some(Bound::Float(*f))),
                        other => Err(self
                            .error(
                                v,
                                format!("`{key}` must be a number, found {}", other.type_str()),
                            )
                            .with_help(format!("write `{key} = 0` or another number"))),
                    },
                }
            };
        let min = bound(&spec.min, "min")?;
        let max = bound(&spec.max, "max")?;
        if let (Some(lo), Some(hi), Some(span)) = (min, max, &spec.max)
            && bound_number(hi).is_some_and(|hi| lo.compare(&hi) == Some(std::cmp::Ordering::Less))
        {
            return Err(self
                .error(span, format!("`max` {hi} is below `min` {lo}"))
                .with_help("no value could satisfy both; swap them"));
        }
        if kind == Kind::Integer {
            for (value, key) in [(&spec.min, "min"), (&spec.max, "max")] {
                if let Some(v) = value
                    && !matches!(v.get_ref(), toml::Value::Integer(_))
                {
                    return Err(self
                        .error(v, format!("`{key}` of an integer field must be an integer"))
                        .with_help("write a whole number"));
                }
            }
        }
        let regex = match &spec.regex {
            Some(pattern) => {
                if let Err(error) = regex::Regex::new(&format!("^(?:{})$", pattern.get_ref())) {
                    let last = crate::diagnostic::regex_problem(&error);
                    return Err(self
                        .error(pattern, format!("invalid regex: {last}"))
                        .with_help("patterns use Rust's regex syntax and must match the whole value (no look-around or back-references)"));
                }
                Some(pattern.get_ref().clone())
            }
            None => None,
        };
        let item_kind = match (&kind, &spec.items) {
            (Kind::List, Some(items)) => Kind::from_name(items.get_ref().kind.get_ref()),
            _ => None,
        };
        let allowed = match &spec.allowed {
            None => Vec::new(),
            Some(list) => {
                let target = if kind == Kind::List {
                    item_kind.unwrap_or(Kind::String)
                } else {
                    kind
                };
                let mut literals = Vec::new();
                for value in list.get_ref() {
                    literals.push(self.literal(value, target, list, "allowed")?);
                }
                literals
            }
        };
        let schema = match &spec.schema {
            Some(schema) => {
                let mut fields = Vec::new();
                for (n, f) in schema {
                    fields.push(self.field(n, f, depth + 1)?);
                }
                fields
            }
            None => Vec::new(),
        };
        let items = match &spec.items {
            Some(items) => {
                if items.get_ref().required
                    || items.get_ref().unique
                    || items.get_ref().default.is_some()
                {
                    return Err(self
                        .error(
                            items,
                            "`required`, `unique` and `default` do not apply to list items",
                        )
                        .with_help("put them on the list field itself"));
                }
                if depth + 1 > MAX_SCHEMA_DEPTH {
                    return Err(self.error(items, "the schema nests too deeply").with_help(
                        format!("dicts and lists nest at most {MAX_SCHEMA_DEPTH} levels"),
                    ));
                }
                Some(Box::new(self.rule("", items, depth + 1)?))
            }
            None => None,
        };
        let relation = match &spec.data_relation {
            Some(relation) => Some(self.relation(relation, kind)?),
            None => None,
        };
        let mut field = Field {
            name: name.to_string(),
            ident: rust_ident(name),
            kind,
            required: spec.required,
            unique: spec.unique,
            nullable: spec.nullable,
            minlength,
            maxlength,
            min,
            max,
            regex,
            allowed,
            default: None,
            schema,
            items,
            relation,
            validator: self.validator(spec.validator.as_ref())?,
        };
        if let Some(default) = &spec.default {
            field.default = Some(self.default_value(default, &field)?);
        }
        Ok(field)
    }

    fn relation(
        &self,
        relation: &Spanned<crate::spec::RelationSpec>,
        kind: Kind,
    ) -> Result<Relation, Diagnostic> {
        let spec = relation.get_ref();
        let target_name = spec.resource.get_ref();
        let Some((_, target)) = self
            .spec
            .resources
            .iter()
            .find(|(k, _)| k.get_ref() == target_name)
        else {
            let names = self.spec.resources.keys().map(|k| k.get_ref().as_str());
            let help = match closest(target_name, names) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!(
                    "the resources are {}",
                    self.spec
                        .resources
                        .keys()
                        .map(|k| format!("`{}`", k.get_ref()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            return Err(self
                .error(
                    &spec.resource,
                    format!("data_relation names unknown resource `{target_name}`"),
                )
                .with_help(help));
        };
        let field = match &spec.field {
            None => self.relation_to_id(relation, target_name, target.get_ref(), kind)?,
            Some(field) if field.get_ref() == "_id" => {
                self.relation_to_id(relation, target_name, target.get_ref(), kind)?
            }
            Some(field) => {
                let schema = &target.get_ref().schema;
                match schema.iter().find(|(k, _)| k.get_ref() == field.get_ref()) {
                    Some((_, f)) if f.get_ref().unique => field.get_ref().clone(),
                    Some(_) => {
                        return Err(self
                            .error(field, format!("`{}` of resource `{target_name}` is not unique", field.get_ref()))
                            .with_help(format!(
                                "mark `{}` in `{target_name}` with `unique = true`, or point the data_relation at `_id`: it must name one document",
                                field.get_ref()
                            )));
                    }
                    None => {
                        let mut names: Vec<&str> =
                            schema.keys().map(|k| k.get_ref().as_str()).collect();
                        names.push("_id");
                        let help = match closest(field.get_ref(), names.iter().copied()) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => format!(
                                "`{target_name}` has the fields {}",
                                names
                                    .iter()
                                    .map(|n| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        };
                        return Err(self
                            .error(
                                field,
                                format!(
                                    "resource `{target_name}` has no field `{}`",
                                    field.get_ref()
                                ),
                            )
                            .with_help(help));
                    }
                }
            }
        };
        Ok(Relation {
            resource: target_name.clone(),
            field,
            embeddable: spec.embeddable,
        })
    }

    /// A reference to another resource's `_id` has that `_id`'s type: an objectid (or
    /// string) field for objectid ids, a string for uuids, an integer for integers.
    fn relation_to_id(
        &self,
        relation: &Spanned<crate::spec::RelationSpec>,
        target_name: &str,
        target: &ResourceSpec,
        kind: Kind,
    ) -> Result<String, Diagnostic> {
        let id_type = target
            .id_type
            .as_ref()
            .map_or("objectid", |t| t.get_ref().as_str());
        let (fits, wanted) = match id_type {
            "integer" => (kind == Kind::Integer, "integer"),
            "uuid" => (kind == Kind::String, "string"),
            _ => (kind != Kind::Integer, "objectid"),
        };
        if fits {
            Ok("_id".to_string())
        } else {
            Err(self
                .error(
                    relation,
                    format!(
                        "`{target_name}` has {} `{id_type}` _id, which {} `{}` field cannot hold",
                        article(id_type),
                        article(kind.name()),
                        kind.name()
                    ),
                )
                .with_help(format!(
                    "declare this field `type = \"{wanted}\"` to reference `{target_name}`"
                )))
        }
    }
}

impl Resource {
    /// Every field with a regex, depth first, for the resource module's statics.
    pub fn regex_fields(&self) -> Vec<&Field> {
        fn collect<'a>(field: &'a Field, out: &mut Vec<&'a Field>) {
            if field.regex.is_some() {
                out.push(field);
            }
            for nested in &field.schema {
                collect(nested, out);
            }
            if let Some(items) = &field.items {
                collect(items, out);
            }
        }
        let mut out = Vec::new();
        for field in &self.fields {
            collect(field, &mut out);
        }
        out
    }
}

/// A bound as a JSON number, to compare another bound with it exactly.
pub(super) fn bound_number(bound: apigen_runtime::catalog::Bound) -> Option<serde_json::Number> {
    match bound {
        apigen_runtime::catalog::Bound::Int(i) => Some(serde_json::Number::from(i)),
        apigen_runtime::catalog::Bound::Float(f) => serde_json::Number::from_f64(f),
    }
}

/// Whether values of `kind` are scalars (text, numbers, booleans, dates, object ids):
/// what an index key, a path segment or a query parameter holds.
pub(super) fn is_scalar(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::String
            | Kind::Integer
            | Kind::Float
            | Kind::Number
            | Kind::Boolean
            | Kind::Datetime
            | Kind::ObjectId
    )
}
