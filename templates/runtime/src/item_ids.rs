//! The `_id` of an item write (PATCH, PUT), as Eve treats it: a body may repeat the
//! document's `_id` but never change it, and a PUT to an id no document has creates
//! the document with the URL's id (Eve's `UPSERT_ON_PUT`, `ResourceInfo::upsert_on_put`).

use axum::http::StatusCode;
use serde_json::Value;

use crate::error::ApiError;
use crate::resource::ResourceInfo;
use crate::routes::IdType;
use crate::validate::Issues;

/// PATCH and PUT may repeat the document's own `_id`, never change it: Eve answers
/// 400 when MongoDB refuses to update the immutable field, and 422 for an `_id` that
/// is not of the resource's id type, before anything is written.
pub fn check_unchanged(info: &ResourceInfo, id: &str, sent: &Value) -> Result<(), ApiError> {
    match info.id_type.client_id(sent) {
        Some(sent) if sent.eq_ignore_ascii_case(id) => Ok(()),
        Some(_) => Err(ApiError::bad_request(
            "Attempt to update an immutable field. Usually happens when PATCH or PUT include \
             a '_id' field, which is immutable (PUT can include it as long as it is unchanged).",
        )),
        None => {
            let mut issues = Issues::new();
            issues.add("_id", format!("must be of {} type", info.id_type.name()));
            Err(ApiError::invalid(issues, "Insertion"))
        }
    }
}

/// The largest integer id a PUT may create. The database numbers the documents of an
/// integer-id resource after the largest id it holds (SQLite `AUTOINCREMENT`), and a
/// document at `i64::MAX` would leave it no number for the next POST (`SQLITE_FULL`):
/// a client's id stays in the lower half, so the numbering keeps 2^62 ids after it.
pub const MAX_CREATED_INTEGER_ID: i64 = 1 << 62;

/// A PUT that would create an integer id above [`MAX_CREATED_INTEGER_ID`]: 422 on
/// `_id`, before anything is written.
pub fn check_creatable(info: &ResourceInfo, id: &str) -> Result<(), ApiError> {
    match (info.id_type, id.parse::<i64>()) {
        (IdType::Integer, Ok(number)) if number > MAX_CREATED_INTEGER_ID => {
            let mut issues = Issues::new();
            issues.add(
                "_id",
                format!(
                    "max value is {MAX_CREATED_INTEGER_ID}: larger ids are kept for the server's numbering"
                ),
            );
            Err(ApiError::invalid(issues, "Insertion"))
        }
        _ => Ok(()),
    }
}

/// A PUT that creates, to an id a document outside the URL's scope (another
/// sub-resource path, a datasource filter) holds: Eve's insert meets MongoDB's
/// duplicate key and answers 409.
pub fn taken_is_conflict(error: ApiError) -> ApiError {
    let taken = error.issues.as_ref().is_some_and(|issues| {
        issues.to_json()["_id"]
            .as_str()
            .is_some_and(|message| message.ends_with("is not unique"))
    });
    if !taken {
        return error;
    }
    ApiError::new(
        StatusCode::CONFLICT,
        "A conflict happened while processing the request. The resource might have been \
         modified while the request was being processed.",
    )
}

/// An `_id` from a path as a client would send it in a body: a JSON number for
/// integer ids, a string otherwise.
pub fn as_sent(info: &ResourceInfo, id: &str) -> Value {
    match (info.id_type, id.parse::<i64>()) {
        (IdType::Integer, Ok(number)) => Value::from(number),
        _ => Value::String(id.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_id_may_be_repeated_never_changed() {
        let info = ResourceInfo::DEFAULTS;
        let id = "5f1e4c2b9d3e2a00123456ab";
        assert!(check_unchanged(&info, id, &json!("5F1E4C2B9D3E2A00123456AB")).is_ok());
        let changed = check_unchanged(&info, id, &json!("5f1e4c2b9d3e2a00123456ac"));
        assert_eq!(changed.map_err(|e| e.status), Err(StatusCode::BAD_REQUEST));
        let malformed = check_unchanged(&info, id, &json!(7));
        assert_eq!(
            malformed.map_err(|e| e.status),
            Err(StatusCode::UNPROCESSABLE_ENTITY)
        );
    }

    #[test]
    fn a_path_id_is_sent_as_its_type() {
        let integer = ResourceInfo {
            id_type: IdType::Integer,
            ..ResourceInfo::DEFAULTS
        };
        assert_eq!(
            as_sent(&integer, "9007199254740993"),
            json!(9007199254740993_i64)
        );
        let objectid = ResourceInfo::DEFAULTS;
        assert_eq!(as_sent(&objectid, "0042"), json!("0042"));
    }

    #[test]
    fn only_a_taken_id_is_a_conflict() {
        let mut issues = Issues::new();
        issues.add("_id", "value '7' is not unique");
        let taken = taken_is_conflict(ApiError::invalid(issues, "Insertion"));
        assert_eq!(taken.status, StatusCode::CONFLICT);
        let mut issues = Issues::new();
        issues.add("name", "value 'x' is not unique");
        let other = taken_is_conflict(ApiError::invalid(issues, "Insertion"));
        assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}
