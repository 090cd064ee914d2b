//! One module per resource of the spec: its document struct, field catalog and SQL.
{% for r in resources %}
pub mod {{ r.module_ident }};
{%- endfor %}

/// The fixed filter (`datasource.filter`) of the resource with this name, as SQL: a
/// `data_relation` to a filtered resource names only the documents it serves.
{%- let filtered = self.filtered() %}
{%- if filtered.is_empty() %}
pub fn datasource_filter(_resource: &str) -> Option<&'static str> {
    None
}
{%- else %}
pub fn datasource_filter(resource: &str) -> Option<&'static str> {
    match resource {
{%- for r in filtered %}
        "{{ r.name }}" => {{ r.module_ident }}::INFO.filter,
{%- endfor %}
        _ => None,
    }
}
{%- endif %}
