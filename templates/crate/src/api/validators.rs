//! The custom validation rules the spec names (`validator = "..."`), Cerberus'
//! `check_with`: one required method of [`Validators`] each, which your
//! `src/validators.rs` implements, so a rule the spec names but nobody wrote is a
//! build error naming it. The field catalogs call the functions below, which call
//! your methods; an `Err` message is reported in `_issues` like a built-in rule's.

/// The custom rules: `Err(message)` refuses a value, `Ok(())` accepts it. The server
/// calls a rule only on values that passed the field's built-in rules.
pub trait Validators {
{%- for v in validators %}
    /// `validator = "{{ v.name }}"`, on {{ v.used_by }}.
    fn {{ v.name }}(value: &::serde_json::Value) -> ::std::result::Result<(), ::std::string::String>;
{%- endfor %}
}
{% for v in validators %}
/// The `{{ v.name }}` rule as the field catalogs call it: your implementation.
pub fn {{ v.name }}(value: &::serde_json::Value) -> ::std::result::Result<(), ::std::string::String> {
    <crate::validators::AppValidators as Validators>::{{ v.name }}(value)
}
{% endfor %}
