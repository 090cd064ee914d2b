//! Tabular imports over real HTTP and through the binary's `import` command: the
//! dataset API's exact request (a form with `ds` as JSON text, `update`, signed with
//! `visitor`/`stamp`/`token`/`type`) inserting then updating rows of the tables
//! example; CSV and XLSX uploads into people; cells converted by their field and
//! errors named by row and column; all-or-nothing and keep-the-good-rows; replace;
//! the hooks before and after; the command loading a file.

mod support;

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apigen_runtime::rusqlite;
use base64::Engine as _;
use people_api::api::db::Writer;
use people_api::api::error::ApiError;
use people_api::api::hooks::Hooks;
use people_api::api::import::{Options, Report};
use serde_json::{Value, json};
use support::TestServer;
use tables_api::api::auth::signed;

const API: &str = "/api/v1";

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis()
}

fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        out.append_pair(name, value);
    }
    out.finish().into_bytes()
}

/// A tables server whose loader `ada` signs dataset requests with `k3y`; `rex` has no
/// role.
fn tables() -> TestServer {
    let server = support::start_generated!(tables_api, API);
    let _ = server.get(&format!("{API}/rows"));
    let conn = rusqlite::Connection::open(server.dir().join("api.db")).expect("open the db");
    conn.busy_timeout(Duration::from_secs(5)).expect("timeout");
    for (name, roles, secret) in [
        ("ada", vec!["loader".to_string()], Some("k3y")),
        ("rex", vec![], Some("r3x")),
    ] {
        tables_api::api::auth::store::add_user(
            &conn,
            name,
            &format!("password of {name}"),
            &roles,
            secret,
        )
        .expect("add user");
    }
    server
}

fn signed_form(visitor: &str, key: &[u8], stamp: &str, ds: &Value, update: &str) -> Vec<u8> {
    let token = signed::sign_dataset(key, stamp, visitor, "rows");
    let ds = ds.to_string();
    form(&[
        ("visitor", visitor),
        ("token", &token),
        ("stamp", stamp),
        ("type", "rows"),
        ("ds", &ds),
        ("update", update),
    ])
}

fn post_form(server: &TestServer, body: &[u8]) -> support::Response {
    server.request(
        "POST",
        &format!("{API}/rows/import"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(body),
    )
}

#[test]
fn the_seeds_signed_form_inserts_then_updates() {
    let server = tables();
    let ds = json!([
        ["table", "year", "amount", "region", "ref"],
        ["sales", "2024", "1.5", "Île-de-France", "s-1"],
        ["sales", "2025", "-2", null, "s-2"]
    ]);
    let stamp = now_ms().to_string();
    let body = signed_form("ada", b"k3y", &stamp, &ds, "0");
    let response = post_form(&server, &body);
    assert_eq!(response.status, 200, "{}", response.text());
    let report = response.json();
    assert_eq!(report["_status"], "OK");
    assert_eq!(
        (report["rows"].as_u64(), report["inserted"].as_u64()),
        (Some(2), Some(2))
    );
    // The same signed request again is a replay: refused, nothing written.
    assert_eq!(post_form(&server, &body).status, 401);
    let rows = server.items(&format!("{API}/rows?sort=ref"));
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0]["year"], 2024,
        "cells are read as their fields: {rows:?}"
    );
    assert_eq!(rows[0]["amount"], 1.5);
    assert_eq!(rows[0]["region"], "Île-de-France");
    assert_eq!(rows[1]["amount"].as_f64(), Some(-2.0));

    // `update: 1`: rows with a known `ref` update their document; a new one inserts.
    let ds = json!([["ref", "amount"], ["s-1", 10], ["s-3", 7]]);
    let stamp = (now_ms() + 1).to_string();
    let response = post_form(&server, &signed_form("ada", b"k3y", &stamp, &ds, "1"));
    // `s-3` is new and has no table or year: it is rejected (all or nothing).
    assert_eq!(response.status, 422, "{}", response.text());
    let report = response.json();
    assert_eq!(report["_rejected"][0]["row"], 3);
    assert_eq!(report["_rejected"][0]["_issues"]["year"], "required field");
    assert_eq!(report["inserted"], 0);
    assert_eq!(
        server.items(&format!("{API}/rows?sort=ref"))[0]["amount"],
        1.5
    );
    let ds = json!([
        ["ref", "amount", "table", "year"],
        ["s-1", 10, "sales", 2024],
        ["s-3", 7, "sales", 1969]
    ]);
    let stamp = (now_ms() + 2).to_string();
    let response = post_form(&server, &signed_form("ada", b"k3y", &stamp, &ds, "1"));
    assert_eq!(response.status, 200, "{}", response.text());
    let report = response.json();
    assert_eq!(
        (report["updated"].as_u64(), report["inserted"].as_u64()),
        (Some(1), Some(1))
    );
    let rows = server.items(&format!("{API}/rows?sort=ref"));
    let amounts: Vec<Option<f64>> = rows.iter().map(|r| r["amount"].as_f64()).collect();
    assert_eq!(amounts, [Some(10.0), Some(-2.0), Some(7.0)]);

    // The oplog has one entry per document written, with the signer as its user.
    let oplog = server.items(&format!("{API}/oplog?max_results=50"));
    let imported: Vec<&Value> = oplog.iter().filter(|e| e["r"] == "rows").collect();
    assert_eq!(imported.len(), 4, "{oplog:?}");
    assert!(imported.iter().all(|e| e["u"] == "ada"));
    assert_eq!(imported.iter().filter(|e| e["o"] == "PATCH").count(), 1);

    // A wrong key, another visitor's token, a user without the loader role, no
    // credentials: refused, nothing written.
    let stamp = (now_ms() + 3).to_string();
    assert_eq!(
        post_form(&server, &signed_form("ada", b"nope", &stamp, &ds, "0")).status,
        401
    );
    let response = post_form(&server, &signed_form("rex", b"r3x", &stamp, &ds, "0"));
    // Eve answers a caller whose roles do not allow the method as it answers bad
    // credentials: 401.
    assert_eq!(response.status, 401, "{}", response.text());
    let response = server.request(
        "POST",
        &format!("{API}/rows/import"),
        &[("Content-Type", "application/json")],
        Some(ds.to_string().as_bytes()),
    );
    assert_eq!(response.status, 401);
    // Basic works too (the operation's `authentication`), with a JSON table.
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ada:password of ada")
    );
    let response = server.request(
        "POST",
        &format!("{API}/rows/import?on_error=skip"),
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &basic),
        ],
        Some(
            json!([
                ["table", "year", "ref"],
                ["sales", 2026, "s-4"],
                ["sales", "MMXXVI", "s-5"]
            ])
            .to_string()
            .as_bytes(),
        ),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json()["_rejected"][0]["_issues"]["year"],
        "must be of integer type (read 'MMXXVI')"
    );
    assert_eq!(server.items(&format!("{API}/rows")).len(), 4);
}

/// Records what the import hooks saw; `refuse_after` makes `after_import` fail.
#[derive(Default)]
struct ImportHooks {
    calls: Mutex<Vec<String>>,
    refuse_after: bool,
}

impl Hooks for ImportHooks {
    fn before_import(
        &self,
        resource: &str,
        options: &Options,
        tx: &Writer<'_>,
    ) -> Result<(), ApiError> {
        // The seed's `preSql`: here, retire everyone over 100 first, in the import's
        // transaction.
        let retired = tx
            .execute("DELETE FROM \"people\" WHERE \"age\" > 100", [])
            .map_err(ApiError::internal)?;
        self.calls.lock().unwrap().push(format!(
            "before {resource} {} {retired}",
            options.mode.name()
        ));
        Ok(())
    }

    fn after_import(
        &self,
        resource: &str,
        report: &Report,
        tx: &Writer<'_>,
    ) -> Result<(), ApiError> {
        let count: i64 = tx
            .query_row("SELECT count(*) FROM \"people\"", [], |row| row.get(0))
            .map_err(ApiError::internal)?;
        self.calls
            .lock()
            .unwrap()
            .push(format!("after {resource} {} {count}", report.inserted));
        if self.refuse_after {
            return Err(ApiError::bad_request("the post step refused the import"));
        }
        Ok(())
    }

    fn on_imported(&self, resource: &str, report: &Report) {
        self.calls
            .lock()
            .unwrap()
            .push(format!("imported {resource} {}", report.rows));
    }
}

fn csv(server: &TestServer, query: &str, body: &str) -> support::Response {
    server.request(
        "POST",
        &format!("{API}/people/import{query}"),
        &[("Content-Type", "text/csv; charset=utf-8")],
        Some(body.as_bytes()),
    )
}

fn lastnames(server: &TestServer) -> Vec<String> {
    server
        .items(&format!("{API}/people?sort=lastname&max_results=50"))
        .iter()
        .map(|p| p["lastname"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn csv_rows_are_all_or_nothing_or_keep_the_good_ones() {
    let server = TestServer::start_people(Arc::new(ImportHooks::default()), |_| {});
    server.create("people", json!({"lastname": "Hopper", "age": 85}));
    let body = "lastname,firstname,age,born,role,location\r\n\
        Curie,Marie,66,\"Thu, 07 Nov 1867 00:00:00 GMT\",\"[\"\"author\"\"]\",\"{\"\"city\"\": \"\"Paris\"\"}\"\r\n\
        Zoë,Ζωή,abc,yesterday,,\r\n\
        Hopper,Grace,85,,,\r\n\
        Lovelace,Ada,36,,\"[\"\"editor\"\"]\",\r\n\
        Turing,,9223372036854775808,,,\r\n";
    let response = csv(&server, "", body);
    assert_eq!(response.status, 422, "{}", response.text());
    let report = response.json();
    assert_eq!(report["_status"], "ERR");
    assert_eq!(report["rows"], 5);
    assert_eq!(report["rejected"], 4);
    let rejected: Vec<(u64, Value)> = report["_rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_u64().unwrap(), r["_issues"].clone()))
        .collect();
    // Row 3 (the header is row 1): two bad cells, each named by its column.
    assert_eq!(rejected[0].0, 3);
    assert_eq!(rejected[0].1["age"], "must be of integer type (read 'abc')");
    // Row 4: Hopper's `unique` lastname, found taken by the database's check (which
    // runs for every row even once others failed, so the report is complete).
    assert_eq!(rejected[1].0, 4);
    assert!(
        rejected[1].1["lastname"]
            .as_str()
            .unwrap()
            .contains("not unique"),
        "{rejected:?}"
    );
    assert_eq!(rejected[2].0, 5);
    assert!(rejected[2].1["role"].is_object() || rejected[2].1["role"].is_string());
    assert_eq!(rejected[3].0, 6);
    assert!(rejected[3].1["age"].is_string(), "{rejected:?}");
    assert_eq!(lastnames(&server), ["Hopper"], "nothing was written");

    // Keep the good rows: Curie is written; Hopper's `unique` lastname is found taken
    // in the database, Zoë, Lovelace and Turing break rules.
    let response = csv(&server, "?on_error=skip", body);
    assert_eq!(response.status, 200, "{}", response.text());
    let report = response.json();
    assert_eq!(
        (report["inserted"].as_u64(), report["rejected"].as_u64()),
        (Some(1), Some(4))
    );
    let hopper = report["_rejected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["row"] == 4)
        .expect("Hopper's row");
    assert!(
        hopper["_issues"]["lastname"]
            .as_str()
            .unwrap()
            .contains("not unique"),
        "{hopper}"
    );
    let curie = &server.items(&format!(
        "{API}/people?where={}",
        support::enc(r#"{"lastname":"Curie"}"#)
    ))[0];
    assert_eq!(curie["born"], "Thu, 07 Nov 1867 00:00:00 GMT");
    assert_eq!(curie["role"], json!(["author"]));
    assert_eq!(curie["location"]["city"], "Paris");
    assert_eq!(curie["status"], "active", "defaults are filled as on POST");

    // Duplicates inside one file: the second is refused by `unique`.
    let response = csv(&server, "?on_error=skip", "lastname\nKnuth\nKnuth\n\n");
    let report = response.json();
    assert_eq!(
        (report["inserted"].as_u64(), report["rejected"].as_u64()),
        (Some(1), Some(1)),
        "{report}"
    );
    assert_eq!(report["_rejected"][0]["row"], 3);

    // A header naming an unknown column is refused before any row.
    let response = csv(&server, "", "lastname,nickname\nX,y\n");
    assert_eq!(response.status, 422);
    assert_eq!(response.issues()["nickname"], "unknown field");
    // An empty body, a body that is not UTF-8, a bad option.
    assert_eq!(csv(&server, "", "").status, 400);
    let latin1 = server.request(
        "POST",
        &format!("{API}/people/import"),
        &[("Content-Type", "text/csv")],
        Some(b"lastname\nCaf\xe9\n"),
    );
    assert_eq!(latin1.status, 400);
    assert_eq!(csv(&server, "?mode=merge", "lastname\nX\n").status, 400);
    assert_eq!(csv(&server, "?upsert_on=age", "lastname\nX\n").status, 400);
    assert_eq!(
        server
            .request(
                "POST",
                &format!("{API}/people/import"),
                &[("Content-Type", "application/pdf")],
                Some(b"%PDF")
            )
            .status,
        415
    );
    assert_eq!(lastnames(&server), ["Curie", "Hopper", "Knuth"]);
    server.assert_alive();
}

const BOUNDARY: &str = "----apigen-import-boundary-4x8";

fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (name, content_type, bytes) = file;
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload(server: &TestServer, body: &[u8]) -> support::Response {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    server.request(
        "POST",
        &format!("{API}/people/import"),
        &[("Content-Type", &content_type)],
        Some(body),
    )
}

#[test]
fn csv_and_xlsx_files_are_uploaded_and_replace_starts_over() {
    let hooks = Arc::new(ImportHooks::default());
    let server = TestServer::start_people(hooks.clone(), |_| {});
    server.create("people", json!({"lastname": "Methuselah", "age": 150}));
    server.create("people", json!({"lastname": "Hopper", "age": 85}));
    let xlsx = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/people.xlsx"
    ))
    .expect("the fixture");
    let spreadsheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let response = upload(
        &server,
        &multipart(&[("on_error", "skip")], ("people.xlsx", spreadsheet, &xlsx)),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let report = response.json();
    assert_eq!(
        (report["inserted"].as_u64(), report["rejected"].as_u64()),
        (Some(2), Some(1)),
        "{report}"
    );
    assert_eq!(report["_rejected"][0]["row"], 4);
    assert_eq!(
        report["_rejected"][0]["_issues"]["age"],
        "must be of integer type (read 'very')"
    );
    let people = server.items(&format!("{API}/people?sort=lastname"));
    let curie = people
        .iter()
        .find(|p| p["lastname"] == "Curie")
        .expect("Curie");
    assert_eq!(
        curie["born"], "Thu, 07 Nov 1867 00:00:00 GMT",
        "a date cell before 1970"
    );
    assert_eq!(curie["age"], 66);
    assert_eq!(curie["role"], json!(["author"]));
    let zoe = people.iter().find(|p| p["lastname"] == "Zoë").expect("Zoë");
    assert_eq!(zoe["firstname"], "Ζωή");
    assert_eq!(zoe["age"], 41, "a spreadsheet's 41.0 is an integer");
    assert_eq!(zoe["born"], "Fri, 31 Dec 1999 12:30:00 GMT");
    // The hook ran first, in the import's transaction: Methuselah (150) was retired.
    assert!(people.iter().all(|p| p["lastname"] != "Methuselah"));
    let calls = hooks.calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        [
            "before people insert 1",
            "after people 2 3",
            "imported people 3"
        ]
    );

    // A CSV file part with `mode=replace`: the collection is emptied first.
    let body = multipart(
        &[("mode", "replace")],
        (
            "new.csv",
            "text/csv",
            "lastname,age\nLamarr,85\nNoether,53\n".as_bytes(),
        ),
    );
    let response = upload(&server, &body);
    assert_eq!(response.status, 200, "{}", response.text());
    let report = response.json();
    assert_eq!(
        (report["replaced"].as_u64(), report["inserted"].as_u64()),
        (Some(3), Some(2)),
        "{report}"
    );
    assert_eq!(lastnames(&server), ["Lamarr", "Noether"]);
    // Replace is all or nothing with its rows: a bad row keeps the old documents.
    let body = multipart(
        &[("mode", "replace")],
        ("bad.csv", "text/csv", "lastname,age\nGone,-1\n".as_bytes()),
    );
    assert_eq!(upload(&server, &body).status, 422);
    assert_eq!(lastnames(&server), ["Lamarr", "Noether"]);
    // A file that is not a workbook.
    let body = multipart(&[], ("people.xlsx", spreadsheet, b"not a zip"));
    assert_eq!(upload(&server, &body).status, 400);
    // A form without a file.
    let fields_only = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\ninsert\r\n--{BOUNDARY}--\r\n"
    );
    assert_eq!(upload(&server, fields_only.as_bytes()).status, 400);
    assert_eq!(lastnames(&server), ["Lamarr", "Noether"]);
    server.assert_alive();
}

#[test]
fn a_refusing_after_hook_rolls_the_import_back() {
    let hooks = Arc::new(ImportHooks {
        refuse_after: true,
        ..ImportHooks::default()
    });
    let server = TestServer::start_people(hooks.clone(), |_| {});
    let response = csv(&server, "", "lastname\nA\nB\n");
    assert_eq!(response.status, 400, "{}", response.text());
    assert!(response.text().contains("post step refused"));
    assert_eq!(lastnames(&server), Vec::<String>::new());
    // With `skip`, each batch is committed as it comes and the post step runs in a
    // transaction of its own: its refusal is the answer, the rows stay.
    let response = csv(&server, "?on_error=skip", "lastname\nA\nB\n");
    assert_eq!(response.status, 400);
    assert_eq!(lastnames(&server), ["A", "B"]);
}

#[test]
fn upserts_match_by_the_key_and_update_only_the_cells_given() {
    let server = TestServer::start_people(Arc::new(ImportHooks::default()), |_| {});
    let hopper = server.create(
        "people",
        json!({"lastname": "Hopper", "firstname": "Grace", "age": 85}),
    );
    let response = csv(
        &server,
        "?mode=upsert&upsert_on=lastname",
        "lastname,age\nHopper,86\nCurie,66\nCurie,67\n",
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let report = response.json();
    assert_eq!(
        (report["updated"].as_u64(), report["inserted"].as_u64()),
        (Some(2), Some(1)),
        "{report}"
    );
    let stored = server
        .get(&format!("{API}/people/{}", hopper["_id"].as_str().unwrap()))
        .json();
    assert_eq!(
        (stored["firstname"].as_str(), stored["age"].as_i64()),
        (Some("Grace"), Some(86))
    );
    assert_ne!(stored["_etag"], hopper["_etag"]);
    let curie = &server.items(&format!(
        "{API}/people?where={}",
        support::enc(r#"{"lastname":"Curie"}"#)
    ))[0];
    assert_eq!(
        curie["age"], 67,
        "a later row finds the document an earlier one made"
    );
    // By `_id`, and a row without its key.
    let id = hopper["_id"].as_str().unwrap();
    let body = format!("_id,age\n{id},87\n,1\n");
    let response = csv(&server, "?update=1&upsert_on=_id&on_error=skip", &body);
    let report = response.json();
    assert_eq!(
        (report["updated"].as_u64(), report["rejected"].as_u64()),
        (Some(1), Some(1)),
        "{report}"
    );
    assert!(report["_rejected"][0]["_issues"]["_id"].is_string());
}

#[test]
fn the_import_command_loads_a_file() {
    let dir = std::env::temp_dir().join(format!(
        "apigen-import-cmd-{}-{}",
        std::process::id(),
        now_ms()
    ));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let db = dir.join("people.db");
    let file = dir.join("people.csv");
    let mut text = String::from("lastname,firstname,age\n");
    for i in 0..5000 {
        text.push_str(&format!("name{i},Ægir,{}\n", i % 100));
    }
    std::fs::write(&file, &text).expect("write the csv");
    let run = |args: &[&str]| -> ExitCode {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.push("--db".into());
        all.push(db.display().to_string());
        people_api::api::import::command::main::<people_api::api::Api>(
            &all,
            people_api::api::IMPORTERS,
            Arc::new(people_api::hooks::AppHooks),
        )
    };
    let path = file.display().to_string();
    assert_eq!(run(&["people", &path]), ExitCode::SUCCESS);
    let count = |sql: &str| -> i64 {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.query_row(sql, [], |row| row.get(0)).expect("count")
    };
    assert_eq!(count("SELECT count(*) FROM people"), 5000);
    // Again with `--upsert-on lastname`: every row updates its person.
    let mut text = String::from("lastname,age\n");
    for i in 0..5000 {
        text.push_str(&format!("name{i},{}\n", 100 + i % 15));
    }
    std::fs::write(&file, &text).expect("rewrite");
    assert_eq!(
        run(&["people", &path, "--upsert-on", "lastname"]),
        ExitCode::SUCCESS
    );
    assert_eq!(count("SELECT count(*) FROM people"), 5000);
    assert_eq!(
        count("SELECT count(*) FROM people WHERE age >= 100 AND firstname = 'Ægir'"),
        5000
    );
    // A bad row: nothing imported, a failure exit code; unknown resource or option.
    std::fs::write(&file, "lastname,age\nnew1,1\nnew2,old\n").expect("rewrite");
    assert_eq!(run(&["people", &path]), ExitCode::FAILURE);
    assert_eq!(count("SELECT count(*) FROM people"), 5000);
    assert_eq!(run(&["invoices", &path]), ExitCode::from(2));
    assert_eq!(
        run(&["people", &path, "--mode", "merge"]),
        ExitCode::from(2)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The seed's file upload (`upload_file_api`): `requests.post(url, files=files,
/// data=data)` sends the signature as multipart fields before the file.
#[test]
fn the_seeds_file_upload_is_signed_in_its_form_fields() {
    let server = tables();
    let upload = |body: &[u8]| {
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        server.request(
            "POST",
            &format!("{API}/rows/import"),
            &[("Content-Type", &content_type)],
            Some(body),
        )
    };
    let csv = "table,year,ref,region\nsales,1999,f-1,Zürich\nsales,2000,f-2,\n";
    let stamp = now_ms().to_string();
    let token = signed::sign_dataset(b"k3y", &stamp, "ada", "rows");
    let fields = [
        ("type", "rows"),
        ("token", token.as_str()),
        ("visitor", "ada"),
        ("stamp", stamp.as_str()),
        ("mail", "ada@example.org"),
    ];
    // `mail` is the seed's optional field: not an import option.
    let response = upload(&multipart(
        &fields,
        ("rows.csv", "text/csv", csv.as_bytes()),
    ));
    assert_eq!(response.status, 400, "{}", response.text());
    assert!(response.text().contains("mail"));
    let stamp = (now_ms() + 1).to_string();
    let token = signed::sign_dataset(b"k3y", &stamp, "ada", "rows");
    let fields = [
        ("type", "rows"),
        ("token", token.as_str()),
        ("visitor", "ada"),
        ("stamp", stamp.as_str()),
    ];
    let body = multipart(&fields, ("rows.csv", "text/csv", csv.as_bytes()));
    let response = upload(&body);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["inserted"], 2);
    // Replayed, or signed with another key: refused, nothing more written.
    assert_eq!(upload(&body).status, 401);
    let stamp = (now_ms() + 2).to_string();
    let token = signed::sign_dataset(b"not the key", &stamp, "ada", "rows");
    let fields = [
        ("type", "rows"),
        ("token", token.as_str()),
        ("visitor", "ada"),
        ("stamp", stamp.as_str()),
    ];
    let response = upload(&multipart(
        &fields,
        ("rows.csv", "text/csv", csv.as_bytes()),
    ));
    assert_eq!(response.status, 401);
    let rows = server.items(&format!("{API}/rows?sort=ref"));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["region"], "Zürich");
}
