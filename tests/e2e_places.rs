//! The crate generated from `specs/places.toml`, over HTTP: Eve's PATCH normalization
//! settings (`normalize_on_patch`, `merge_nested_documents`), PUT with nested defaults,
//! a custom `date_format` (ISO 8601) for documents and filters, and the GeoJSON types
//! with `$near`. Also RFC 1123 date filters on the people API (Eve's default format).

mod support;

use serde_json::{Value, json};
use support::{API, TestServer, enc, is_rfc1123};

fn start() -> TestServer {
    support::start_generated!(places_api, API)
}

/// Create a document and return its id.
fn create(server: &TestServer, resource: &str, document: Value) -> String {
    server.create(resource, document)["_id"]
        .as_str()
        .expect("an _id")
        .to_string()
}

/// GET an item that must exist.
fn item(server: &TestServer, resource: &str, id: &str) -> Value {
    let response = server.get(&format!("{API}/{resource}/{id}"));
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// PATCH an item with its current tag; the response must be 200.
fn patch_ok(server: &TestServer, resource: &str, id: &str, changes: Value) -> Value {
    let tag = item(server, resource, id)["_etag"]
        .as_str()
        .expect("an _etag")
        .to_string();
    let response = server.patch(&format!("{API}/{resource}/{id}"), Some(&tag), &changes);
    assert_eq!(response.status, 200, "PATCH {changes}: {}", response.text());
    item(server, resource, id)
}

/// PUT an item with its current tag; the response must be 200.
fn put_ok(server: &TestServer, resource: &str, id: &str, document: Value) -> Value {
    let tag = item(server, resource, id)["_etag"]
        .as_str()
        .expect("an _etag")
        .to_string();
    let response = server.put(&format!("{API}/{resource}/{id}"), Some(&tag), &document);
    assert_eq!(response.status, 200, "PUT {document}: {}", response.text());
    item(server, resource, id)
}

/// The `name`s of a collection GET with this `where` (and extra query), in order.
fn names(server: &TestServer, resource: &str, filter: &str, extra: &str) -> Vec<String> {
    server
        .column(
            &format!("{API}/{resource}?where={}{extra}", enc(filter)),
            "name",
        )
        .iter()
        .map(|name| name.as_str().expect("a name").to_string())
        .collect()
}

// --- PATCH: normalize_on_patch and merge_nested_documents ---------------------------

#[test]
fn patch_fills_missing_nested_defaults_and_both_forms_merge_alike() {
    let server = start();
    let id = create(&server, "places", json!({"name": "Forum"}));
    let document = item(&server, "places", &id);
    assert_eq!(document["rating"], 3, "top-level default filled on POST");
    assert!(document.get("address").is_none(), "{document}");

    // A dict the stored document lacks: its missing sub-fields get their defaults.
    let document = patch_ok(
        &server,
        "places",
        &id,
        json!({"address": {"street": "Via Sacra"}}),
    );
    assert_eq!(
        document["address"],
        json!({"street": "Via Sacra", "city": "Rome", "country": "IT"})
    );

    // Dotted form: one key updated, the others kept.
    let document = patch_ok(&server, "places", &id, json!({"address.city": "Milan"}));
    assert_eq!(
        document["address"],
        json!({"street": "Via Sacra", "city": "Milan", "country": "IT"})
    );

    // Nested form: merged the same way; a stored value is never reset to its default.
    let document = patch_ok(
        &server,
        "places",
        &id,
        json!({"address": {"street": "Corso"}}),
    );
    assert_eq!(
        document["address"],
        json!({"street": "Corso", "city": "Milan", "country": "IT"})
    );

    // The two forms give the same document from the same start.
    let dotted = create(
        &server,
        "places",
        json!({"name": "A", "address": {"street": "S"}}),
    );
    let nested = create(
        &server,
        "places",
        json!({"name": "A", "address": {"street": "S"}}),
    );
    let a = patch_ok(
        &server,
        "places",
        &dotted,
        json!({"address.country": "FR", "rating": 4}),
    );
    let b = patch_ok(
        &server,
        "places",
        &nested,
        json!({"address": {"country": "FR"}, "rating": 4}),
    );
    assert_eq!(a["address"], b["address"]);
    assert_eq!(
        a["address"],
        json!({"street": "S", "city": "Rome", "country": "FR"})
    );
    assert_eq!(a["_etag"], b["_etag"], "same content, same tag");

    // Validation still applies inside the patched dict, in both forms.
    let tag = item(&server, "places", &id)["_etag"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("{API}/places/{id}");
    let issues = server
        .patch(&path, Some(&tag), &json!({"address": {"city": 5}}))
        .issues();
    assert_eq!(
        issues,
        json!({"address": {"city": "must be of string type"}})
    );
    let issues = server
        .patch(&path, Some(&tag), &json!({"address.zip": "00100"}))
        .issues();
    assert_eq!(issues, json!({"address": {"zip": "unknown field"}}));
}

#[test]
fn patch_without_normalization_or_merging_replaces_nested_dicts() {
    let server = start();
    let id = create(
        &server,
        "drafts",
        json!({"name": "D", "address": {"street": "S", "city": "Paris"}}),
    );
    // POST still normalizes (the options are about PATCH).
    let document = item(&server, "drafts", &id);
    assert_eq!(
        document["address"],
        json!({"street": "S", "city": "Paris", "country": "IT"})
    );
    assert_eq!(document["rating"], 3);

    // merge_nested_documents = false: the nested dict replaces the stored one, and
    // normalize_on_patch = false: no defaults are added to it.
    let document = patch_ok(&server, "drafts", &id, json!({"address": {"street": "T"}}));
    assert_eq!(document["address"], json!({"street": "T"}));

    // Eve expands dotted keys before updating: the dotted form replaces alike.
    let document = patch_ok(&server, "drafts", &id, json!({"address.city": "Oslo"}));
    assert_eq!(document["address"], json!({"city": "Oslo"}));
    assert_eq!(document["rating"], 3, "fields not in the patch are kept");

    // PUT still fills every default, nested ones included.
    let document = put_ok(&server, "drafts", &id, json!({"name": "E", "address": {}}));
    assert_eq!(
        document["address"],
        json!({"city": "Rome", "country": "IT"})
    );
    assert_eq!(document["rating"], 3);
}

#[test]
fn put_replaces_the_whole_document_and_fills_nested_defaults() {
    let server = start();
    let id = create(
        &server,
        "places",
        json!({
            "name": "Duomo",
            "rating": 5,
            "opened": "1985-12-08T10:00:00Z",
            "location": {"type": "Point", "coordinates": [9.1916, 45.4642]},
            "address": {"street": "Piazza", "city": "Milan", "country": "FR"}
        }),
    );
    let document = put_ok(
        &server,
        "places",
        &id,
        json!({"name": "Pantheon", "address": {"street": "Piazza della Rotonda"}}),
    );
    assert_eq!(document["name"], "Pantheon");
    assert_eq!(document["rating"], 3, "default back in place");
    assert_eq!(
        document["address"],
        json!({"street": "Piazza della Rotonda", "city": "Rome", "country": "IT"})
    );
    assert!(document.get("location").is_none(), "{document}");
    assert!(document.get("opened").is_none(), "{document}");

    // PUT checks required fields, as an insert does.
    let tag = document["_etag"].as_str().unwrap().to_string();
    let issues = server
        .put(
            &format!("{API}/places/{id}"),
            Some(&tag),
            &json!({"rating": 1}),
        )
        .issues();
    assert_eq!(issues, json!({"name": "required field"}));
}

// --- Dates: a custom date_format ------------------------------------------------------

fn is_iso(text: &str) -> bool {
    let b = text.as_bytes();
    text.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn custom_date_format_for_documents_and_meta_dates() {
    let server = start();
    let created = server.create(
        "places",
        json!({"name": "MAXXI", "opened": "2010-05-30T09:30:00Z"}),
    );
    assert!(is_iso(created["_created"].as_str().unwrap()), "{created}");
    assert!(is_iso(created["_updated"].as_str().unwrap()), "{created}");
    let id = created["_id"].as_str().unwrap();

    let response = server.get(&format!("{API}/places/{id}"));
    let document = response.json();
    assert_eq!(
        document["opened"], "2010-05-30T09:30:00Z",
        "served as written"
    );
    assert!(is_iso(document["_created"].as_str().unwrap()), "{document}");
    assert_eq!(document["_created"], created["_created"]);
    // HTTP headers stay RFC 1123.
    let last_modified = response.header("Last-Modified").expect("Last-Modified");
    assert!(is_rfc1123(last_modified), "{last_modified}");
    let not_modified = server.get_with(
        &format!("{API}/places/{id}"),
        &[("If-Modified-Since", last_modified)],
    );
    assert_eq!(not_modified.status, 304);

    // In a collection too.
    let items = server.items(&format!("{API}/places"));
    assert!(
        items
            .iter()
            .all(|i| is_iso(i["_updated"].as_str().unwrap()))
    );

    // Input in another format is not a date of this API.
    let issues = server
        .post(
            &format!("{API}/places"),
            &json!({"name": "X", "opened": "Sun, 30 May 2010 09:30:00 GMT"}),
        )
        .issues();
    assert_eq!(issues, json!({"opened": "must be of datetime type"}));
    let issues = server
        .post(
            &format!("{API}/places"),
            &json!({"name": "X", "opened": "2010-02-30T09:30:00Z"}),
        )
        .issues();
    assert_eq!(issues, json!({"opened": "must be of datetime type"}));
    // Dates before the epoch are dates like any other (as in Eve, on Python's datetime).
    let response = server.post(
        &format!("{API}/places"),
        &json!({"name": "X", "opened": "1969-12-31T23:59:59Z"}),
    );
    assert_eq!(response.status, 201, "{}", response.text());
}

#[test]
fn custom_date_format_in_filters() {
    let server = start();
    for (name, opened) in [
        ("a", "2001-01-01T00:00:00Z"),
        ("b", "2005-06-15T12:00:00Z"),
        ("c", "2010-12-31T23:59:59Z"),
    ] {
        create(&server, "places", json!({"name": name, "opened": opened}));
    }
    let q = |filter: &str| names(&server, "places", filter, "&sort=name");
    assert_eq!(
        q(r#"{"opened": {"$gte": "2005-06-15T12:00:00Z"}}"#),
        ["b", "c"]
    );
    assert_eq!(q(r#"{"opened": {"$gt": "2005-06-15T12:00:00Z"}}"#), ["c"]);
    assert_eq!(q(r#"{"opened": {"$lt": "2005-06-15T12:00:00Z"}}"#), ["a"]);
    assert_eq!(
        q(r#"{"opened": {"$lte": "2005-06-15T12:00:00Z"}}"#),
        ["a", "b"]
    );
    assert_eq!(q(r#"{"opened": "2001-01-01T00:00:00Z"}"#), ["a"]);
    assert_eq!(
        q(r#"{"opened": {"$ne": "2001-01-01T00:00:00Z"}}"#),
        ["b", "c"]
    );
    assert_eq!(
        q(r#"{"opened": {"$in": ["2001-01-01T00:00:00Z", "2010-12-31T23:59:59Z"]}}"#),
        ["a", "c"]
    );
    // The meta dates are in the same format.
    assert_eq!(
        q(r#"{"_created": {"$gte": "2000-01-01T00:00:00Z"}}"#),
        ["a", "b", "c"]
    );

    let message = server
        .get(&format!(
            "{API}/places?where={}",
            enc(r#"{"opened": {"$gte": "Wed, 25 Feb 1987 17:00:00 GMT"}}"#)
        ))
        .error(400);
    assert_eq!(
        message,
        "field 'opened' in where: not a date in the API's date_format (like '2016-04-19T08:19:00Z')"
    );
    let message = server
        .get(&format!(
            "{API}/places?where={}",
            enc(r#"{"opened": {"$lt": 5}}"#)
        ))
        .error(400);
    assert_eq!(
        message,
        "field 'opened' in where: $lt expects a date in the API's date_format string, got an integer"
    );
}

#[test]
fn rfc1123_date_filters_by_default() {
    // The people API keeps Eve's default DATE_FORMAT.
    let server = TestServer::start();
    for (name, born) in [
        ("Ada", "Mon, 10 Dec 1979 08:00:00 GMT"),
        ("Bob", "Wed, 25 Feb 1987 17:00:00 GMT"),
        ("Cy", "Sat, 01 Jan 2000 00:00:00 GMT"),
    ] {
        server.create("people", json!({"lastname": name, "born": born}));
    }
    let q = |filter: &str| -> Vec<String> {
        server
            .column(
                &format!("{API}/people?where={}&sort=lastname", enc(filter)),
                "lastname",
            )
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let bob = "Wed, 25 Feb 1987 17:00:00 GMT";
    assert_eq!(
        q(&format!(r#"{{"born": {{"$gte": "{bob}"}}}}"#)),
        ["Bob", "Cy"]
    );
    assert_eq!(q(&format!(r#"{{"born": {{"$gt": "{bob}"}}}}"#)), ["Cy"]);
    assert_eq!(q(&format!(r#"{{"born": {{"$lt": "{bob}"}}}}"#)), ["Ada"]);
    assert_eq!(
        q(&format!(r#"{{"born": {{"$lte": "{bob}"}}}}"#)),
        ["Ada", "Bob"]
    );
    assert_eq!(q(&format!(r#"{{"born": "{bob}"}}"#)), ["Bob"]);
    assert_eq!(
        q(&format!(r#"{{"born": {{"$ne": "{bob}"}}}}"#)),
        ["Ada", "Cy"]
    );
    assert_eq!(
        q(&format!(
            r#"{{"born": {{"$in": ["{bob}", "Sat, 01 Jan 2000 00:00:00 GMT"]}}}}"#
        )),
        ["Bob", "Cy"]
    );
    assert_eq!(
        q(
            r#"{"$and": [{"born": {"$gt": "Mon, 01 Jan 1979 00:00:00 GMT"}}, {"born": {"$lt": "Fri, 01 Jan 1999 00:00:00 GMT"}}]}"#
        ),
        ["Ada", "Bob"]
    );
    let message = server
        .get(&format!(
            "{API}/people?where={}",
            enc(r#"{"born": {"$gte": "1987-02-25T17:00:00Z"}}"#)
        ))
        .error(400);
    assert_eq!(
        message,
        "field 'born' in where: not an RFC 1123 date (like 'Tue, 19 Apr 2016 08:19:00 GMT')"
    );
    let message = server
        .get(&format!(
            "{API}/people?where={}",
            enc(r#"{"born": {"$in": ["not a date"]}}"#)
        ))
        .error(400);
    assert!(message.contains("not an RFC 1123 date"), "{message}");
}

// --- GeoJSON --------------------------------------------------------------------------

#[test]
fn geojson_fields_are_validated_and_served_as_sent() {
    let server = start();
    let point = json!({"type": "Point", "coordinates": [12.4922, 41.8902]});
    let id = create(
        &server,
        "places",
        json!({"name": "Colosseum", "location": point}),
    );
    assert_eq!(item(&server, "places", &id)["location"], point);

    let geometries = json!({
        "name": "Rome",
        "route": {"type": "LineString", "coordinates": [[12.49, 41.89], [12.48, 41.90]]},
        "zone": {"type": "Polygon", "coordinates": [[[12.4, 41.8], [12.6, 41.8], [12.6, 42.0], [12.4, 41.8]]]},
        "stops": {"type": "MultiPoint", "coordinates": [[12.49, 41.89], [12.48, 41.90, 21.5]]},
        "routes": {"type": "MultiLineString", "coordinates": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]},
        "zones": {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]},
        "features": {"type": "GeometryCollection", "geometries": [
            {"type": "Point", "coordinates": [1, 2]},
            {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}
        ]}
    });
    let area = create(&server, "areas", geometries.clone());
    let document = item(&server, "areas", &area);
    for key in ["route", "zone", "stops", "routes", "zones", "features"] {
        assert_eq!(document[key], geometries[key], "{key}");
    }

    // Eve's checks: the right type, exactly `type` and `coordinates`, positions of numbers.
    let bad_points = [
        json!({"type": "Point", "coordinates": [12.5]}),
        json!({"type": "Point", "coordinates": ["12.5", 41.9]}),
        json!({"type": "LineString", "coordinates": [12.5, 41.9]}),
        json!({"type": "Point", "coordinates": [12.5, 41.9], "crs": "x"}),
        json!({"coordinates": [12.5, 41.9]}),
        json!([12.5, 41.9]),
        json!("POINT(12.5 41.9)"),
    ];
    for bad in bad_points {
        let issues = server
            .post(
                &format!("{API}/places"),
                &json!({"name": "X", "location": bad}),
            )
            .issues();
        assert_eq!(
            issues,
            json!({"location": "must be of point type"}),
            "{bad}"
        );
    }
    let bad_areas = [
        (
            "route",
            json!({"type": "LineString", "coordinates": [1, 2]}),
        ),
        ("zone", json!({"type": "Polygon", "coordinates": [[1, 2]]})),
        ("stops", json!({"type": "MultiPoint", "coordinates": [[1]]})),
        (
            "routes",
            json!({"type": "MultiLineString", "coordinates": [[1, 2]]}),
        ),
        (
            "zones",
            json!({"type": "MultiPolygon", "coordinates": [[[1, 2]]]}),
        ),
        (
            "features",
            json!({"type": "GeometryCollection", "geometries": [{"type": "Point"}]}),
        ),
    ];
    for (field, bad) in bad_areas {
        let issues = server
            .post(&format!("{API}/areas"), &json!({ field: bad }))
            .issues();
        let kind = match field {
            "route" => "linestring",
            "zone" => "polygon",
            "stops" => "multipoint",
            "routes" => "multilinestring",
            "zones" => "multipolygon",
            _ => "geometrycollection",
        };
        assert_eq!(
            issues,
            json!({ field: format!("must be of {kind} type") }),
            "{bad}"
        );
    }

    // PATCH replaces a geometry whole and checks it.
    let moved = json!({"type": "Point", "coordinates": [12.4534, 41.9029]});
    let document = patch_ok(&server, "places", &id, json!({"location": moved}));
    assert_eq!(document["location"], moved);
    let tag = document["_etag"].as_str().unwrap().to_string();
    let issues = server
        .patch(
            &format!("{API}/places/{id}"),
            Some(&tag),
            &json!({"location.coordinates": [1, 2]}),
        )
        .issues();
    assert_eq!(issues, json!({"location": "must be of point type"}));

    // Equality on a whole geometry works like on a dict.
    assert_eq!(
        names(
            &server,
            "places",
            &json!({"location": moved}).to_string(),
            ""
        ),
        ["Colosseum"]
    );
}

#[test]
fn near_finds_points_within_distance_nearest_first() {
    let server = start();
    let places = [
        ("Vatican", 12.4534, 41.9029),   // about 3.6 km west of the centre
        ("Milan", 9.1900, 45.4642),      // about 477 km away
        ("Colosseum", 12.4922, 41.8902), // about 1.4 km south
        ("Centre", 12.4964, 41.9028),
    ];
    for (name, lon, lat) in places {
        create(
            &server,
            "places",
            json!({"name": name, "location": {"type": "Point", "coordinates": [lon, lat]}}),
        );
    }
    create(&server, "places", json!({"name": "Nowhere"}));

    let near = |extra: &str| {
        format!(
            r#"{{"location": {{"$near": {{"$geometry": {{"type": "Point", "coordinates": [12.4964, 41.9028]}}{extra}}}}}}}"#
        )
    };
    assert_eq!(
        names(&server, "places", &near(r#", "$maxDistance": 2000"#), ""),
        ["Centre", "Colosseum"]
    );
    assert_eq!(
        names(&server, "places", &near(r#", "$maxDistance": 5000"#), ""),
        ["Centre", "Colosseum", "Vatican"]
    );
    assert_eq!(
        names(
            &server,
            "places",
            &near(r#", "$minDistance": 1000, "$maxDistance": 5000"#),
            ""
        ),
        ["Colosseum", "Vatican"]
    );
    // No limit: every document with a point, nearest first.
    assert_eq!(
        names(&server, "places", &near(""), ""),
        ["Centre", "Colosseum", "Vatican", "Milan"]
    );
    // A client sort overrides the distance order, as in MongoDB.
    assert_eq!(
        names(
            &server,
            "places",
            &near(r#", "$maxDistance": 5000"#),
            "&sort=name"
        ),
        ["Centre", "Colosseum", "Vatican"]
    );
    // Combined with other conditions, and paged: the total counts every match.
    let response = server.get(&format!(
        "{API}/places?where={}&max_results=1&page=2",
        enc(&format!(
            r#"{{"$and": [{}, {{"name": {{"$ne": "Centre"}}}}]}}"#,
            near("")
        ))
    ));
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["_meta"]["total"], 3);
    assert_eq!(body["_items"][0]["name"], "Vatican");

    // Bad $near queries are 400s in Eve's envelope.
    let bad = [
        (
            r#"{"name": {"$near": {"$geometry": {"type": "Point", "coordinates": [1, 2]}}}}"#,
            "field 'name' in where: $near needs a top-level point field",
        ),
        (
            r#"{"location": {"$near": {"$geometry": {"type": "Polygon", "coordinates": [1, 2]}}}}"#,
            "field 'location' in where: $near $geometry must be a GeoJSON Point with coordinates [longitude, latitude] in range",
        ),
        (
            r#"{"location": {"$near": {"$geometry": {"type": "Point", "coordinates": [200, 2]}}}}"#,
            "field 'location' in where: $near $geometry must be a GeoJSON Point with coordinates [longitude, latitude] in range",
        ),
        (
            r#"{"location": {"$near": {"$geometry": {"type": "Point", "coordinates": [1, 2]}, "$maxDistance": -1}}}"#,
            "field 'location' in where: $maxDistance must be a non-negative number of metres",
        ),
        (
            r#"{"location": {"$near": {"$maxDistance": 10}}}"#,
            "field 'location' in where: $near needs a $geometry point",
        ),
        (
            r#"{"location": {"$near": [12.5, 41.9]}}"#,
            "field 'location' in where: $near needs an object with a $geometry point",
        ),
        (
            r#"{"location": {"$near": {"$geometry": {"type": "Point", "coordinates": [1, 2]}, "$center": 1}}}"#,
            "field 'location' in where: unknown $near key '$center'",
        ),
        (
            r#"{"$or": [{"location": {"$near": {"$geometry": {"type": "Point", "coordinates": [1, 2]}}}}, {"location": {"$near": {"$geometry": {"type": "Point", "coordinates": [1, 2]}}}}]}"#,
            "where may hold only one $near",
        ),
        (
            r#"{"location": {"$gt": 5}}"#,
            "field 'location' in where: $gt cannot compare a point field",
        ),
        (
            r#"{"location.coordinates": [1, 2]}"#,
            "field 'location.coordinates' in where: 'location' has no subfields",
        ),
    ];
    for (filter, expected) in bad {
        let message = server
            .get(&format!("{API}/places?where={}", enc(filter)))
            .error(400);
        assert_eq!(message, expected, "{filter}");
    }
}

#[test]
fn openapi_documents_geometries_and_dates() {
    let server = start();
    let response = server.get("/openapi.json");
    assert_eq!(response.status, 200, "{}", response.text());
    let text = response.text();
    assert!(text.contains("GeoJSON Point"), "point schema documented");
    assert!(text.contains("GeoJSON GeometryCollection"));
    assert!(
        text.contains("%Y-%m-%dT%H:%M:%SZ"),
        "date format documented"
    );
}

#[test]
fn nested_datetimes_compare_and_sort_by_instant() {
    let server = start();
    for (name, since) in [
        ("a", "2012-03-04T05:06:07Z"),
        ("b", "1999-12-31T23:59:59Z"),
        ("c", "2020-01-01T00:00:00Z"),
    ] {
        create(
            &server,
            "places",
            json!({"name": name, "address": {"since": since}}),
        );
    }
    create(&server, "places", json!({"name": "none"}));
    let q = |filter: &str, extra: &str| names(&server, "places", filter, extra);
    assert_eq!(
        q(
            r#"{"address.since": {"$gte": "2012-03-04T05:06:07Z"}}"#,
            "&sort=name"
        ),
        ["a", "c"]
    );
    assert_eq!(
        q(
            r#"{"address.since": {"$lt": "2012-03-04T05:06:07Z"}}"#,
            "&sort=name"
        ),
        ["b"]
    );
    assert_eq!(q(r#"{"address.since": "2020-01-01T00:00:00Z"}"#, ""), ["c"]);
    assert_eq!(
        q(
            r#"{"address.since": {"$exists": true}}"#,
            "&sort=-address.since"
        ),
        ["c", "a", "b"]
    );
    let message = server
        .get(&format!(
            "{API}/places?where={}",
            enc(r#"{"address.since": {"$gt": "yesterday"}}"#)
        ))
        .error(400);
    assert!(
        message.contains("not a date in the API's date_format"),
        "{message}"
    );
}
