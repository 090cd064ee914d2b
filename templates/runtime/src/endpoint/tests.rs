use axum::http::{header, HeaderValue};
use serde_json::json;

use super::*;

static ROW: &[Field] = &[Field {
    required: true,
    ..Field::new("year", Kind::Integer)
}];
static ROW_RULE: Field = Field::new("", Kind::Dict);
static ROWS: Field = Field {
    required: true,
    items: Some(&Field {
        schema: ROW,
        ..Field::new("", Kind::Dict)
    }),
    ..Field::new("body", Kind::List)
};
static OPTIONAL: Field = Field {
    schema: ROW,
    ..Field::new("body", Kind::Dict)
};

static PATH: &[Field] = &[
    Field {
        required: true,
        ..Field::new("table_name", Kind::String)
    },
    Field {
        required: true,
        ..Field::new("year", Kind::Integer)
    },
];

static QUERY: &[Field] = &[
    Field {
        required: true,
        ..Field::new("since", Kind::Datetime)
    },
    Field::new("ratio", Kind::Float),
    Field::new("exact", Kind::Boolean),
    Field {
        min: Some(crate::catalog::Bound::Int(1)),
        ..Field::new("limit", Kind::Integer)
    },
    Field::new("tags", Kind::List),
    Field::new("id", Kind::ObjectId),
];

type Doc = Map<String, Value>;

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The `_issues` of a 422, as JSON.
fn issues(error: ApiError) -> Value {
    assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY, "{error:?}");
    error.issues.expect("issues").to_json()
}

#[test]
fn path_values_are_converted_by_kind_and_validated() {
    let doc: Doc = path(
        PATH,
        &params(&[("table_name", "Zoë/東京"), ("year", "-1969")]),
    )
    .unwrap();
    assert_eq!(
        Value::Object(doc),
        json!({"table_name": "Zoë/東京", "year": -1969})
    );
    // By position when the route names its parameters otherwise.
    let doc: Doc = path(
        PATH,
        &params(&[("id", "t"), ("id1", "9223372036854775807")]),
    )
    .unwrap();
    assert_eq!(doc["year"], json!(i64::MAX));
}

#[test]
fn a_path_value_of_the_wrong_type_is_a_422_naming_it() {
    for bad in ["9223372036854775808", "", "1.5", "x", " 1"] {
        let error = path::<Doc>(PATH, &params(&[("table_name", "t"), ("year", bad)])).unwrap_err();
        assert_eq!(
            issues(error),
            json!({"year": "must be of integer type"}),
            "{bad:?}"
        );
    }
    // The empty text is a string.
    let doc: Doc = path(PATH, &params(&[("table_name", ""), ("year", "0")])).unwrap();
    assert_eq!(doc["table_name"], "");
}

fn since() -> &'static str {
    "since=Mon,%2001%20Jan%201900%2000:00:00%20GMT"
}

#[test]
fn query_parameters_are_converted_and_validated() {
    let raw = format!(
        "{}&ratio=-0.25&exact=TRUE&limit=3&tags=%5B%22a%22,%22%C3%A9%22%5D&id=5F8D0D55B54764421B7156C1&key=secret&pretty",
        since()
    );
    let doc: Doc = query(QUERY, Some(&raw)).unwrap();
    assert_eq!(
        Value::Object(doc),
        json!({"since": "Mon, 01 Jan 1900 00:00:00 GMT", "ratio": -0.25, "exact": true,
               "limit": 3, "tags": ["a", "é"], "id": "5f8d0d55b54764421b7156c1"})
    );
    // Datetimes before 1970 are the dates the typed structs read back.
    assert_eq!(
        crate::date::RFC1123.parse("Mon, 01 Jan 1900 00:00:00 GMT"),
        Some(-2_208_988_800)
    );
    for (text, expected) in [("1", true), ("0", false), ("false", false), ("True", true)] {
        let doc: Doc = query(QUERY, Some(&format!("{}&exact={text}", since()))).unwrap();
        assert_eq!(doc["exact"], json!(expected), "{text}");
    }
    let doc: Doc = query(QUERY, Some(&format!("{}&ratio=1e3", since()))).unwrap();
    assert_eq!(doc["ratio"].as_f64(), Some(1000.0));
}

#[test]
fn bad_query_parameters_are_422s_naming_them() {
    let error = query::<Doc>(QUERY, Some("limit=2")).unwrap_err();
    assert_eq!(issues(error), json!({"since": "required field"}));
    let error = query::<Doc>(QUERY, None).unwrap_err();
    assert_eq!(issues(error), json!({"since": "required field"}));
    let raw = format!("{}&limit=0&ratio=NaN&exact=yes&tags=%5B", since());
    let error = query::<Doc>(QUERY, Some(&raw)).unwrap_err();
    assert_eq!(
        issues(error),
        json!({"limit": "min value is 1", "ratio": "must be of float type",
               "exact": "must be of boolean type", "tags": "must be of list type"})
    );
    let error = query::<Doc>(QUERY, Some("since=yesterday")).unwrap_err();
    assert_eq!(issues(error), json!({"since": "must be of datetime type"}));
    let error = query::<Doc>(QUERY, Some(&format!("{}&limit=", since()))).unwrap_err();
    assert_eq!(issues(error), json!({"limit": "must be of integer type"}));
}

#[test]
fn unknown_and_repeated_query_parameters_are_400s() {
    let error = query::<Doc>(QUERY, Some(&format!("{}&sinse=1", since()))).unwrap_err();
    assert_eq!(error.status, StatusCode::BAD_REQUEST);
    assert!(error.message.contains("'sinse'"), "{}", error.message);
    let error = query::<Doc>(QUERY, Some(&format!("{}&limit=1&limit=2", since()))).unwrap_err();
    assert_eq!(error.status, StatusCode::BAD_REQUEST);
    assert!(error.message.contains("'limit'"), "{}", error.message);
    // The server's own parameters pass, and so does the API's JSONP argument.
    let raw = format!(
        "{}&visitor=a&stamp=1&token=x&type=y&callback=f&cb=g",
        since()
    );
    assert!(query::<Doc>(QUERY, Some(&raw)).is_err());
    let doc: Doc = query_ignoring(QUERY, Some(&raw), &["cb"]).unwrap();
    assert_eq!(doc.len(), 1);
}

fn settings() -> Settings {
    Settings {
        prefix: "/api",
        max_body_bytes: 64,
        bulk_max_items: 10,
        body_read_timeout: std::time::Duration::from_secs(5),
    }
}

fn json_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers
}

async fn read<T: DeserializeOwned>(
    rule: &'static Field,
    headers: &HeaderMap,
    text: &str,
) -> Result<T, ApiError> {
    body(rule, headers, Body::from(text.to_string()), &settings()).await
}

#[tokio::test]
async fn a_body_is_validated_against_its_rule() {
    let rows: Vec<Doc> = read(
        &ROWS,
        &json_headers(),
        r#"[{"year": -300}, {"year": 2040}]"#,
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    let error = read::<Value>(&ROWS, &json_headers(), r#"[{"year": 1}, {"yr": 2}]"#)
        .await
        .unwrap_err();
    assert_eq!(
        issues(error),
        json!({"body": {"1": {"year": "required field", "yr": "unknown field"}}})
    );
    let error = read::<Value>(&ROWS, &json_headers(), r#"{"year": 1}"#)
        .await
        .unwrap_err();
    assert_eq!(issues(error), json!({"body": "must be of list type"}));
    // An unnamed rule's issues are the value's.
    let error = read::<Value>(&ROW_RULE, &json_headers(), "[]")
        .await
        .unwrap_err();
    assert_eq!(issues(error), json!({"value": "must be of dict type"}));
}

#[tokio::test]
async fn a_body_must_be_json_well_formed_and_within_the_limit() {
    let mut form = HeaderMap::new();
    form.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let error = read::<Value>(&ROWS, &form, "year=1").await.unwrap_err();
    assert_eq!(error.status, StatusCode::BAD_REQUEST);
    let error = read::<Value>(&ROWS, &HeaderMap::new(), "[]")
        .await
        .unwrap_err();
    assert_eq!(error.status, StatusCode::BAD_REQUEST);
    let error = read::<Value>(&ROWS, &json_headers(), "[{")
        .await
        .unwrap_err();
    assert_eq!(error.status, StatusCode::BAD_REQUEST);
    let huge = format!("[{}]", [r#"{"year":1}"#; 10].join(","));
    let error = read::<Value>(&ROWS, &json_headers(), &huge)
        .await
        .unwrap_err();
    assert_eq!(error.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn an_empty_body_is_none_unless_required() {
    let error = read::<Value>(&ROWS, &json_headers(), "").await.unwrap_err();
    assert_eq!(issues(error), json!({"body": "required field"}));
    let none: Option<Doc> = read(&OPTIONAL, &HeaderMap::new(), "").await.unwrap();
    assert_eq!(none, None);
    let some: Option<Doc> = read(&OPTIONAL, &json_headers(), r#"{"year": 7}"#)
        .await
        .unwrap();
    assert_eq!(some.map(Value::Object), Some(json!({"year": 7})));
    // An explicit null needs a nullable rule.
    let error = read::<Option<Doc>>(&OPTIONAL, &json_headers(), "null")
        .await
        .unwrap_err();
    assert_eq!(issues(error), json!({"body": "null value not allowed"}));
}

async fn text_of(response: Response) -> (StatusCode, Option<HeaderValue>, String) {
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).cloned();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        content_type,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn answers_are_json_and_unit_is_no_content() {
    let (status, _, text) = text_of(respond(&())).await;
    assert_eq!((status, text.as_str()), (StatusCode::NO_CONTENT, ""));
    let (status, content_type, text) = text_of(respond(&42_i64)).await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, "42"));
    assert_eq!(content_type.unwrap(), "application/json");
    let (_, _, text) = text_of(respond(&json!({"n": "é"}))).await;
    assert_eq!(text, r#"{"n":"é"}"#);
    assert!(respond(&json!([])).headers().get(header::ETAG).is_none());
    // `None` is JSON's null, not "no content".
    let (status, _, text) = text_of(respond(&None::<i64>)).await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, "null"));
}

#[tokio::test]
async fn bare_answers_render_as_xml_pretty_and_jsonp() {
    use crate::render::{rewrite, Output};
    let xml = rewrite(respond(&42_u64), Output::Xml(crate::xml::render), false).await;
    let (_, content_type, text) = text_of(xml).await;
    assert_eq!(text, "<resource>42</resource>");
    assert_eq!(content_type.unwrap(), "application/xml; charset=utf-8");
    let xml = rewrite(respond(&vec![1, 2]), Output::Xml(crate::xml::render), false).await;
    assert_eq!(
        text_of(xml).await.2,
        "<resource><resource>1</resource><resource>2</resource></resource>"
    );
    let pretty = rewrite(respond(&vec![1, 2]), Output::Pretty, false).await;
    assert_eq!(text_of(pretty).await.2, "[\n    1,\n    2\n]");
    let jsonp = Output::Jsonp {
        callback: "f".into(),
        pretty: false,
    };
    assert_eq!(
        text_of(rewrite(respond(&7), jsonp, false).await).await.2,
        "f(7)"
    );
    // No content stays no content.
    let none = rewrite(respond(&()), Output::Pretty, false).await;
    assert_eq!(none.status(), StatusCode::NO_CONTENT);
}

#[test]
fn an_unwritten_endpoint_is_a_501_saying_where_to_write_it() {
    let error = ApiError::not_implemented("table_count");
    assert_eq!(error.status, StatusCode::NOT_IMPLEMENTED);
    assert_eq!(
        error.message,
        "The endpoint 'table_count' is not implemented yet: write it in src/endpoints.rs"
    );
    // User code builds its own 422.
    let mut issues = Issues::new();
    issues.add("year", "must be after 1900");
    let error = ApiError::invalid(issues, "Insertion");
    assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
}
