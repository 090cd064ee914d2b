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
    /// `trimmed`, on `works.tags[]`: a tag is written without surrounding spaces, so
    /// `"rust"` and `" rust"` cannot both be stored as different tags.
    fn trimmed(value: &Value) -> Result<(), String> {
        match value.as_str() {
            Some(text) if text.trim() != text => {
                Err("must not start or end with whitespace".to_string())
            }
            Some("") => Err("empty values not allowed".to_string()),
            _ => Ok(()),
        }
    }
}
