//! The files a spec's extension points add to a crate: the `Validators` trait of the
//! custom rules it names (apigen's) and the user's `src/validators.rs` that implements
//! it (created once, when missing, with a stub per rule that refuses every value).

use askama::Template;

use crate::crate_files::Owner;
use crate::model::Model;
use crate::render::{self, RenderError};

/// A custom rule as the templates show it.
pub struct ValidatorView {
    /// The method's name, a plain identifier (checked by the model).
    pub name: String,
    /// The fields using it, for doc comments: "`people.lucky_number`".
    pub used_by: String,
}

#[derive(Template)]
#[template(path = "crate/src/api/validators.rs", escape = "none")]
struct ApiValidatorsRs<'a> {
    validators: &'a [ValidatorView],
}

#[derive(Template)]
#[template(path = "crate/src/validators.rs", escape = "none")]
struct UserValidatorsRs<'a> {
    validators: &'a [ValidatorView],
}

fn views(model: &Model) -> Vec<ValidatorView> {
    model
        .validators()
        .into_iter()
        .map(|v| ValidatorView {
            used_by: v
                .used_by
                .iter()
                .map(|path| format!("`{path}`"))
                .collect::<Vec<_>>()
                .join(", "),
            name: v.name,
        })
        .collect()
}

/// `(path, contents, owner)` of each file the spec's extension points need; none when
/// it names no custom rule.
pub fn files(model: &Model) -> Result<Vec<(&'static str, String, Owner)>, RenderError> {
    let validators = views(model);
    if validators.is_empty() {
        return Ok(Vec::new());
    }
    let generated = render::rust(
        &ApiValidatorsRs {
            validators: &validators,
        },
        "crate/src/api/validators.rs",
    )?;
    // The user's file is theirs to format: written as the template lays it out.
    let user = render::text(
        &UserValidatorsRs {
            validators: &validators,
        },
        "crate/src/validators.rs",
    )?;
    Ok(vec![
        ("src/api/validators.rs", generated, Owner::Apigen),
        ("src/validators.rs", user, Owner::User),
    ])
}
