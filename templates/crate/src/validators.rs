//! Your custom validation rules: the spec's `validator = "..."` field rules.
//!
//! apigen created this file once and will never overwrite it: edit it freely. Each
//! rule is a method of `Validators`: return `Err(message)` to refuse a value (the
//! message is what `_issues` shows for the field) or `Ok(())` to accept it. The server
//! calls a rule only on values that passed the field's built-in rules. When the spec
//! names a new rule, the build fails until you add its method here.

use crate::api::validators::Validators;
use serde_json::Value;

/// The rules the server calls; the field catalogs name its methods.
pub struct AppValidators;

impl Validators for AppValidators {
{%- for v in validators %}
    /// `{{ v.name }}`, on {{ v.used_by }}.
    fn {{ v.name }}(value: &Value) -> Result<(), String> {
        // Until this rule is written it refuses every value: a stub that accepted
        // would let unchecked data in.
        let _ = value;
        Err("the `{{ v.name }}` rule is not written yet (src/validators.rs)".to_string())
    }
{%- endfor %}
}
