//! Unit tests of live subscriptions: how events are written and resume positions
//! read. The subscriptions themselves are tested end to end (`tests/e2e_live.rs`).

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue};

use super::*;

fn event(kind: Kind, data: &str) -> Event {
    Event {
        position: 42,
        kind,
        data: Arc::from(data.as_bytes()),
    }
}

#[test]
fn an_sse_event_has_its_oplog_position_as_id() {
    let text = Format::Sse.event(&event(Kind::Insert, r#"{"_id":"a","name":"Zoë"}"#));
    assert_eq!(
        std::str::from_utf8(&text).unwrap(),
        "id: 42\nevent: insert\ndata: {\"_id\":\"a\",\"name\":\"Zoë\"}\n\n"
    );
}

#[test]
fn a_websocket_event_names_its_subscription() {
    let format = Format::Socket(Arc::from("s\"1"));
    let text = format.event(&event(Kind::Delete, r#"{"_id":7}"#));
    let message: serde_json::Value = serde_json::from_slice(&text).unwrap();
    assert_eq!(
        message,
        serde_json::json!({"type": "event", "subscription": "s\"1", "id": 42, "event": "delete", "data": {"_id": 7}})
    );
}

#[test]
fn last_event_id_wins_over_since_and_a_bad_one_is_refused() {
    let mut headers = HeaderMap::new();
    assert_eq!(resume_position(&headers, None).unwrap(), None);
    assert_eq!(
        resume_position(&headers, Some("since=7&where=x")).unwrap(),
        Some(7)
    );
    headers.insert("last-event-id", HeaderValue::from_static("12"));
    assert_eq!(
        resume_position(&headers, Some("since=7")).unwrap(),
        Some(12)
    );
    headers.insert("last-event-id", HeaderValue::from_static(""));
    assert_eq!(resume_position(&headers, None).unwrap(), None);
    for bad in ["-1", "1.5", "abc", "99999999999999999999"] {
        headers.insert("last-event-id", HeaderValue::from_str(bad).unwrap());
        let error = resume_position(&headers, None).unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[test]
fn a_close_reason_is_cut_to_what_a_close_frame_holds_on_a_character_boundary() {
    let long = "é".repeat(100);
    let reason = ws::close_reason(&long);
    assert!(reason.len() <= 123);
    assert_eq!(reason, "é".repeat(61));
}

#[test]
fn a_full_server_refuses_a_subscription_and_frees_the_place_when_one_ends() {
    let live = Arc::new(Live::new(
        Limits {
            max_subscriptions: 1,
            ..Limits::default()
        },
        Arc::new(InMemory::default()),
    ));
    let first = live.admit().unwrap();
    assert_eq!(live.open_subscriptions(), 1);
    let refused = live.admit().err().unwrap();
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(live.open_subscriptions(), 1);
    drop(first);
    assert_eq!(live.open_subscriptions(), 0);
    assert!(live.admit().is_ok());
}
