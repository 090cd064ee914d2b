{% if r.routes.is_empty() -%}
//! The `{{ r.name }}` resource, internal (`internal_resource`): no route serves it.
{%- else -%}
//! The `{{ r.name }}` resource: `{{ r.routes|join("` and `") }}`.
{%- endif %}
//!
{%- if aggregation.is_some() %}
//! An aggregation endpoint (`datasource.aggregation`): GET runs `AGGREGATION` over the
//! `{{ r.resource.table }}` documents. Its document struct and field catalog are those
//! of `{{ r.resource.table }}`, generated from `[resources.{{ r.name }}]`; the protocol
//! itself is in the runtime's `aggregation`.
{%- else %}
//! Its document struct, field catalog and table, generated from
//! {{ r.origin }}; the protocol itself is in `handlers`.
{%- endif %}

use crate::api::catalog::{Field, Kind};
use crate::api::resource::{Resource, ResourceInfo};
{%- if table_static.is_some() %}
use crate::api::schema;
{%- endif %}

{% for regex in regexes -%}
/// `regex` of `{{ regex.field }}`, anchored: Cerberus matches the whole value.
static {{ regex.name }}: ::std::sync::LazyLock<::regex::Regex> = ::std::sync::LazyLock::new(|| {
    ::regex::Regex::new({{ regex.pattern }}).expect("apigen checked this pattern")
});
{% endfor %}
{%- if let Some(lookup) = lookup %}
/// `additional_lookup` of `{{ lookup.field }}`: what a lookup value looks like, anchored.
static LOOKUP: ::std::sync::LazyLock<::regex::Regex> = ::std::sync::LazyLock::new(|| {
    ::regex::Regex::new({{ lookup.pattern }}).expect("apigen checked this pattern")
});
{% endif %}

/// The fields of a `{{ r.name }}` document and their rules.
pub static FIELDS: &[Field] = &[
{%- for entry in catalog %}
    {{ entry }},
{%- endfor %}
];

{%- if integer_ids %}
/// What `where` and `sort` may name: `_id` as the integer it is, then `FIELDS`.
static QUERY_FIELDS: &[Field] = &[
    Field::new("_id", Kind::Integer),
{%- for entry in catalog %}
    {{ entry }},
{%- endfor %}
];
{%- endif %}

{%- if let Some(table) = table_static %}

/// The `{{ r.resource.table }}` table: its key, typed columns and indexes.
pub static TABLE: schema::Table = {{ table }};
{%- endif %}

{%- if let Some(versions) = versions_static %}

/// Every version of a `{{ r.name }}` document (`versioning`), one a row.
pub static VERSIONS_TABLE: schema::Table = {{ versions }};
{%- endif %}

{%- if let Some(versioning) = versioning_static %}

/// How `{{ r.name }}` keeps its versions (`versioning`).
pub static VERSIONING: crate::api::resource::Versioning = {{ versioning }};
{%- endif %}

/// A `{{ r.name }}` document as stored and served.
#[derive(Debug, Clone)]
pub struct {{ r.resource.doc_type }} {
    pub _id: ::std::string::String,
{%- for field in r.resource.fields %}
    pub {{ field.ident }}: {{ field.struct_type() }},
{%- endfor %}
    pub _created: i64,
    pub _updated: i64,
    pub _etag: ::std::string::String,
}

/// The document as Eve serves it: `_id`, the fields present, then `_created`,
/// `_updated` and `_etag` (dates in the API's `date_format`).
impl ::serde::Serialize for {{ r.resource.doc_type }} {
    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
        use ::serde::ser::SerializeStruct;
        let mut state = serializer.serialize_struct({{ r.resource.doc_type|json }}, {{ r.resource.fields.len() + 4 }})?;
{%- if integer_ids %}
        state.serialize_field("_id", &crate::api::routes::NumericId(&self._id))?;
{%- else %}
        state.serialize_field("_id", &self._id)?;
{%- endif %}
{%- for field in r.resource.fields %}
        {{ field.serialize_stmt() }}
{%- endfor %}
{%- if r.resource.lifecycle.versioning %}
        if let ::std::option::Option::Some(value) = &self._version {
            state.serialize_field("_latest_version", value)?;
        }
{%- endif %}
        state.serialize_field("_created", &crate::api::date::Wire(self._created, &crate::api::DATE_FORMAT))?;
        state.serialize_field("_updated", &crate::api::date::Wire(self._updated, &crate::api::DATE_FORMAT))?;
        state.serialize_field("_etag", &self._etag)?;
        state.end()
    }
}

{%- if !r.resource.embeds.is_empty() %}
/// The references `?embedded=` may replace by the documents they name.
static EMBEDS: &[crate::api::embed::Embed] = &[
{%- for e in r.resource.embeds %}
    crate::api::embed::Embed {
        path: {{ e.path|json }},
        default: {{ e.default }},
        key: {{ e.key|json }},
        fetch: crate::api::embed::fetch::<crate::api::resources::{{ e.target }}>,
    },
{%- endfor %}
];

{%- endif %}

{%- if let Some(media) = media %}

/// The media fields of `{{ r.name }}` (files, uploaded as `multipart/form-data` parts)
/// and how documents serve them (`return_media_as_base64_string`,
/// `return_media_as_url`, `media_endpoint`, `extended_media_info`).
static MEDIA: crate::api::media::Media = {{ media }};
{%- endif %}
{%- if let Some(pipeline) = aggregation %}

/// `datasource.aggregation`: the pipeline a GET runs over `{{ r.resource.table }}`
/// (Eve's JSON, checked by apigen), with `?aggregate=` filling its placeholders.
pub static AGGREGATION: crate::api::resource::Aggregation =
    crate::api::resource::Aggregation::new({{ pipeline }});
{%- endif %}
{%- if let Some(import) = r.resource.import %}

/// Imports into `{{ r.name }}` (`[resources.{{ r.name }}.import]`): `POST .../import`
/// and the binary's `import` command.
static IMPORT: crate::api::import::Import = crate::api::import::Import {
    upsert_on: &[{% for key in import.upsert_on %}{{ key|json }}{% if !loop.last %}, {% endif %}{% endfor %}],
    replace: {{ import.replace }},
    batch: {{ import.batch }},
    max_bytes: {{ import.max_bytes }},
};
{%- endif %}

/// The `{{ r.name }}` resource as the protocol handlers see it.
pub static INFO: ResourceInfo = ResourceInfo {
    name: {{ r.resource.name|json }},
    url: {{ r.resource.url|json }},
    item_title: {{ item_title }},
    table: {{ table_ref }},
    fields: FIELDS,
    pagination_default: {{ r.resource.pagination_default }},
    pagination_limit: {{ r.resource.pagination_limit }},
{%- if let Some(filters) = r.resource.allowed_filters %}
    allowed_filters: Some(&[{% for name in filters %}{{ name|json }}, {% endfor %}]),
{%- endif %}
{%- if !r.resource.sorting %}
    sorting: false,
{%- endif %}
{%- if let Some(sort) = r.resource.datasource.default_sort %}
    default_sort: Some({{ sort|json }}),
{%- endif %}
{%- if !r.resource.pagination %}
    pagination: false,
{%- endif %}
{%- if !r.resource.projection %}
    projection: false,
{%- endif %}
{%- if let Some(projection) = r.resource.datasource.projection %}
    default_projection: Some({{ projection|json }}),
{%- endif %}
{%- if r.resource.validate_filtering %}
    validate_filtering: true,
{%- endif %}
{%- if aggregation.is_some() %}
    aggregation: Some(&AGGREGATION),
{%- endif %}
{%- if let Some(filter) = filter %}
    filter: Some({{ filter }}),
{%- endif %}
{%- if !r.resource.hateoas %}
    hateoas: false,
{%- endif %}
{%- if r.resource.oplog %}
    oplog: Some(&crate::api::OPLOG),
{%- endif %}
{%- if let Some(field) = r.resource.auth_field %}
    auth_field: Some({{ field|json }}),
{%- endif %}
{%- if !r.resource.embeds.is_empty() %}
    embeds: EMBEDS,
{%- endif %}
{%- if let Some(control) = cache_control %}
    cache_control: {{ control }},
{%- endif %}
{%- if r.resource.cache.expires > 0 %}
    cache_expires: {{ r.resource.cache.expires }},
{%- endif %}
{%- if !r.resource.path_fields.is_empty() %}
    path_fields: &[{% for f in r.resource.path_fields %}{{ f|json }}, {% endfor %}],
{%- endif %}
{%- if let Some(id) = custom_id %}
    id_type: crate::api::routes::IdType::{{ id.variant }},
    new_id: {{ id.new_id }},
{%- endif %}
{%- if integer_ids %}
    query_fields: Some(QUERY_FIELDS),
{%- endif %}
{%- if let Some(lookup) = r.resource.lookup %}
    lookup: Some(crate::api::routes::Lookup {
        field: {{ lookup.field|json }},
        pattern: &LOOKUP,
    }),
{%- endif %}
{%- if !r.resource.normalize_on_patch %}
    normalize_on_patch: false,
{%- endif %}
{%- if !r.resource.merge_nested_documents %}
    merge_nested_documents: false,
{%- endif %}
{%- if !r.resource.upsert_on_put %}
    upsert_on_put: false,
{%- endif %}
{%- if r.resource.lifecycle.soft_delete %}
    soft_delete: true,
{%- endif %}
{%- if let Some(versioning) = versioning_ref %}
    versioning: Some({{ versioning }}),
{%- endif %}
    dates: &crate::api::DATE_FORMAT,
{%- if media.is_some() %}
    media: &MEDIA,
{%- endif %}
{%- if form_fields_as_json %}
    multipart_form_fields_as_json: true,
{%- endif %}
{%- if r.resource.import.is_some() %}
    import: Some(&IMPORT),
{%- endif %}
    ..ResourceInfo::DEFAULTS
};

impl Resource for {{ r.resource.doc_type }} {
    const INFO: &'static ResourceInfo = &INFO;

    fn from_row<R: crate::api::store::Row>(row: &R) -> ::std::result::Result<Self, R::Error> {
        ::std::result::Result::Ok(Self {
            _id: row.key(0)?,
{%- for field in r.resource.fields %}
            {{ field.ident }}: {{ field.read_expr(loop.index) }},
{%- endfor %}
            _created: row.required_integer({{ r.resource.fields.len() + 1 }})?,
            _updated: row.required_integer({{ r.resource.fields.len() + 2 }})?,
            _etag: row.required_text({{ r.resource.fields.len() + 3 }})?,
        })
    }

    fn write_row<'r, R: crate::api::store::Row>(row: &'r R, out: &mut ::std::vec::Vec<u8>) -> ::std::result::Result<crate::api::store::RowMeta<'r>, R::Error> {
        let mut doc = crate::api::resource::JsonObject::new(out);
{%- if integer_ids %}
        let id = row.integer(0)?;
        doc.integer("_id", id, false);
{%- else %}
        let id = row.text_ref(0)?;
        doc.text("_id", id, false);
{%- endif %}
{%- for field in r.resource.fields %}
        {{ field.write_row_stmt(loop.index) }}
{%- endfor %}
{%- if let Some(column) = version_column %}
        doc.integer("_latest_version", row.integer({{ column }})?, false);
{%- endif %}
        doc.date("_created", ::std::option::Option::Some(row.required_integer({{ r.resource.fields.len() + 1 }})?), false, &crate::api::DATE_FORMAT);
        let updated = row.required_integer({{ r.resource.fields.len() + 2 }})?;
        doc.date("_updated", ::std::option::Option::Some(updated), false, &crate::api::DATE_FORMAT);
        let etag = row.text_ref({{ r.resource.fields.len() + 3 }})?;
        doc.text("_etag", etag, false);
        doc.finish();
        ::std::result::Result::Ok(crate::api::store::RowMeta {
{%- if integer_ids %}
            key: crate::api::store::RowKey::Integer(id.unwrap_or_default()),
{%- else %}
            key: crate::api::store::RowKey::Text(id.unwrap_or_default()),
{%- endif %}
            updated,
            etag: etag.unwrap_or_default(),
        })
    }

    fn id(&self) -> &str {
        &self._id
    }

    fn created(&self) -> i64 {
        self._created
    }

    fn updated(&self) -> i64 {
        self._updated
    }

    fn etag(&self) -> &str {
        &self._etag
    }
{%- if r.resource.lifecycle.soft_delete %}

    fn deleted(&self) -> bool {
        self._deleted == ::std::option::Option::Some(true)
    }
{%- endif %}
{%- if r.resource.lifecycle.versioning %}

    fn version(&self) -> ::std::option::Option<i64> {
        self._version
    }
{%- endif %}

    fn into_fields(self) -> ::serde_json::Map<::std::string::String, ::serde_json::Value> {
        let mut fields = ::serde_json::Map::new();
{%- for field in r.resource.fields %}
{%- if field.nullable %}
        fields.insert(
            {{ field.name|json }}.into(),
            match self.{{ field.ident }} {
                ::std::option::Option::Some(value) => {{ field.json_expr() }},
                ::std::option::Option::None => ::serde_json::Value::Null,
            },
        );
{%- else %}
        if let ::std::option::Option::Some(value) = self.{{ field.ident }} {
            fields.insert({{ field.name|json }}.into(), {{ field.json_expr() }});
        }
{%- endif %}
{%- endfor %}
        fields
    }
{%- if !hooks.resource_items.is_empty() %}
{{ hooks.resource_items }}
{%- endif %}
}
{%- if !hooks.declarations.is_empty() %}

{{ hooks.declarations }}
{%- endif %}
