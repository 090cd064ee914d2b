//! The crate generated from `specs/blog.toml`: embedding (`?embedded=`) of references
//! in every shape, and HATEOAS `_links` (complete where on, absent where a resource
//! turns them off). `specs/nolinks.toml` turns HATEOAS off for the whole API.

mod support;

use serde_json::{Value, json};
use support::{TestServer, enc, is_rfc1123};

const API: &str = "/api/v1";

fn start() -> TestServer {
    support::start_generated!(blog_api, API)
}

fn start_nolinks() -> TestServer {
    support::start_generated!(nolinks_api, "")
}

fn id(write_result: &Value) -> String {
    write_result["_id"].as_str().expect("an _id").to_string()
}

/// `?embedded=<json>`, percent-encoded.
fn embedded(clause: &str) -> String {
    format!("embedded={}", enc(clause))
}

/// A blog with two authors, three tags and one post that references all of them.
struct Blog {
    ann: String,
    bob: String,
    rust: String,
    web: String,
    db: String,
    post: String,
}

fn seed(server: &TestServer) -> Blog {
    let ann = id(&server.create(
        "authors",
        json!({"name": "Ann", "email": "ann@example.com", "born": "Tue, 19 Apr 1988 08:19:00 GMT"}),
    ));
    let bob = id(&server.create("authors", json!({"name": "Bob"})));
    let rust = id(&server.create("tags", json!({"label": "Rust", "slug": "rust"})));
    let web = id(&server.create("tags", json!({"label": "Web", "slug": "web"})));
    let db = id(&server.create("tags", json!({"label": "Databases", "slug": "db"})));
    let post = id(&server.create(
        "posts",
        json!({
            "title": "Embedding",
            "author": ann,
            "tags": [web, rust, web],
            "category": "rust",
            "meta": {"words": 1200, "editor": bob}
        }),
    ));
    Blog {
        ann,
        bob,
        rust,
        web,
        db,
        post,
    }
}

#[test]
fn the_default_embedding_serves_the_author_as_served_on_collection_and_item() {
    let server = start();
    let blog = seed(&server);
    let author = server.get(&format!("{API}/authors/{}", blog.ann)).json();

    // Item GET: `embedded_fields = ["author"]` embeds it without being asked.
    let response = server.get(&format!("{API}/posts/{}", blog.post));
    assert_eq!(response.status, 200, "{}", response.text());
    let post = response.json();
    let embedded_author = &post["author"];
    assert_eq!(embedded_author["_id"], blog.ann.as_str());
    assert_eq!(embedded_author["name"], "Ann");
    assert_eq!(embedded_author["email"], "ann@example.com");
    assert_eq!(embedded_author["born"], "Tue, 19 Apr 1988 08:19:00 GMT");
    assert!(is_rfc1123(embedded_author["_created"].as_str().unwrap()));
    assert_eq!(embedded_author["_etag"], author["_etag"]);
    assert!(
        embedded_author.get("_links").is_none(),
        "an embedded document has no _links of its own, as in Eve: {embedded_author}"
    );
    // The rest of the document is as without embedding: other references stay ids.
    assert_eq!(post["tags"], json!([blog.web, blog.rust, blog.web]));
    assert_eq!(post["meta"], json!({"words": 1200, "editor": blog.bob}));
    assert_eq!(
        post["_links"]["self"]["href"],
        format!("posts/{}", blog.post)
    );

    // Collection GET: the same, for every document of the page.
    let items = server.items(&format!("{API}/posts"));
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["author"], *embedded_author);

    // `{"author": 0}` opts out of the default: the id is served.
    let opt_out = embedded(r#"{"author": 0}"#);
    let post = server
        .get(&format!("{API}/posts/{}?{opt_out}", blog.post))
        .json();
    assert_eq!(post["author"], blog.ann.as_str());
    let items = server.items(&format!("{API}/posts?{opt_out}"));
    assert_eq!(items[0]["author"], blog.ann.as_str());
    // Eve compares with `== 0`: `false` opts out too.
    let post = server
        .get(&format!(
            "{API}/posts/{}?{}",
            blog.post,
            embedded(r#"{"author": false}"#)
        ))
        .json();
    assert_eq!(post["author"], blog.ann.as_str());
}

#[test]
fn embedding_keeps_the_field_order_and_the_documents_etag() {
    let server = start();
    let blog = seed(&server);
    let plain = server.get(&format!(
        "{API}/posts/{}?{}",
        blog.post,
        embedded(r#"{"author": 0}"#)
    ));
    let rich = server.get(&format!(
        "{API}/posts/{}?{}",
        blog.post,
        embedded(r#"{"tags": 1, "meta.editor": 1}"#)
    ));
    assert_eq!(rich.status, 200, "{}", rich.text());
    // The ETag is the stored document's, as in Eve: embedding does not change it.
    assert_eq!(plain.etag(), rich.etag());
    let tag = rich.etag();
    let cached = server.get_with(
        &format!("{API}/posts/{}?{}", blog.post, embedded(r#"{"tags": 1}"#)),
        &[("If-None-Match", &format!("\"{tag}\""))],
    );
    assert_eq!(cached.status, 304);
    // Fields are served in the order they are without embedding: `_id` first, the
    // spec's fields, the meta fields, `_links` last.
    let text = rich.text();
    let at = |key: &str| {
        text.find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} in {text}"))
    };
    assert_eq!(at("_id"), 1, "{text}");
    assert!(
        at("title") < at("author") && at("author") < at("tags"),
        "{text}"
    );
    assert!(
        at("tags") < at("category") && at("category") < at("meta"),
        "{text}"
    );
    assert!(text.rfind("\"_links\":").unwrap() > text.rfind("\"_etag\":").unwrap());
}

#[test]
fn a_list_of_references_becomes_a_list_of_documents_in_order() {
    let server = start();
    let blog = seed(&server);
    let post = server
        .get(&format!(
            "{API}/posts/{}?{}",
            blog.post,
            embedded(r#"{"tags": 1}"#)
        ))
        .json();
    let tags = post["tags"].as_array().expect("tags is a list");
    let labels: Vec<&Value> = tags.iter().map(|t| &t["label"]).collect();
    assert_eq!(labels, [&json!("Web"), &json!("Rust"), &json!("Web")]);
    assert_eq!(tags[0]["_id"], blog.web.as_str());
    assert_eq!(tags[1]["slug"], "rust");
    assert!(is_rfc1123(tags[1]["_updated"].as_str().unwrap()));
    // The default embedding still applies next to the asked one.
    assert_eq!(post["author"]["name"], "Ann");
    // Eve compares with `== 1`: `true` asks too.
    let post = server
        .get(&format!(
            "{API}/posts/{}?{}",
            blog.post,
            embedded(r#"{"tags": true}"#)
        ))
        .json();
    assert_eq!(post["tags"][2]["label"], "Web");
}

#[test]
fn references_inside_a_dict_and_by_a_unique_field_are_embedded() {
    let server = start();
    let blog = seed(&server);
    let post = server
        .get(&format!(
            "{API}/posts/{}?{}",
            blog.post,
            embedded(r#"{"meta.editor": 1, "category": 1, "author": 0}"#)
        ))
        .json();
    assert_eq!(post["meta"]["words"], 1200, "the dict's other fields stay");
    assert_eq!(post["meta"]["editor"]["_id"], blog.bob.as_str());
    assert_eq!(post["meta"]["editor"]["name"], "Bob");
    assert_eq!(
        post["category"]["_id"],
        blog.rust.as_str(),
        "found by its slug"
    );
    assert_eq!(post["category"]["label"], "Rust");
    assert_eq!(post["author"], blog.ann.as_str());
}

#[test]
fn references_in_a_list_of_dicts_are_embedded_in_each_dict() {
    let server = start();
    let blog = seed(&server);
    let post = id(&server.create(
        "posts",
        json!({
            "title": "Reviewed",
            "author": blog.bob,
            "reviews": [{"score": 4, "reviewer": blog.ann}, {"reviewer": blog.bob, "score": 2}, {"score": 1}]
        }),
    ));
    let served = server
        .get(&format!(
            "{API}/posts/{post}?{}",
            embedded(r#"{"reviews.reviewer": 1}"#)
        ))
        .json();
    let reviews = served["reviews"].as_array().expect("reviews is a list");
    assert_eq!(reviews[0]["score"], 4);
    assert_eq!(reviews[0]["reviewer"]["name"], "Ann");
    assert_eq!(reviews[1]["reviewer"]["_id"], blog.bob.as_str());
    assert_eq!(reviews[1]["score"], 2);
    assert_eq!(
        reviews[2],
        json!({"score": 1}),
        "a dict without the reference stays as is"
    );
}

#[test]
fn a_page_embeds_every_documents_references() {
    let server = start();
    let blog = seed(&server);
    // Posts by both authors with different tags; one page of them.
    for (i, (author, tag)) in [
        (&blog.bob, &blog.db),
        (&blog.ann, &blog.web),
        (&blog.bob, &blog.rust),
    ]
    .into_iter()
    .enumerate()
    {
        server.create(
            "posts",
            json!({"title": format!("post {i}"), "author": author, "tags": [tag]}),
        );
    }
    let items = server.items(&format!(
        "{API}/posts?max_results=10&{}",
        embedded(r#"{"tags": 1}"#)
    ));
    assert_eq!(items.len(), 4);
    let authors: Vec<&Value> = items.iter().map(|p| &p["author"]["name"]).collect();
    assert_eq!(
        authors,
        [&json!("Ann"), &json!("Bob"), &json!("Ann"), &json!("Bob")]
    );
    let first_tags: Vec<&Value> = items.iter().map(|p| &p["tags"][0]["slug"]).collect();
    assert_eq!(
        first_tags,
        [&json!("web"), &json!("db"), &json!("web"), &json!("rust")]
    );
    // A post without the optional references is served as stored.
    assert!(items[1].get("category").is_none() && items[1].get("meta").is_none());
    // Filters, sorting and paging apply as without embedding.
    let path = format!(
        "{API}/posts?where={}&sort=-title&{}",
        enc(&format!(r#"{{"author": "{}"}}"#, blog.bob)),
        embedded(r#"{"tags": 1}"#)
    );
    let titles: Vec<Value> = server
        .items(&path)
        .iter()
        .map(|p| p["title"].clone())
        .collect();
    assert_eq!(titles, [json!("post 2"), json!("post 0")]);
}

#[test]
fn a_reference_to_a_deleted_document_is_embedded_as_null() {
    let server = start();
    let blog = seed(&server);
    let tag = server.get(&format!("{API}/tags/{}", blog.rust)).etag();
    assert_eq!(
        server
            .delete(&format!("{API}/tags/{}", blog.rust), Some(&tag))
            .status,
        204
    );
    let author = server.get(&format!("{API}/authors/{}", blog.ann)).etag();
    assert_eq!(
        server
            .delete(&format!("{API}/authors/{}", blog.ann), Some(&author))
            .status,
        204
    );
    // As Eve: the reference resolves to no document, so the field is null.
    let post = server
        .get(&format!(
            "{API}/posts/{}?{}",
            blog.post,
            embedded(r#"{"tags": 1, "category": 1}"#)
        ))
        .json();
    assert_eq!(post["author"], Value::Null);
    assert_eq!(post["tags"][0]["label"], "Web");
    assert_eq!(post["tags"][1], Value::Null);
    assert_eq!(post["category"], Value::Null);
    // Without embedding the stored ids are served.
    let post = server
        .get(&format!(
            "{API}/posts/{}?{}",
            blog.post,
            embedded(r#"{"author": 0}"#)
        ))
        .json();
    assert_eq!(post["author"], blog.ann.as_str());
    assert_eq!(post["tags"][1], blog.rust.as_str());
}

#[test]
fn names_that_are_not_embeddable_are_ignored_and_bad_clauses_are_400() {
    let server = start();
    let blog = seed(&server);
    // As Eve: unknown fields, fields that are not references, and references not
    // marked `embeddable` are ignored.
    let path = format!(
        "{API}/posts/{}?{}",
        blog.post,
        embedded(r#"{"nope": 1, "title": 1, "meta": 1, "tags": 2}"#)
    );
    let post = server.get(&path).json();
    assert_eq!(post["title"], "Embedding");
    assert_eq!(post["tags"], json!([blog.web, blog.rust, blog.web]));
    assert_eq!(post["author"]["name"], "Ann");
    server.create("comments", json!({"post": blog.post, "body": "Nice"}));
    let comments = server.items(&format!("{API}/comments?{}", embedded(r#"{"post": 1}"#)));
    assert_eq!(comments[0]["post"], blog.post.as_str());
    // A resource without embeddable fields ignores `embedded` entirely.
    assert_eq!(
        server
            .get(&format!("{API}/tags?{}", embedded("[1]")))
            .status,
        200
    );
    // An empty clause asks for nothing.
    assert_eq!(
        server.items(&format!("{API}/posts?embedded="))[0]["author"]["name"],
        "Ann"
    );

    for clause in ["{author: 1}", "[\"author\"]", "1", "\"author\""] {
        for path in [
            format!("{API}/posts?{}", embedded(clause)),
            format!("{API}/posts/{}?{}", blog.post, embedded(clause)),
        ] {
            let message = server.get(&path).error(400);
            assert_eq!(message, "Unable to parse `embedded` clause", "{path}");
        }
    }
}

#[test]
fn collection_links_are_complete_and_exactly_where_they_apply() {
    let server = start();
    let blog = seed(&server);
    for i in 0..4 {
        server.create(
            "posts",
            json!({"title": format!("p{i}"), "author": blog.bob}),
        );
    }
    // 5 posts, 2 per page (the spec's `pagination_default`): pages 1, 2, 3.
    let first = server.get(&format!("{API}/posts")).json();
    assert_eq!(
        first["_meta"],
        json!({"page": 1, "max_results": 2, "total": 5})
    );
    let links = &first["_links"];
    assert_eq!(links["self"], json!({"title": "posts", "href": "posts"}));
    assert_eq!(links["parent"], json!({"title": "home", "href": "/"}));
    assert_eq!(
        links["next"],
        json!({"title": "next page", "href": "posts?page=2"})
    );
    assert_eq!(
        links["last"],
        json!({"title": "last page", "href": "posts?page=3"})
    );
    assert!(links.get("prev").is_none(), "{links}");

    let middle = server.get(&format!("{API}/posts?page=2")).json();
    let links = &middle["_links"];
    assert_eq!(
        links["prev"],
        json!({"title": "previous page", "href": "posts?page=1"})
    );
    assert_eq!(links["next"]["href"], "posts?page=3");
    assert_eq!(links["last"]["href"], "posts?page=3");

    let last = server.get(&format!("{API}/posts?page=3")).json();
    let links = last["_links"].as_object().unwrap();
    let mut keys: Vec<&str> = links.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["parent", "prev", "self"]);

    // The query is kept in paging links, `embedded` included: the next page embeds
    // what this one does.
    let page = server
        .get(&format!(
            "{API}/posts?{}&sort=title",
            embedded(r#"{"tags": 1}"#)
        ))
        .json();
    let next = page["_links"]["next"]["href"].as_str().unwrap().to_string();
    assert_eq!(
        next,
        format!("posts?sort=title&{}&page=2", embedded(r#"{"tags": 1}"#)).replace("%20", "+")
    );
    let second = server.get(&format!("{API}/{next}")).json();
    assert_eq!(second["_meta"]["page"], 2);
    assert!(second["_items"][0]["author"].is_object());
    let path = format!(
        "{API}/posts?where={}&max_results=1",
        enc(r#"{"title": "p1"}"#)
    );
    let one = server.get(&path).json();
    let keys: Vec<&String> = one["_links"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys.len(),
        2,
        "a single page has only self and parent: {one}"
    );

    // Items of a page link to themselves, and (Eve's `related`) to the documents
    // their references name.
    for item in first["_items"].as_array().unwrap() {
        let links = item["_links"].as_object().unwrap();
        assert_eq!(links.len(), 2, "{item}");
        assert_eq!(links["related"]["author"]["title"], "author");
        assert_eq!(links["self"]["title"], "post");
        assert_eq!(
            links["self"]["href"],
            format!("posts/{}", item["_id"].as_str().unwrap())
        );
    }
}

#[test]
fn item_and_write_links() {
    let server = start();
    let blog = seed(&server);
    let post = server.get(&format!("{API}/posts/{}", blog.post)).json();
    let tag = |id: &str| json!({"title": "tag", "href": format!("tags/{id}")});
    let related = json!({
        "author": {"title": "author", "href": format!("authors/{}", blog.ann)},
        "tags": [tag(&blog.web), tag(&blog.rust), tag(&blog.web)],
        "category": {"title": "tag", "href": "tags/rust"}
    });
    assert_eq!(
        post["_links"],
        json!({
            "self": {"title": "post", "href": format!("posts/{}", blog.post)},
            "parent": {"title": "home", "href": "/"},
            "collection": {"title": "posts", "href": "posts"},
            "related": related
        })
    );
    // POST answers link to the new document only.
    let created = server.create("tags", json!({"label": "New", "slug": "new"}));
    assert_eq!(
        created["_links"],
        json!({"self": {"title": "tag", "href": format!("tags/{}", id(&created))}})
    );
    let bulk = server.post(
        &format!("{API}/tags"),
        &json!([{"label": "A", "slug": "a"}, {"label": "B", "slug": "b"}]),
    );
    assert_eq!(bulk.status, 201, "{}", bulk.text());
    for item in bulk.json()["_items"].as_array().unwrap() {
        assert_eq!(item["_links"]["self"]["href"], format!("tags/{}", id(item)));
    }
    // PATCH and PUT answers too.
    let etag = server.get(&format!("{API}/posts/{}", blog.post)).etag();
    let patched = server.patch(
        &format!("{API}/posts/{}", blog.post),
        Some(&etag),
        &json!({"title": "T"}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(
        patched.json()["_links"],
        json!({"self": {"title": "post", "href": format!("posts/{}", blog.post)}, "related": related})
    );
    let etag = patched.etag();
    let put = server.put(
        &format!("{API}/posts/{}", blog.post),
        Some(&etag),
        &json!({"title": "U", "author": blog.bob, "tags": [blog.db]}),
    );
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(
        put.json()["_links"]["self"]["href"],
        format!("posts/{}", blog.post)
    );
}

#[test]
fn the_home_page_lists_every_resource() {
    let server = start();
    for path in [API.to_string(), format!("{API}/")] {
        let home = server.get(&path);
        assert_eq!(home.status, 200, "{path}");
        assert_eq!(
            home.json(),
            json!({"_links": {"child": [
                {"href": "authors", "title": "authors"},
                {"href": "tags", "title": "tags"},
                {"href": "posts", "title": "posts"},
                {"href": "comments", "title": "comments"}
            ]}})
        );
    }
}

#[test]
fn a_resource_with_hateoas_off_has_no_links_but_keeps_meta() {
    let server = start();
    let blog = seed(&server);
    let created = server.create("comments", json!({"post": blog.post, "body": "First"}));
    assert!(created.get("_links").is_none(), "{created}");
    assert_eq!(created["_status"], "OK");
    let comment = id(&created);
    server.create("comments", json!({"post": blog.post, "body": "Second"}));
    server.create("comments", json!({"post": blog.post, "body": "Third"}));

    let page = server.get(&format!("{API}/comments")).json();
    assert!(page.get("_links").is_none(), "{page}");
    assert_eq!(
        page["_meta"],
        json!({"page": 1, "max_results": 2, "total": 3})
    );
    for item in page["_items"].as_array().unwrap() {
        assert!(item.get("_links").is_none(), "{item}");
        assert!(item["_etag"].is_string());
    }
    let item = server.get(&format!("{API}/comments/{comment}"));
    let etag = item.etag();
    let body = item.json();
    assert!(body.get("_links").is_none(), "{body}");
    assert_eq!(body["body"], "First");
    let patched = server.patch(
        &format!("{API}/comments/{comment}"),
        Some(&etag),
        &json!({"body": "1st"}),
    );
    assert_eq!(patched.status, 200);
    assert!(patched.json().get("_links").is_none());
    // The other resources of the API keep theirs.
    assert!(server.get(&format!("{API}/posts")).json()["_links"]["self"].is_object());
}

#[test]
fn hateoas_off_for_the_api_removes_links_and_the_home_page() {
    let server = start_nolinks();
    // As Eve with `HATEOAS = False`: the home page answers 404.
    server.get("/").error(404);
    let created = server.create("notes", json!({"text": "hello"}));
    assert!(created.get("_links").is_none(), "{created}");
    let note = id(&created);
    let page = server.get("/notes").json();
    assert!(page.get("_links").is_none(), "{page}");
    assert_eq!(page["_meta"]["total"], 1);
    assert!(page["_items"][0].get("_links").is_none());
    let item = server.get(&format!("/notes/{note}")).json();
    assert!(item.get("_links").is_none(), "{item}");
    assert_eq!(item["text"], "hello");
    // The OpenAPI document is still served.
    assert_eq!(server.get("/openapi.json").status, 200);
}

#[test]
fn openapi_documents_the_embedded_parameter() {
    let server = start();
    let doc = server.get("/openapi.json").json();
    let names = |op: &Value| -> Vec<String> {
        op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    // Shared parameters (`pretty`) are `$ref`s to components.
                    .map(|p| {
                        p["name"]
                            .as_str()
                            .or_else(|| p["$ref"].as_str()?.rsplit('/').next())
                            .unwrap()
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(names(&doc["paths"]["/posts"]["get"]).contains(&"embedded".to_string()));
    assert_eq!(
        names(&doc["paths"]["/posts/{id}"]["get"]),
        ["projection", "embedded", "pretty"]
    );
    let described = doc["paths"]["/posts/{id}"]["get"]["parameters"][1]["description"]
        .as_str()
        .unwrap();
    assert!(
        described.contains("`author` (embedded by default)") && described.contains("`meta.editor`")
    );
    assert!(!names(&doc["paths"]["/tags"]["get"]).contains(&"embedded".to_string()));
}
