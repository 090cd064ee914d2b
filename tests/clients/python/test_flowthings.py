"""The examples of the flowthings client's documentation (the seed the clients are
modelled on), written with the generated library client: a Flow is a book here, its
path the book's title, and `refs=True` is Eve's embedding.

    api.flow.find('<flow_id>')                       -> client.books.get(id)
    api.flow.find(mem.path == '<flow_path>')         -> client.books.find(mem.title == path)
    api.flow.find(limit=10, refs=True)               -> client.books.find(max_results=10, embedded=[...])
    api.flow.create({'path': '<flow_path>'})         -> client.books.create({...})
    api.flow.delete('<flow_id>')                     -> client.books.delete(id)
    api.drop(id).find(mem.elems.foo == 'value')      -> mem filters, .re(), OR
    api.drop(id).aggregate(['$avg:test'], rules=...) -> client.books_per_author.aggregate(...)
    api.websocket.connect(on_open=..., ...)          -> client.websocket.connect(...)
"""

from __future__ import annotations

import threading

from library_client import Event, LibraryClient, LiveSocket, LiveSubscription, mem


def test_find_create_delete(library_url: str, tag: str) -> None:
    api = LibraryClient(library_url)
    # Create a flow
    author = api.authors.create({"name": f"flowthings {tag}"})
    assert isinstance(author, dict)
    created = api.books.create({"title": f"/{tag}/path", "author": author["_id"], "pages": 3})
    assert isinstance(created, dict)
    flow_id = created["_id"]
    # Get a Flow by id
    assert api.books.get(flow_id)["title"] == f"/{tag}/path"
    # Get a Flow by path
    by_path = api.books.find(mem.title == f"/{tag}/path")
    assert [b["_id"] for b in by_path] == [flow_id]
    # Get 10 recent Flows, with references (`refs=True`: the authors embedded)
    flows = api.books.find(max_results=10, sort="-_created", embedded=["author"])
    assert len(flows.items) <= 10
    refs = [b["author"] for b in flows if isinstance(b.get("author"), dict)]
    assert any(isinstance(r, dict) and r["name"] == f"flowthings {tag}" for r in refs)
    # Delete a flow
    api.books.delete(flow_id)
    assert api.books.find(mem.title == f"/{tag}/path").items == []
    api.close()


def test_filters_with_mem_re_and_or(library_url: str, tag: str) -> None:
    api = LibraryClient(library_url)
    api.books.create(
        [
            {"title": f"{tag} foo", "pages": 10},
            {"title": f"{tag} bar", "pages": 20},
            {"title": f"{tag} Baz", "pages": 50},
        ]
    )
    # api.flow.find(mem.displayName == 'foo', mem.path.re('^/foo', 'i'))
    found = api.books.find(mem.title == f"{tag} foo", mem.title.re(f"^{tag} F", "i"))
    assert [b["title"] for b in found] == [f"{tag} foo"]
    # api.flow.find((mem.displayName == 'foo').OR(mem.displayName == 'bar'))
    either = api.books.find((mem.title == f"{tag} foo").OR(mem.title == f"{tag} bar"), sort="title")
    assert [b["title"] for b in either] == [f"{tag} bar", f"{tag} foo"]
    # Other operations: comparisons and case-insensitive patterns.
    big = api.books.find(mem.title.re(f"^{tag} b", "i"), mem.pages > 25)
    assert [b["title"] for b in big] == [f"{tag} Baz"]
    api.close()


def test_aggregate(library_url: str, tag: str) -> None:
    api = LibraryClient(library_url)
    author = api.authors.create({"name": f"aggregated {tag}"})
    assert isinstance(author, dict)
    api.books.create(
        [
            {"title": f"{tag} a", "pages": 100, "author": author["_id"], "tags": [tag]},
            {"title": f"{tag} b", "pages": 300, "author": author["_id"], "tags": [tag]},
        ]
    )
    # api.drop(flow_id).aggregate(['$avg:test'], rules={'test': mem.foo > 42})
    results = api.books_per_author.aggregate(since={}, tag=tag)
    mine = [r for r in results if r["_id"] == author["_id"]]
    assert len(mine) == 1
    assert mine[0]["books"] == 2
    assert mine[0]["average_pages"] == 200.0
    assert mine[0]["pages"] == 400
    api.close()


def test_websocket_callbacks(library_url: str, tag: str) -> None:
    api = LibraryClient(library_url)
    last = api.oplog.find(sort="-_id", max_results=1).items
    since = last[0]["_id"] if last else 0
    got: list[tuple[str, str, str]] = []
    opened: list[bool] = []
    closed: list[bool] = []
    errors: list[BaseException] = []
    three = threading.Event()

    subs: list[LiveSubscription] = []

    def on_open(ws: LiveSocket) -> None:
        opened.append(True)
        subs.append(ws.subscribe("books", mem.title.re(f"^{tag} "), since=since))

    def on_message(ws: LiveSocket, resource: str, event: Event[object]) -> None:
        data = event.data
        assert isinstance(data, dict)
        got.append((resource, event.event, str(data.get("title"))))
        if len(got) == 3:
            three.set()
            ws.close()

    def on_close(ws: LiveSocket) -> None:
        closed.append(True)

    def on_error(ws: LiveSocket, e: BaseException) -> None:
        errors.append(e)

    ws = api.websocket.connect(
        on_open=on_open, on_message=on_message, on_close=on_close, on_error=on_error
    )
    for i in range(3):
        api.books.create({"title": f"{tag} live {i}"})
    ws.run(timeout=20)
    assert three.is_set(), (got, errors)
    assert got == [("books", "insert", f"{tag} live {i}") for i in range(3)]
    assert opened == [True] and closed == [True] and errors == []
    # Over a real WebSocket: the server accepted one upgrade and answered the
    # `subscribe` message with `subscribed` (Server-Sent Events have neither).
    assert ws.opened == 1 and ws.reconnects == 0
    assert subs[0].error is None and subs[0].delivered == 3
    assert subs[0].id == "s1" and subs[0].accepted == 1
    assert subs[0].last_event_id is not None and int(subs[0].last_event_id) > since
    api.close()
