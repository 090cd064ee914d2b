//! Dates across the whole calendar, end to end: a person born in 1955 and one born in
//! 2100 go in by POST, come back by GET exactly as written, and are found by `where`
//! with `$lt`/`$gt` and ordered by `sort` (the people API speaks RFC 1123, Eve's
//! default `DATE_FORMAT`; stored as epoch seconds, negative before 1970).

mod support;

use serde_json::{Value, json};
use support::{API, TestServer, enc};

const BORN_1955: &str = "Sat, 01 Jan 1955 00:00:00 GMT";
const BORN_1969: &str = "Wed, 31 Dec 1969 23:59:59 GMT";
const BORN_2100: &str = "Fri, 01 Jan 2100 12:30:00 GMT";

fn people() -> String {
    format!("{API}/people")
}

/// The last names of a collection answer, in order.
fn lastnames(body: &Value) -> Vec<String> {
    body["_items"]
        .as_array()
        .expect("a collection")
        .iter()
        .map(|item| item["lastname"].as_str().expect("a lastname").to_string())
        .collect()
}

#[test]
fn dates_before_1970_and_after_2038_round_trip_through_post_get_and_where() {
    let server = TestServer::start();
    let mut ids = Vec::new();
    for (lastname, born) in [
        ("Old", BORN_1955),
        ("Eve", BORN_1969),
        ("Future", BORN_2100),
    ] {
        let response = server.post(&people(), &json!({"lastname": lastname, "born": born}));
        assert_eq!(response.status, 201, "{}", response.text());
        ids.push(response.json()["_id"].as_str().expect("an id").to_string());
    }

    // GET answers the dates exactly as they were written.
    for (id, born) in ids.iter().zip([BORN_1955, BORN_1969, BORN_2100]) {
        let document = server.get(&format!("{API}/people/{id}")).json();
        assert_eq!(document["born"], born, "{document}");
    }

    // `where` compares them as instants, on either side of the epoch and of 2038.
    let find = |filter: Value| {
        let query = format!("where={}&sort=born", enc(&filter.to_string()));
        let response = server.get(&format!("{}?{query}", people()));
        assert_eq!(response.status, 200, "{}", response.text());
        lastnames(&response.json())
    };
    assert_eq!(
        find(json!({"born": {"$lt": "Thu, 01 Jan 1970 00:00:00 GMT"}})),
        ["Old", "Eve"]
    );
    assert_eq!(
        find(json!({"born": {"$gt": "Tue, 19 Jan 2038 03:14:08 GMT"}})),
        ["Future"]
    );
    assert_eq!(
        find(json!({"born": {"$gt": BORN_1955, "$lt": BORN_2100}})),
        ["Eve"]
    );
    assert_eq!(find(json!({"born": BORN_1955})), ["Old"]);

    // And sort orders them by instant, newest first here.
    let response = server.get(&format!("{}?sort=-born", people()));
    assert_eq!(lastnames(&response.json()), ["Future", "Eve", "Old"]);
}

#[test]
fn impossible_and_out_of_range_dates_are_422() {
    let server = TestServer::start();
    for born in [
        "Sat, 01 Jan 0000 00:00:00 GMT",
        "Thu, 29 Feb 2001 00:00:00 GMT",
        "Sat, 01 Jan 10000 00:00:00 GMT",
    ] {
        let issues = server
            .post(&people(), &json!({"lastname": "X", "born": born}))
            .issues();
        assert_eq!(
            issues,
            json!({"born": "must be of datetime type"}),
            "{born}"
        );
    }
}
