//! One module per resource of the spec: its document struct, field catalog and table.
{% for r in resources %}
pub mod {{ r.module_ident }};
{%- endfor %}
