//! Media fields (`type = "media"`) and form bodies: Eve's `RETURN_MEDIA_AS_BASE64_STRING`,
//! `RETURN_MEDIA_AS_URL`, `MEDIA_ENDPOINT` and `EXTENDED_MEDIA_INFO`, resolved from
//! `[api]` with Eve's defaults, the cap on uploads (`media_max_bytes`), and the rules a
//! media field follows (top level only; no `unique`, `default` or `allowed`).
//! (`multipart_form_fields_as_json` is a resource's setting, inherited from `[api]`.)
//!
//! A spec with a media field gets the runtime's media table (`_media`) in its storage
//! schema, so the manifest and migrations see it like a resource's table.

use toml::Spanned;

use super::storage::{Column, ColumnType, Key, Table};
use super::{Kind, Resolver, Resource};
use crate::diagnostic::Diagnostic;
use crate::spec::{ApiSpec, FieldSpec};

/// The media table's name: the runtime's `media::TABLE`.
pub const TABLE: &str = "_media";

/// What `extended_media_info` may name (the runtime's `media::Extended`).
const EXTENDED: [(&str, &str); 3] = [
    ("content_type", "ContentType"),
    ("name", "Name"),
    ("length", "Length"),
];

/// The API's media and form settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    /// `return_media_as_base64_string` (Eve: true).
    pub as_base64: bool,
    /// `return_media_as_url` (Eve: false): also serves the media endpoint.
    pub as_url: bool,
    /// `media_endpoint` (Eve: `"media"`).
    pub endpoint: String,
    /// `extended_media_info`, as the runtime's `media::Extended` variants, in order.
    pub extended: Vec<&'static str>,
    /// `media_max_bytes`: the largest multipart body of a resource with media fields.
    pub max_bytes: u64,
}

impl Default for Media {
    fn default() -> Self {
        Media {
            as_base64: true,
            as_url: false,
            endpoint: "media".into(),
            extended: Vec::new(),
            max_bytes: super::resolve::MAX_BODY_BYTES,
        }
    }
}

impl Resource {
    /// The resource's media fields (all top-level), in spec order: single files and
    /// lists of files.
    pub fn media_fields(&self) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .filter(|f| f.kind == Kind::Media || f.is_media_list())
            .map(|f| f.name.as_str())
    }

    /// Its lists of files (`type = "list"`, `items = { type = "media" }`), in spec order.
    pub fn media_lists(&self) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .filter(|f| f.is_media_list())
            .map(|f| f.name.as_str())
    }
}

impl super::Field {
    /// A list of files: its column holds a JSON list of media ids.
    pub fn is_media_list(&self) -> bool {
        self.kind == Kind::List && self.items.as_ref().is_some_and(|i| i.kind == Kind::Media)
    }
}

/// The media table, when some resource has a media field.
pub fn table(resources: &[Resource]) -> Option<Table> {
    resources
        .iter()
        .any(|r| r.media_fields().next().is_some())
        .then(|| Table {
            name: TABLE.into(),
            key: Key::Text,
            columns: [
                ("content_type", ColumnType::Text),
                ("name", ColumnType::Text),
                ("length", ColumnType::Integer),
                ("uploaded", ColumnType::Datetime),
                ("data", ColumnType::Blob),
            ]
            .into_iter()
            .map(|(name, ty)| Column {
                name: name.into(),
                ty,
            })
            .collect(),
            indexes: Vec::new(),
        })
}

impl Resolver<'_> {
    /// The media settings of `[api]`.
    pub(super) fn media(&self, api: &ApiSpec, max_body_bytes: u64) -> Result<Media, Diagnostic> {
        let defaults = Media::default();
        let endpoint = match &api.media_endpoint {
            None => defaults.endpoint,
            Some(value) => {
                let text = value.get_ref();
                let segment = !text.is_empty()
                    && text
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
                if !segment {
                    return Err(self
                        .error(value, format!("invalid media endpoint `{text}`"))
                        .with_help("a media endpoint is one path segment: letters, digits, `-`, `_` or `.`, like \"media\""));
                }
                text.clone()
            }
        };
        let mut extended = Vec::new();
        for name in api.extended_media_info.iter().flatten() {
            let Some((_, variant)) = EXTENDED.iter().find(|(n, _)| n == name.get_ref()) else {
                return Err(self
                    .error(name, format!("unknown media info `{}`", name.get_ref()))
                    .with_help(
                        "`extended_media_info` takes \"content_type\", \"name\" and \"length\"",
                    ));
            };
            if extended.contains(variant) {
                return Err(self
                    .error(name, format!("`{}` is listed twice", name.get_ref()))
                    .with_help("list each media info once"));
            }
            extended.push(*variant);
        }
        Ok(Media {
            as_base64: api
                .return_media_as_base64_string
                .unwrap_or(defaults.as_base64),
            as_url: api.return_media_as_url.unwrap_or(defaults.as_url),
            endpoint,
            extended,
            max_bytes: match &api.media_max_bytes {
                Some(v) => self.positive(v, "media_max_bytes")? as u64,
                None => max_body_bytes,
            },
        })
    }

    /// A media field is a resource's top-level field or the items of a top-level list
    /// (a list of files), and takes no rule that compares values: a file has none to
    /// compare. `name` is empty for a list's items.
    pub(super) fn check_media_rule(
        &self,
        name: &str,
        spanned: &Spanned<FieldSpec>,
        kind: Kind,
        depth: usize,
    ) -> Result<(), Diagnostic> {
        let spec = spanned.get_ref();
        let list_of_media = kind == Kind::List
            && spec
                .items
                .as_ref()
                .is_some_and(|items| items.get_ref().kind.get_ref() == Kind::Media.name());
        if kind != Kind::Media && !list_of_media {
            return Ok(());
        }
        // The items of a top-level list: depth 1, no name.
        let top_level = depth == 0 || (kind == Kind::Media && depth == 1 && name.is_empty());
        if !top_level {
            return Err(self
                .error(&spec.kind, "a `media` field must be a resource's top-level field, or the items of a top-level list")
                .with_help("files inside dicts, and lists of files inside dicts or lists, are not supported: give each file, or list of files, its own top-level field"));
        }
        let refused = [
            (spec.unique, "unique"),
            (spec.default.is_some(), "default"),
            (spec.allowed.is_some(), "allowed"),
        ];
        if let Some((_, key)) = refused.iter().find(|(set, _)| *set) {
            let what = if list_of_media {
                "a list of `media`"
            } else {
                "a `media` field"
            };
            return Err(self
                .error(spanned, format!("{what} cannot have `{key}`"))
                .with_help(format!(
                    "remove `{key}`: a file is uploaded, never compared or filled in"
                )));
        }
        Ok(())
    }

    /// With `return_media_as_url`, the media endpoint must not be a resource's path.
    pub(super) fn check_media_endpoint(
        &self,
        media: &Media,
        resources: &[Resource],
    ) -> Result<(), Diagnostic> {
        let uses_media = resources.iter().any(|r| r.media_fields().next().is_some());
        if !uses_media || !media.as_url {
            return Ok(());
        }
        let api = self.spec.api.get_ref();
        let Some(clash) = resources
            .iter()
            .find(|r| r.url.split('/').next() == Some(media.endpoint.as_str()))
        else {
            return Ok(());
        };
        let message = format!(
            "the media endpoint `{}` is also the path of resource `{}`",
            media.endpoint, clash.name
        );
        let help =
            "set `media_endpoint` to another path segment, or give the resource another `url`";
        Err(match &api.media_endpoint {
            Some(endpoint) => self.error(endpoint, message),
            None => self.error(&self.spec.api, message),
        }
        .with_help(help))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::model;

    const SPEC: &str = "[api]\nname = \"shop\"\nversion = \"1.0.0\"\n\
        return_media_as_base64_string = false\nreturn_media_as_url = true\n\
        extended_media_info = [\"name\", \"length\"]\n\
        [resources.items.schema]\ntitle = { type = \"string\" }\nphoto = { type = \"media\" }\n";

    #[test]
    fn media_settings_and_the_media_table() {
        let m = model(SPEC).expect("valid spec");
        assert_eq!(
            m.api.media,
            Media {
                as_base64: false,
                as_url: true,
                endpoint: "media".into(),
                extended: vec!["Name", "Length"],
                max_bytes: 1048576,
            }
        );
        assert_eq!(m.resources[0].media_fields().collect::<Vec<_>>(), ["photo"]);
        let names: Vec<&str> = m.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["items", TABLE]);
        assert_eq!(m.tables[0].columns[1].ty, ColumnType::Text, "the media id");
    }

    #[test]
    fn no_media_table_without_a_media_field() {
        let m = model("[api]\nname = \"shop\"\nversion = \"1.0.0\"\n[resources.items.schema]\ntitle = { type = \"string\" }\n")
            .expect("valid spec");
        assert_eq!(m.tables.len(), 1);
        assert_eq!(m.api.media, Media::default());
    }
}
